// ElfExportedSymbols: the names a shared library exports (defined, global or
// weak, default or protected visibility), read from its ELF .dynsym without
// loading it. `validate` uses it to check that a plugin exports only
// mb_accelerator_entry. 64-bit little-endian ELF only.
// Pure function of the file; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::harness {

// Exported symbol names in .dynsym order; Corruption (naming the file) when not a 64-bit ELF.
Result<std::vector<std::string>> ElfExportedSymbols(const std::filesystem::path& so);

}  // namespace maskbench::harness
