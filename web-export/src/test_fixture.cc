#include "test_fixture.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "maskbench/core/files.h"
#include "maskbench/scoring/rules.h"

namespace maskbench::web_export::testing {
namespace {

struct Spec {
  const char* name;
  const char* team;
  const char* status;
  const char* message;
  double median_ms;          // center of the made-up latency distribution
  double map50;              // < 0: no accuracy (the run never finished)
  double speedup;            // < 0: none
  int gate;                  // 1 passed, 0 failed, -1 not evaluated
  const char* failed_audit;  // nullptr: all audits pass
  const char* latency_kind;
};

const Spec kSpecs[] = {
    {"reference-baseline", "organisers", "ok", "", 400.0, 0.880, 1.0, 1, nullptr, "measured"},
    {"reference-fp32", "organisers", "ok", "", 180.0, 0.880, 2.22, 1, nullptr, "measured"},
    {"lightning", "Team Volt", "ok", "", 6.0, 0.875, 66.7, 1, nullptr, "measured"},
    {"quantized-int8", "Team Qubit", "ok", "", 20.0, 0.880, 20.0, 1, nullptr, "measured"},
    {"twin-a", "Team Gemini", "ok", "", 25.0, 0.878, 16.0, 1, nullptr, "measured"},
    {"twin-b", "Team Gemini", "ok", "", 25.0, 0.878, 16.0, 1, nullptr, "measured"},
    {"systolic-sim", "Team Array", "ok", "", 90.0, 0.877, 40.0, 1, nullptr, "modeled"},
    {"memo", "Team Cache", "ok", "", 3.0, 0.879, 133.0, 1, "caching", "measured"},
    {"tiny", "Team Small", "ok", "", 2.0, 0.610, 200.0, 0, nullptr, "measured"},
    {"segfault", "harness tests", "crashed", "child killed by signal 11 (SIGSEGV) at frame 3", 10.0,
     -1, -1, -1, nullptr, "measured"},
    {"hang", "harness tests", "timeout", "frame 0 took longer than the 2000 ms per-frame limit", -1,
     -1, -1, -1, nullptr, "measured"},
};

// A deterministic pseudo-random number in [0, 1) from two integers.
double Hash01(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return static_cast<double>(x >> 11) / 9007199254740992.0;
}

RunOutcome MakeOutcome(int index, const Spec& s, const FixtureOptions& o) {
  RunOutcome out;
  out.status = s.status;
  out.message = s.message;
  out.requested_settings_json =
      R"({"warmup_frames": 2, "frames": )" + std::to_string(o.frames) + "}";
  out.effective_settings_json =
      R"({"warmup_frames": 2, "frames": )" + std::to_string(o.frames) + R"(, "cpu": 1})";
  int frames = s.median_ms < 0 ? 0 : (s.status == std::string("ok") ? o.frames : 3);
  for (int f = 0; f < frames; ++f) {
    FrameResult fr;
    fr.frame_index = f;
    fr.frame_id = "frame_" + std::to_string(1000 + f);
    double u = Hash01(static_cast<uint64_t>(index), static_cast<uint64_t>(f));
    double ms = s.median_ms * std::exp(0.25 * (u - 0.5) + (u > 0.95 ? 0.4 : 0.0));
    fr.latency_ns = static_cast<int64_t>(ms * 1e6);
    fr.round_trip_ns = *fr.latency_ns + 40000 + static_cast<int64_t>(20000 * u);
    fr.detections = 1 + static_cast<int64_t>(4 * Hash01(f, static_cast<uint64_t>(index) + 7));
    out.frames.push_back(fr);
  }
  if (s.map50 >= 0) {
    out.metrics["mAP50"] = s.map50;
    out.metrics["AP"] = s.map50 * 0.62;
    out.metrics["violation_recall"] = std::min(1.0, s.map50 + 0.03);
    out.metrics["latency_p50_ms"] = s.median_ms;
    out.metrics["latency_p90_ms"] = s.median_ms * 1.08;
    out.metrics["latency_p99_ms"] = s.median_ms * 1.4;
    if (s.latency_kind == std::string("modeled")) out.metrics["modeled_latency_ms"] = 10.0;
    out.metrics["frames"] = frames;
  }
  if (s.speedup >= 0) out.metrics["speedup"] = s.speedup;
  if (s.gate >= 0) out.metrics["gate_passed"] = s.gate;
  if (s.status == std::string("ok")) {
    out.audits.push_back({"consistency", true, "8 frames re-run, identical detections"});
    bool cache_fail = s.failed_audit && std::string(s.failed_audit) == "caching";
    out.audits.push_back({"caching", !cache_fail,
                          cache_fail ? "repeated frame 4.1x faster than fresh frames (limit 1.5x)"
                                     : "repeated frame 1.02x fresh frame latency"});
    const char* classes[] = {"with_mask", "without_mask", "mask_weared_incorrect"};
    for (int c = 0; c < 3; ++c) {
      PrCurve curve{c, classes[c], {}};
      double quality = s.map50 * (1.0 - 0.08 * c);
      for (int i = 0; i <= 100; ++i) {
        double r = i / 100.0;
        double p = std::clamp(1.0 - std::pow(r, 6.0 * quality) * (1.0 - quality * 0.5) -
                                  (r > quality ? (r - quality) * 2.0 : 0.0),
                              0.0, 1.0);
        curve.points.emplace_back(r, p);
      }
      out.pr_curves.push_back(std::move(curve));
    }
  }
  return out;
}

}  // namespace

std::string DefaultRulesText() { return std::string(scoring::DefaultRulesJson()); }

std::vector<std::string> FixtureSubmissionNames() {
  std::vector<std::string> names;
  for (const Spec& s : kSpecs) names.push_back(s.name);
  return names;
}

Result<FillReport> FillFixtureStore(Store& store, const FixtureOptions& o) {
  FillReport report;
  Result<int64_t> dataset = store.UpsertDataset({o.manifest_sha256, "facemask-synth", "test"});
  if (!dataset.ok()) return dataset.status();
  Result<int64_t> rules = store.UpsertRules({Sha256Hex(o.rules_json), o.rules_json});
  if (!rules.ok()) return rules.status();
  Result<int64_t> machine = store.UpsertMachine({"fp-test-machine", "Test CPU @ 2.0GHz", 2});
  if (!machine.ok()) return machine.status();
  int index = 0;
  for (const Spec& s : kSpecs) {
    SubmissionInfo info{s.name,  s.team,        "1.0", Sha256Hex(std::string("artifact:") + s.name),
                        "1.0.0", s.latency_kind};
    Result<int64_t> sub = store.UpsertSubmission(info);
    if (!sub.ok()) return sub.status();
    Result<RunTicket> ticket =
        store.BeginRun({*sub, *dataset, *rules, *machine, o.harness_version});
    if (!ticket.ok()) return ticket.status();
    if (ticket->already_complete) {
      report.skipped++;
    } else {
      if (o.after_begin) o.after_begin(index);
      MB_RETURN_IF_ERROR(store.CommitRun(ticket->run_id, MakeOutcome(index, s, o)));
      report.started++;
    }
    ++index;
  }
  return report;
}

}  // namespace maskbench::web_export::testing
