// `maskbench new NAME [--kind cpp|cycle-model|rtl] [--team TEAM] [--dir DIR]`:
// writes a ready-to-build submission folder that builds out of the tree
// against the installed package (find_package(maskbench)). The identity (name,
// team) is given once: NAME and --team (asked for on a terminal when missing)
// go into CMakeLists.txt only; the build writes submission.json and passes
// them to the sources. See docs/first-submission.md.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "maskbench/contest/identity.h"
#include "maskbench/core/files.h"
#include "maskbench/core/text.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;

struct NewFlags {
  std::string name, kind = "cpp", team, dir;
};

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

constexpr const char* kCMakeLists =
    R"(# @NAME@: a maskbench submission (docs/first-submission.md). The name and
# team are set here only: the build writes submission.json and hands them to
# the sources as MASKBENCH_SUBMISSION_NAME / _TEAM / _VERSION.
#
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<maskbench install prefix>
#   cmake --build build                               # -> build/submission/
#   maskbench validate build/submission
#   maskbench run build/submission --dataset ds       # ds: maskbench dataset synth --out ds
#   maskbench pack build/submission -o @NAME@.tar.gz  # what you hand in
cmake_minimum_required(VERSION 3.16)
project(@NAME_ID@ LANGUAGES CXX)

find_package(maskbench 0.1 REQUIRED)

maskbench_add_submission(@NAME@
  TEAM "@TEAM@"
  VERSION 0.1.0
  LATENCY_KIND @LATENCY_KIND@
  SOURCES src/accelerator.cc
  # Files the plugin reads at init (weights, tables) go beside it:
  # FILES weights/model.bin
  CONFIG "{\"score_threshold\": 0.5}")

# An outside library is linked as usual; the plugin is linked with
# -Wl,--no-undefined, and the sealed runner sees the system's shared libraries
# (read-only), so Debian packages such as OpenCV work as they are:
#   find_package(OpenCV REQUIRED COMPONENTS core imgproc)
#   target_link_libraries(@NAME@ PRIVATE ${OpenCV_LIBS})
)";

constexpr const char* kSourceHead =
    R"(// @NAME@, a maskbench submission (docs/first-submission.md, docs/abi.md).
//
// The harness calls the constructor once (not timed: load weights here), then
// Infer() once per frame (timed by the harness's clock), from one thread.
// Return detections as boxes in pixels of the frame with a class id from the
// data set (0 with_mask, 1 without_mask, 2 mask_weared_incorrect) and a score
// in [0, 1].
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/accelerator.hpp"

class Accelerator {
 public:
  // config_json: the "config" object of submission.json (CONFIG in
  // CMakeLists.txt); dir: this submission's folder (read FILES from here).
  Accelerator(const std::string& config_json, const std::filesystem::path& dir)
      : config_(config_json), dir_(dir) {
    // Load weights from dir_ here; throw std::runtime_error("...") to fail init.
  }

  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame& frame) {
    std::vector<mb_detection_t> detections;
    // Replace this with the model: read frame.Row(y)[3 * x + c] (BGR), fill
    // detections. As it stands it finds nothing: mAP 0, so it fails the gate.
)";

constexpr const char* kSourceCpp = R"(    (void)frame;
    return detections;
  }
)";

constexpr const char* kSourceCycleModel =
    R"(    // A cycle model counts the cycles its design spends on the frame. This
    // stand-in models only streaming the frame in over a 64-bit bus (8 bytes a
    // cycle); replace it with your design's count. Mark what you model: the
    // board shows these cycles as "self-reported".
    cycles_ = static_cast<uint64_t>(frame.width) * static_cast<uint64_t>(frame.height) * 3 / 8;
    return detections;
  }

  // Cycles spent on the last frame, and the modeled clock (maskbench.cycles/1).
  uint64_t Cycles() const { return cycles_; }
  uint64_t ClockHz() const { return 200'000'000; }
)";

constexpr const char* kSourceTail = R"(
  static constexpr const char* kName = MASKBENCH_SUBMISSION_NAME;
  static constexpr const char* kTeam = MASKBENCH_SUBMISSION_TEAM;
  static constexpr const char* kVersion = MASKBENCH_SUBMISSION_VERSION;

 private:
  std::string config_;
  std::filesystem::path dir_;
@CYCLES_MEMBER@};

MASKBENCH_EXPORT_ACCELERATOR(Accelerator)
)";

constexpr const char* kReadme = R"(# @NAME@

A maskbench submission of team @TEAM@ (`maskbench new`, kind @KIND@).

```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH=<maskbench install prefix>
cmake --build build
maskbench validate build/submission
maskbench dataset synth --out ds && maskbench run build/submission --dataset ds
maskbench pack build/submission -o @NAME@.tar.gz
```

The model goes in `src/accelerator.cc`; the name, team, version, latency kind,
config and data files in `CMakeLists.txt`. See docs/first-submission.md of
maskbench (installed under `share/doc/maskbench/`).
)";

// An RTL scaffold: submission.json and the example design (rtl-npu) to start
// from, which already implements the interface of docs/rtl.md.
int NewRtl(const NewFlags& f, const std::string& team, const fs::path& dir) {
  const fs::path example = ExeDir() / "submissions" / "rtl-npu" / "rtl" / "npu_top.v";
  Result<std::string> design = ReadFile(example);
  if (!design.ok())
    return Fail(
        "new: --kind rtl starts from the example design, which this maskbench does not "
        "have (" +
        design.status().message() + ")");
  nlohmann::json meta = {
      {"kind", "rtl"},      {"name", f.name},     {"team", team},
      {"version", "0.1.0"}, {"top", "npu_top"},   {"sources", {"rtl/npu_top.v"}},
      {"clock_mhz", 200},   {"board", "xc7z020"}, {"config", nlohmann::json::object()}};
  const std::string readme = "# " + f.name + "\n\nAn RTL submission of team " + team +
                             " (`maskbench new --kind rtl`), started from the example design "
                             "rtl-npu.\n\n```sh\nmaskbench build .            # verilator + "
                             "yosys: build/\nmaskbench validate .\nmaskbench run . --dataset DS "
                             "--frames 3\nmaskbench pack . -o " +
                             f.name +
                             ".tar.gz\n```\n\nThe interface, the DRAM and energy models, and "
                             "what a design may not do: docs/rtl.md of maskbench.\n";
  for (const auto& [path, text] :
       {std::pair<fs::path, std::string>{dir / "submission.json", meta.dump(2) + "\n"},
        {dir / "rtl" / "npu_top.v", *design},
        {dir / "README.md", readme},
        {dir / ".gitignore", "build/\n*.tar.gz\n"}})
    if (Status s = WriteFileAtomic(path, text); !s.ok()) return Fail(s);
  std::printf(
      "created      %s (rtl submission \"%s\" of team \"%s\", top npu_top, 200 MHz, "
      "xc7z020)\n",
      dir.c_str(), f.name.c_str(), team.c_str());
  std::printf("next         maskbench build %s && maskbench run %s --dataset DS --frames 3\n",
              dir.c_str(), dir.c_str());
  return 0;
}

int New(const NewFlags& f) {
  if (!contest::ValidTeamId(f.name) || f.name == "template" || f.name.size() > 64)
    return Fail("new: \"" + f.name +
                "\" is not a usable name (letters, digits, '-', '_', '.'; at most 64; not "
                "\"template\")");
  if (f.kind != "cpp" && f.kind != "cycle-model" && f.kind != "rtl")
    return Fail("new: --kind must be cpp, cycle-model or rtl, got \"" + f.kind + "\"");
  std::string team = f.team;
  if (team.empty()) {
    if (!isatty(STDIN_FILENO)) return Fail("new: give the team's name with --team \"Team name\"");
    std::fprintf(stderr, "Team name: ");
    std::getline(std::cin, team);
  }
  while (!team.empty() && (team.back() == ' ' || team.back() == '\r')) team.pop_back();
  if (team.empty() || team == "your-team") return Fail("new: the team's name is required");
  if (!IsValidUtf8(team) || team.find_first_of("\"\\\n") != std::string::npos || team.size() > 100)
    return Fail(
        "new: --team must be UTF-8 text of at most 100 bytes without quotes, backslashes "
        "or line breaks");
  const fs::path dir = f.dir.empty() ? fs::path(f.name) : fs::path(f.dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return Fail("new: " + dir.string() + " exists and is not empty: nothing written");
  if (f.kind == "rtl") return NewRtl(f, team, dir);
  std::string name_id;
  for (char c : f.name) name_id += (c == '-' || c == '.') ? '_' : c;
  const bool model = f.kind == "cycle-model";
  auto fill = [&](std::string s) {
    s = Replace(s, "@NAME_ID@", name_id);
    s = Replace(s, "@NAME@", f.name);
    s = Replace(s, "@TEAM@", team);
    s = Replace(s, "@KIND@", f.kind);
    s = Replace(s, "@LATENCY_KIND@", model ? "modeled" : "measured");
    s = Replace(s, "@CYCLES_MEMBER@", model ? "  uint64_t cycles_ = 0;\n" : "");
    return s;
  };
  const std::string source =
      fill(std::string(kSourceHead) + (model ? kSourceCycleModel : kSourceCpp) + kSourceTail);
  for (const auto& [path, text] :
       {std::pair<fs::path, std::string>{dir / "CMakeLists.txt", fill(kCMakeLists)},
        {dir / "src" / "accelerator.cc", source},
        {dir / "README.md", fill(kReadme)},
        {dir / ".gitignore", "build/\n*.tar.gz\n"}})
    if (Status s = WriteFileAtomic(path, text); !s.ok()) return Fail(s);
  std::printf("created      %s (%s submission \"%s\" of team \"%s\")\n", dir.c_str(),
              f.kind.c_str(), f.name.c_str(), team.c_str());
  std::printf(
      "next         cd %s && cmake -S . -B build -DCMAKE_PREFIX_PATH=<maskbench prefix> "
      "&& cmake --build build && maskbench validate build/submission\n",
      dir.c_str());
  return 0;
}

}  // namespace

void AddNewCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<NewFlags>();
  CLI::App* cmd = app.add_subcommand(
      "new", "Write a ready-to-build submission folder (builds against the installed package)");
  cmd->add_option("name", f->name, "The submission's name (also the folder's, by default)")
      ->required();
  cmd->add_option("--kind", f->kind,
                  "cpp (an optimized implementation, measured latency) or cycle-model (a C++ "
                  "model of a design, modeled latency) or rtl (Verilog, simulated by the "
                  "harness; docs/rtl.md)");
  cmd->add_option("--team", f->team, "The team's name (asked for when missing on a terminal)");
  cmd->add_option("--dir", f->dir, "The folder to write (default: ./NAME); must be new or empty");
  cmd->footer(
      "\nExamples:\n  maskbench new my-npu --team \"Team Volt\"\n"
      "  maskbench new my-model --kind cycle-model --team \"Team Volt\"\n"
      "\nEvery command and flag: docs/cli.md (in the source tree).");
  cmd->callback([f, exit_code] { *exit_code = New(*f); });
}

}  // namespace maskbench::app
