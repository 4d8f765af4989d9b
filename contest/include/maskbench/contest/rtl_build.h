// Building an RTL submission (docs/rtl.md): `maskbench build`, and the step
// `validate`, `run` and `judge` take for a folder whose submission.json says
// "kind": "rtl".
//
// An RTL submission is a folder with Verilog-2005 or SystemVerilog sources, a
// top module implementing the interface of docs/rtl.md, and a submission.json:
//   {"kind": "rtl", "name", "team", "version", "top": "npu_top",
//    "sources": ["rtl/npu_top.v", ...], "clock_mhz": 200, "board": "xc7z020",
//    "config": {decode options}}
// BuildRtl checks the sources (inside the folder; no `include, DPI, $c, file
// or system tasks), verilates them (verilator --cc -O3), compiles the model
// with the harness's driver and glue into a plugin, and writes a ready-to-run
// submission folder: lib<name>.so, submission.json (latency_kind "modeled",
// the clock in its config), the reference int8 params, and build.json (what
// was built, from what, by which tools; "cycles": "simulated by the harness").
// SynthesizeRtl runs Yosys for the FPGA resources (resources.json).
//
// Functions are thread-safe when given different output folders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::contest {

inline constexpr const char* kRtlKind = "rtl";
inline constexpr const char* kRtlBuildFile = "build.json";
inline constexpr const char* kRtlResourcesFile = "resources.json";

// What the harness links every design with: written by CMake as
// <build>/rtl-kit/kit.json (docs/rtl.md, "The kit").
struct RtlKit {
  std::filesystem::path glue;         // rtl/kit/verilated_npu.cc
  std::filesystem::path exports_map;  // the plugin's version script
  std::filesystem::path model;        // refnet-int8.json
  std::vector<std::string> include_dirs;
  std::vector<std::string> link;  // static libraries and flags, in order
  std::string cxx;                // the C++ compiler
};
Result<RtlKit> LoadRtlKit(const std::filesystem::path& kit_json);
// <dir of the running executable>/rtl-kit/kit.json, or NotFound.
Result<std::filesystem::path> DefaultRtlKitPath();

// submission.json of an RTL folder, checked. A source path is relative, made of
// [A-Za-z0-9._-] components joined by '/', reached without symlinks, and
// names a regular .v/.sv file of at most 4 MiB inside the folder.
struct RtlSubmission {
  std::filesystem::path dir;
  std::string name, team, version, top, board;
  double clock_mhz = 0;
  std::vector<std::filesystem::path> sources;  // absolute, inside dir
  nlohmann::json config = nlohmann::json::object();
};
// True when `dir`/submission.json exists and says "kind": "rtl".
bool IsRtlSubmission(const std::filesystem::path& dir);
Result<RtlSubmission> LoadRtlSubmission(const std::filesystem::path& dir);

// SHA-256 over the sources and submission.json (names and contents).
Result<std::string> RtlSourceSha256(const RtlSubmission& sub);

struct RtlBuildOptions {
  int verilator_threads = 1;  // --threads (the rules may allow more)
  int jobs = 2;               // make -j
  bool synthesize = true;     // run Yosys for resources.json
  int tool_timeout_s = 1800;  // each tool run
  bool reuse = true;          // keep an up-to-date build (same sources, kit and tools)
  // Run verilator, make, the compiler and yosys in the tool sandbox
  // (harness/tool_sandbox.h): kRequire fails the build when it cannot be made
  // (the judge), kBestEffort builds unsealed with a note (a team's own design).
  enum class Sandbox { kRequire, kBestEffort, kOff };
  Sandbox sandbox = Sandbox::kRequire;
  uint64_t tool_memory_bytes = 8ull << 30;  // RLIMIT_AS of each tool
  uint64_t tool_file_bytes = 2ull << 30;    // RLIMIT_FSIZE of each tool
};

struct RtlBuildResult {
  std::filesystem::path out;  // the built submission folder
  bool reused = false;        // an up-to-date build was already there
  std::string log;            // the tools' output, for the user
  nlohmann::json build;       // build.json
};
Result<RtlBuildResult> BuildRtl(const std::filesystem::path& sub_dir,
                                const std::filesystem::path& out_dir, const RtlKit& kit,
                                const RtlBuildOptions& options = {});

// What a command runs for a submission folder: an RTL folder is built into
// `rtl_out` (reused when up to date) and the built folder is run; any other
// folder is run as it is. Only a build made here is "simulated by the harness".
struct PreparedFolder {
  std::filesystem::path folder;  // what to LoadSubmission
  bool rtl = false;              // built from RTL sources by this call
  bool reused = false;
  std::string log;
};
Result<PreparedFolder> PrepareFolder(const std::filesystem::path& folder,
                                     const std::filesystem::path& rtl_out,
                                     const RtlBuildOptions& options = {});
// The default build folder of an RTL folder for `run`/`validate`: <folder>/build.
std::filesystem::path DefaultRtlOut(const std::filesystem::path& folder);

// FPGA resources from Yosys 0.23: synth_xilinx -family xc7 for a 7-series
// board, else the generic synth (LUT4 cells, no DSP/BRAM mapping).
struct FpgaResources {
  std::string board, part, flow;                 // flow: "synth_xilinx -family xc7" or "synth"
  int64_t lut = 0, ff = 0, dsp = 0, bram36 = 0;  // bram36: RAMB36 + RAMB18 / 2
  double seconds = 0;                            // Yosys's wall time
  nlohmann::json cells;                          // every cell type and its count
};
// `sandbox`: an argv prefix (harness::MakeToolSandbox) to run yosys in, or empty.
Result<FpgaResources> SynthesizeRtl(const RtlSubmission& sub, const std::filesystem::path& work,
                                    const RtlBuildOptions& options,
                                    const std::vector<std::string>& sandbox = {});
nlohmann::json ResourcesToJson(const FpgaResources& r);
Result<FpgaResources> ResourcesFromJson(const nlohmann::json& j);
// The resources.json of a built folder; nullopt when it has none or it is unreadable.
std::optional<FpgaResources> LoadResources(const std::filesystem::path& built);

// A board's budget (docs/rtl.md, "Boards").
struct FpgaBoard {
  std::string name, part;
  bool xilinx7 = false;
  int64_t lut = 0, ff = 0, dsp = 0, bram36 = 0;
};
// The boards the harness knows ("xc7z020", "pynq-z2", "xc7z010", "xc7a35t",
// "xc7a100t", "generic"); nullopt-like NotFound for others, naming the known ones.
Result<FpgaBoard> FindBoard(const std::string& name);
// Why `r` does not fit `b` ("61200 LUT > 53200 on xc7z020; ..."), empty when it fits.
std::string BoardOverflow(const FpgaResources& r, const FpgaBoard& b);

}  // namespace maskbench::contest
