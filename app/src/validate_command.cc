// `maskbench validate SUBMISSION`: loads a plugin in a child process, checks its
// ABI version and exports, runs a few synthetic frames and checks the outputs.
// Prints one line per check (PASS / FAIL / WARN / INFO); exits non-zero on any
// FAIL, naming the run status. See docs/cli.md and docs/first-submission.md.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/accelerator.h"
#include "maskbench/contest/identity.h"
#include "maskbench/contest/rtl_build.h"
#include "maskbench/core/text.h"
#include "maskbench/harness/elf_symbols.h"
#include "maskbench/harness/runner.h"
#include "maskbench/harness/submission.h"

namespace maskbench::app {
namespace {

namespace h = maskbench::harness;

constexpr int kFrames = 8;
constexpr int kWidth = 640;
constexpr int kHeight = 480;

struct Checks {
  int failed = 0;
  void Line(const char* tag, const std::string& text) {
    std::printf("%-4s  %s\n", tag, text.c_str());
  }
  void Pass(const std::string& t) { Line("PASS", t); }
  void Fail(const std::string& t) {
    ++failed;
    Line("FAIL", t);
  }
  void Warn(const std::string& t) { Line("WARN", t); }
  void Info(const std::string& t) { Line("INFO", t); }
};

std::string AbiText() {
  return std::to_string(MB_ABI_VERSION_MAJOR) + "." + std::to_string(MB_ABI_VERSION_MINOR) + "." +
         std::to_string(MB_ABI_VERSION_REVISION);
}

int Validate(const std::string& path) {
  Checks c;
  // An RTL folder is built (or found up to date) first: docs/rtl.md.
  std::string folder = path;
  if (contest::IsRtlSubmission(path)) {
    Result<contest::PreparedFolder> p =
        contest::PrepareFolder(path, contest::DefaultRtlOut(path),
                               {.sandbox = contest::RtlBuildOptions::Sandbox::kBestEffort});
    if (!p.ok()) {
      c.Fail("build the RTL: " + p.status().message());
      std::printf("validate: FAIL (build_failed)\n");
      return 1;
    }
    c.Pass(std::string("RTL ") + (p->reused ? "build up to date: " : "built: ") +
           p->folder.string());
    folder = p->folder.string();
  }
  Result<h::Submission> sub = h::LoadSubmission(folder);
  if (!sub.ok()) {
    c.Fail("find the plugin: " + sub.status().message());
    std::printf("validate: FAIL (load_failed)\n");
    return 1;
  }
  c.Pass("plugin " + sub->plugin.string());
  c.Info("submission " + sub->name + " (team " + (sub->team.empty() ? "?" : sub->team) +
         ", version " + (sub->version.empty() ? "?" : sub->version) + ", latency " +
         sub->latency_kind + ", config " + sub->config_json + ")");
  if (std::string why = contest::UnchangedTemplateReason(*sub); !why.empty())
    c.Warn(why + "; the judge skips it until then");

  Result<std::vector<std::string>> syms = h::ElfExportedSymbols(sub->plugin);
  if (!syms.ok()) {
    c.Fail("read exported symbols: " + syms.status().message());
  } else {
    bool has_entry = false;
    std::vector<std::string> others;
    for (const std::string& s : *syms) {
      if (s == MB_ENTRY_SYMBOL) {
        has_entry = true;
      } else {
        others.push_back(s);
      }
    }
    if (has_entry) {
      c.Pass("exports " MB_ENTRY_SYMBOL);
    } else {
      c.Fail("exports " MB_ENTRY_SYMBOL
             ": the symbol is missing (declare it with MB_EXPORT or "
             "MASKBENCH_EXPORT_ACCELERATOR)");
    }
    if (others.empty()) {
      c.Pass("exports nothing else");
    } else {
      c.Warn("also exports " + std::to_string(others.size()) + " other symbols (e.g. " + others[0] +
             "); link with the template's exports.map and -fvisibility=hidden");
    }
  }

  auto frames = h::MakeSyntheticFrames(kFrames, kWidth, kHeight);
  h::RunSettings settings;
  settings.warmup_frames = 1;
  settings.frame_timeout_s = 10;
  settings.init_timeout_s = 120;
  settings.total_timeout_s = 600;
  h::RunRecord r = h::RunSubmission(*sub, *frames, settings);
  const std::string frames_text = std::to_string(kFrames) + " synthetic " + std::to_string(kWidth) +
                                  "x" + std::to_string(kHeight) + " BGR frames";
  using S = h::RunStatus;
  S st_batch = S::kOk;  // the Offline check's status, when it ran and failed
  const S st = r.status;
  // Each stage passes when the run got past it.
  if (st == S::kHarnessError) {
    c.Fail("start the runner: " + r.message);
  } else if (st == S::kLoadFailed) {
    c.Fail("load in a child process: " + r.message);
  } else {
    c.Pass("loads in a child process (maskbench-runner)");
    if (r.seal.level == "full")
      c.Pass("sealed: " + SealText(r.seal));
    else
      c.Warn("sealed: " + SealText(r.seal));
    if (st == S::kAbiMismatch) {
      c.Fail("ABI version: " + r.message);
    } else {
      c.Pass("ABI version " + r.plugin_abi + " is compatible with the harness's " + AbiText());
      if (!r.description.name.empty())
        c.Info("describes itself: " + r.description.name + " / " + r.description.team + " / " +
               r.description.version);
      else
        c.Info("no maskbench.describe/1 extension (optional)");
      if (st == S::kInitFailed || (st == S::kTimeout && r.failing_call < 0 && r.warmup_done == 0 &&
                                   r.message.rfind("init", 0) == 0)) {
        c.Fail("create(): " + r.message);
      } else if (r.failing_call < 0 && st != S::kOk) {
        c.Fail("create(): " + std::string(h::RunStatusName(st)) + ": " + r.message);
      } else {
        c.Pass("create() succeeds with the submission's config");
        if (r.clock_hz != 0)
          c.Info("reports cycles (maskbench.cycles/1) at " + std::to_string(r.clock_hz) + " Hz");
        if (st == S::kOk) {
          c.Pass("infer() on " + frames_text + " (+1 warm-up): no crash, no timeout, no error");
          c.Pass(
              "outputs valid: finite boxes inside the frame, w and h > 0, known classes, scores in "
              "[0, 1]");
          int64_t sum = 0;
          for (int64_t l : r.latency_ns) sum += l;
          size_t dets = 0;
          for (const auto& d : r.detections) dets += d.size();
          char b[160];
          std::snprintf(b, sizeof b, "mean infer %.3f ms, %zu detections over %lld frames",
                        sum / 1e6 / r.frames(), dets, static_cast<long long>(r.frames()));
          c.Info(b);
          if (r.batch_extension) {
            // Offline: the same frames through infer_batch, all in one batch when max_batch allows.
            h::RunSettings batch_settings = settings;
            batch_settings.scenario = h::Scenario::kOffline;
            batch_settings.batch_size = kFrames;
            h::RunRecord b_run = h::RunSubmission(*sub, *frames, batch_settings);
            const std::string what =
                "infer_batch() (maskbench.batch/1, max_batch " + std::to_string(r.max_batch) +
                ") on the same frames in batches of " + std::to_string(b_run.in_effect.batch_size);
            if (!b_run.ok()) {
              c.Fail(what + ": " + h::RunStatusName(b_run.status) + ": " + b_run.message);
              st_batch = b_run.status;
            } else {
              bool same = b_run.detections.size() == r.detections.size();
              for (size_t i = 0; same && i < r.detections.size(); ++i)
                same = b_run.detections[i].size() == r.detections[i].size();
              if (same)
                c.Pass(what + ": valid outputs, the same detection counts as infer()");
              else
                c.Warn(what + ": valid outputs, but detection counts differ from infer()");
            }
          } else {
            c.Info(
                "no maskbench.batch/1 extension (optional; Offline runs infer() frame by frame)");
          }
        } else if (st == S::kInvalidOutput) {
          c.Pass("infer() on " + frames_text + ": runs");
          c.Fail("outputs valid: " + r.message);
        } else {
          c.Fail("infer() on " + frames_text + ": " + h::RunStatusName(st) + ": " + r.message +
                 (r.signal_name.empty() ? "" : " [" + r.signal_name + "]"));
        }
      }
    }
  }
  if (r.stderr_bytes > 0)
    c.Info("the plugin wrote " + std::to_string(r.stderr_bytes) +
           " bytes to stdout/stderr; the first: " + SanitizeText(r.stderr_log, {.max_bytes = 200}));
  if (c.failed == 0 && st == S::kOk) {
    std::printf("validate: PASS\n");
    return 0;
  }
  std::printf("validate: FAIL (%s)\n", h::RunStatusName(st != S::kOk         ? st
                                                        : st_batch != S::kOk ? st_batch
                                                                             : S::kLoadFailed));
  std::fflush(stdout);
  std::fprintf(stderr, "maskbench: validate: %s: %s%s%s\n", path.c_str(), h::RunStatusName(st),
               r.message.empty() ? "" : ": ", r.message.c_str());
  return 1;
}

}  // namespace

void AddValidateCommand(CLI::App& app, int* exit_code) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Check a submission: load, ABI, exports, a few frames, outputs");
  cmd->add_option("submission", *path,
                  "A plugin .so, or a folder holding one (and submission.json)")
      ->required();
  cmd->callback([path, exit_code]() { *exit_code = Validate(*path); });
}

}  // namespace maskbench::app
