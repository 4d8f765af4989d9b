#include "maskbench/harness/run_record.h"

#include <array>
#include <utility>

namespace maskbench::harness {
namespace {

constexpr std::array<std::pair<RunStatus, const char*>, 11> kNames{{
    {RunStatus::kOk, "ok"},
    {RunStatus::kCrashed, "crashed"},
    {RunStatus::kTimeout, "timeout"},
    {RunStatus::kInvalidOutput, "invalid_output"},
    {RunStatus::kAbiMismatch, "abi_mismatch"},
    {RunStatus::kInitFailed, "init_failed"},
    {RunStatus::kLoadFailed, "load_failed"},
    {RunStatus::kInferFailed, "infer_failed"},
    {RunStatus::kMemoryLimit, "memory_limit"},
    {RunStatus::kSandboxViolation, "sandbox_violation"},
    {RunStatus::kHarnessError, "harness_error"},
}};

}  // namespace

const char* RunStatusName(RunStatus status) {
  for (const auto& [s, name] : kNames)
    if (s == status) return name;
  return "unknown";
}

std::optional<RunStatus> ParseRunStatus(std::string_view name) {
  for (const auto& [s, n] : kNames)
    if (name == n) return s;
  return std::nullopt;
}

const char* SealPolicyName(SealPolicy policy) {
  switch (policy) {
    case SealPolicy::kRequire:
      return "require";
    case SealPolicy::kBestEffort:
      return "best-effort";
    case SealPolicy::kOff:
      return "off";
  }
  return "off";
}

std::optional<SealPolicy> ParseSealPolicy(std::string_view name) {
  for (SealPolicy p : {SealPolicy::kRequire, SealPolicy::kBestEffort, SealPolicy::kOff})
    if (name == SealPolicyName(p)) return p;
  return std::nullopt;
}

const char* ScenarioName(Scenario scenario) {
  return scenario == Scenario::kOffline ? "offline" : "single-stream";
}

std::optional<Scenario> ParseScenario(std::string_view name) {
  if (name == "single-stream") return Scenario::kSingleStream;
  if (name == "offline") return Scenario::kOffline;
  return std::nullopt;
}

std::optional<double> OfflineFramesPerSecond(const RunRecord& r) {
  if (r.in_effect.scenario != Scenario::kOffline || r.batch_ns.empty()) return std::nullopt;
  int64_t ns = 0, frames = 0;
  for (size_t i = 0; i < r.batch_ns.size(); ++i) {
    ns += r.batch_ns[i];
    frames += i < r.batch_frames.size() ? r.batch_frames[i] : 0;
  }
  if (ns <= 0) return std::nullopt;
  return static_cast<double>(frames) * 1e9 / static_cast<double>(ns);
}

nlohmann::json SealReportToJson(const SealReport& s) {
  return nlohmann::json{{"level", s.level},
                        {"reason", s.reason},
                        {"uid", s.uid},
                        {"namespaces", s.namespaces},
                        {"seccomp", s.seccomp},
                        {"no_new_privs", s.no_new_privs},
                        {"no_capabilities", s.no_capabilities},
                        {"threads_checked", s.threads_checked},
                        {"landlock_abi", s.landlock_abi},
                        {"startup_ns", s.startup_ns},
                        {"open_supervisor", s.open_supervisor},
                        {"opens_refused", s.opens_refused}};
}

nlohmann::json RunSettingsToJson(const RunSettings& s) {
  return nlohmann::json{
      {"warmup_frames", s.warmup_frames},
      {"max_frames", s.max_frames},
      {"frame_timeout_s", s.frame_timeout_s},
      {"total_timeout_s", s.total_timeout_s},
      {"init_timeout_s", s.init_timeout_s},
      {"memory_limit_bytes", s.memory_limit_bytes},
      {"max_detections", s.max_detections},
      {"box_tolerance_px", s.box_tolerance_px},
      {"class_ids", s.class_ids},
      {"in_process", s.in_process},
      {"seal", SealPolicyName(s.seal)},
      {"max_threads", s.max_threads},
      {"stderr_cap_bytes", s.stderr_cap_bytes},
      {"overhead_correction_ns", s.overhead_correction_ns},
      {"max_submission_bytes", s.max_submission_bytes},
      {"config", s.config_json},
      {"scenario", ScenarioName(s.scenario)},
      {"batch_size", s.batch_size},
  };
}

nlohmann::json RunRecordToJson(const RunRecord& r) {
  nlohmann::json dets = nlohmann::json::array();
  for (const auto& frame : r.detections) {
    nlohmann::json list = nlohmann::json::array();
    for (const Detection& d : frame)
      list.push_back(
          {{"bbox", {d.x, d.y, d.w, d.h}}, {"class_id", d.class_id}, {"score", d.score}});
    dets.push_back(std::move(list));
  }
  nlohmann::json j{
      {"plugin", r.plugin_path},
      {"mode", r.mode},
      {"status", RunStatusName(r.status)},
      {"message", r.message},
      {"failing_frame", r.failing_frame},
      {"failing_call", r.failing_call},
      {"signal", r.signal},
      {"signal_name", r.signal_name},
      {"plugin_abi", r.plugin_abi},
      {"description",
       {{"name", r.description.name},
        {"team", r.description.team},
        {"version", r.description.version}}},
      {"timing_flagged", r.timing_flagged},
      {"clock_disagreements", r.clock_disagreements},
      {"latency_source", r.latency_source},
      {"warmup_done", r.warmup_done},
      {"requested", RunSettingsToJson(r.requested)},
      {"in_effect", RunSettingsToJson(r.in_effect)},
      {"frame_ids", r.frame_ids},
      {"latency_ns", r.latency_ns},
      {"round_trip_ns", r.round_trip_ns},
      {"child_latency_ns", r.child_latency_ns},
      {"detections", std::move(dets)},
      {"clock_hz", r.clock_hz},
      {"cycles", r.cycles},
      {"energy_extension", r.energy_extension},
      {"energy_pj", r.energy_pj},
      {"scenario", ScenarioName(r.in_effect.scenario)},
      {"batch_extension", r.batch_extension},
      {"max_batch", r.max_batch},
      {"batch_ns", r.batch_ns},
      {"batch_round_trip_ns", r.batch_round_trip_ns},
      {"batch_frames", r.batch_frames},
      {"batch_child_ns", r.batch_child_ns},
      {"seal", SealReportToJson(r.seal)},
      {"stderr_log", r.stderr_log},
      {"stderr_bytes", r.stderr_bytes},
  };
  if (auto fps = OfflineFramesPerSecond(r)) j["offline_frames_per_s"] = *fps;
  return j;
}

}  // namespace maskbench::harness
