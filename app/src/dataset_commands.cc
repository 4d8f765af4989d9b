// `maskbench dataset …` subcommands.
#include "commands.h"

namespace maskbench::app {

void AddDatasetCommands(CLI::App& dataset, int* exit_code) {
  (void)dataset;
  (void)exit_code;
}

}  // namespace maskbench::app
