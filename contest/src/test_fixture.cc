#include "test_fixture.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "maskbench/contest/metrics.h"
#include "maskbench/contest/rules.h"
#include "maskbench/core/files.h"

namespace maskbench::contest::testing {
namespace {

struct Spec {
  const char* team_id;
  const char* name;
  const char* team;
  bool reference;
  const char* status;
  const char* message;
  double median_ms;          // center of the made-up latency distribution
  double map50;              // < 0: no accuracy (the run never finished)
  const char* failed_audit;  // nullptr: all audits pass
  double modeled_ms;         // > 0: a hardware model with cycles for this modeled latency
  double clock_mhz;
};

const Spec kSpecs[] = {
    {"reference-baseline", "reference-baseline", "organisers", true, "ok", "", 400.0, 0.880,
     nullptr, 1530.9, 200},
    {"reference-fp32", "reference-fp32", "organisers", true, "ok", "", 180.0, 0.880, nullptr, 0, 0},
    {"lightning", "lightning", "Team Volt", false, "ok", "", 6.0, 0.875, nullptr, 0, 0},
    {"quantized-int8", "quantized-int8", "Team Qubit", false, "ok", "", 20.0, 0.880, nullptr, 0, 0},
    {"twin-a", "twin", "Team Gemini", false, "ok", "", 25.0, 0.878, nullptr, 0, 0},
    {"twin-b", "twin", "Team Gemini", false, "ok", "", 25.0, 0.878, nullptr, 0, 0},
    {"systolic-sim", "systolic-sim", "Team Array", false, "ok", "", 98.5, 0.877, nullptr, 2.157,
     800},
    {"memo", "memo", "Team Cache", false, "ok", "", 3.0, 0.879, "caching", 0, 0},
    {"tiny", "tiny", "Team Small", false, "ok", "", 2.0, 0.610, nullptr, 0, 0},
    {"segfault", "segfault", "harness tests", false, "crashed",
     "child killed by signal 11 (SIGSEGV) at frame 3", 10.0, -1, nullptr, 0, 0},
    {"hang", "hang", "harness tests", false, "timeout",
     "frame 0 took longer than the 2000 ms per-frame limit", -1, -1, nullptr, 0, 0},
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
  out.requested_settings_json = R"({"warmup_frames": 2})";
  out.effective_settings_json = R"({"warmup_frames": 2})";
  out.seal_json = R"({"level": "full", "reason": ""})";
  out.partial = o.frame_selection != "all";
  const int frames = s.median_ms < 0 ? 0 : (s.status == std::string("ok") ? o.frames : 3);
  for (int f = 0; f < frames; ++f) {
    FrameFacts fr;
    fr.frame_index = f;
    fr.frame_id = 1000 + f;
    const double u = Hash01(static_cast<uint64_t>(index), static_cast<uint64_t>(f));
    const double ms = s.median_ms * std::exp(0.25 * (u - 0.5) + (u > 0.95 ? 0.4 : 0.0));
    fr.latency_ns = static_cast<int64_t>(ms * 1e6);
    fr.round_trip_ns = *fr.latency_ns;
    fr.child_ns = *fr.latency_ns - 400;
    if (s.modeled_ms > 0)
      fr.cycles = static_cast<uint64_t>(s.modeled_ms * 1e-3 * s.clock_mhz * 1e6 *
                                        (0.98 + 0.02 * Hash01(f, 3)));
    const int n = 1 + static_cast<int>(4 * Hash01(f, static_cast<uint64_t>(index) + 7));
    for (int d = 0; d < n; ++d) fr.detections.push_back({10.f * d, 5.f, 20.f, 20.f, d % 3, 0.9f});
    out.frames.push_back(fr);
  }
  if (s.map50 >= 0) {
    out.metrics[metric::kMap50] = s.map50;
    out.metrics[metric::kMap50Lo] = s.map50 - 0.01;
    out.metrics[metric::kMap50Hi] = s.map50 + 0.01;
    out.metrics[metric::kAp] = s.map50 * 0.62;
    out.metrics[metric::kViolationRecall] = std::min(1.0, s.map50 + 0.03);
  }
  if (s.median_ms > 0) {
    out.metrics[metric::kLatencyP50Ms] = s.median_ms;
    out.metrics[metric::kLatencyP90Ms] = s.median_ms * 1.08;
    out.metrics[metric::kLatencyP99Ms] = s.median_ms * 1.4;
  }
  if (s.modeled_ms > 0) {
    out.metrics[metric::kModeledLatencyMs] = s.modeled_ms;
    out.metrics[metric::kClockHz] = s.clock_mhz * 1e6;
  }
  if (s.status == std::string("ok")) {
    out.audits.push_back({"consistency", true, "8 frames re-run, identical detections"});
    const bool cache_fail = s.failed_audit && std::string(s.failed_audit) == "caching";
    out.audits.push_back({"caching", !cache_fail,
                          cache_fail ? "median 0.1 ms on repeated frames vs 3.0 ms"
                                     : "median 1.0 ms on repeated frames vs 1.0 ms"});
    const char* classes[] = {"with_mask", "without_mask", "mask_weared_incorrect"};
    for (int c = 0; c < 3; ++c) {
      PrCurve curve{c, classes[c], {}};
      const double quality = s.map50 * (1.0 - 0.08 * c);
      for (int i = 0; i <= 100; ++i) {
        const double r = i / 100.0;
        const double p = std::clamp(1.0 - std::pow(r, 6.0 * quality) * (1.0 - quality * 0.5) -
                                        (r > quality ? (r - quality) * 2.0 : 0.0),
                                    0.0, 1.0);
        curve.points.emplace_back(r, p);
      }
      out.pr_curves.push_back(std::move(curve));
    }
    out.pr_curves_metric = "VOC AP50 (all-point)";
  }
  return out;
}

}  // namespace

std::vector<std::string> FixtureTeamIds() {
  std::vector<std::string> ids;
  for (const Spec& s : kSpecs) ids.push_back(s.team_id);
  return ids;
}

Result<FillReport> FillFixtureStore(Store& store, const FixtureOptions& o) {
  FillReport report;
  Result<int64_t> dataset =
      store.UpsertDataset({o.manifest_sha256, "facemask-synth", o.split, o.frames});
  if (!dataset.ok()) return dataset.status();
  const std::string rules_text(DefaultRulesJson());
  if (Result<int64_t> r = store.UpsertRules({Sha256Hex(rules_text), rules_text}); !r.ok())
    return r.status();
  Result<int64_t> machine = store.UpsertMachine(
      {o.machine_fingerprint, "Test CPU @ 2.0GHz", 2, "Test CPU @ 2.0GHz / avx2"});
  if (!machine.ok()) return machine.status();
  int index = 0;
  for (const Spec& s : kSpecs) {
    const bool is_baseline = std::string(s.team_id) == "reference-baseline";
    if ((o.without_baseline && is_baseline) || (o.only_baseline && !is_baseline)) {
      ++index;
      continue;
    }
    SubmissionInfo info{s.name,  s.team,
                        "1.0",   Sha256Hex(std::string("artifact:") + s.team_id),
                        "1.0.0", s.modeled_ms > 0 ? "modeled" : "measured"};
    Result<int64_t> sub = store.UpsertSubmission(info);
    if (!sub.ok()) return sub.status();
    MB_RETURN_IF_ERROR(store.UpsertEntry({s.team_id, s.name, *sub, s.reference, "", "", ""}));
    RunKey key;
    key.submission_id = *sub;
    key.dataset_id = *dataset;
    key.machine_id = *machine;
    key.frame_selection = o.frame_selection;
    key.warmup = 2;
    key.harness_version = o.harness_version;
    Result<RunTicket> ticket = store.BeginRun(key);
    if (!ticket.ok()) return ticket.status();
    if (ticket->already_complete) {
      report.skipped++;
    } else {
      if (o.after_begin) o.after_begin(index);
      RunOutcome out = MakeOutcome(index, s, o);
      out.rules_sha256 = Sha256Hex(rules_text);
      MB_RETURN_IF_ERROR(store.CommitRun(ticket->run_id, out));
      report.started++;
    }
    ++index;
  }
  return report;
}

}  // namespace maskbench::contest::testing
