#include "maskbench/reference/baseline_calibration.h"

#include <algorithm>
#include <cmath>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "maskbench/core/files.h"

namespace maskbench::reference {
namespace {

using json = nlohmann::json;
inline constexpr const char* kFormat = "maskbench.baseline-calibration";
inline constexpr int kFormatVersion = 1;

double NearestRankMs(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  if (rank < 1) rank = 1;
  return static_cast<double>(v[rank - 1]) / 1e6;
}

Status Check(const BaselineCalibration& c, const std::string& origin) {
  if (c.machine_fingerprint.empty()) return Status::Corruption(origin, "machine_fingerprint is empty");
  if (c.frame_ids.empty()) return Status::Corruption(origin, "frame_ids is empty");
  if (c.latency_ns.size() != c.frame_ids.size())
    return Status::Corruption(origin, "latency_ns has " + std::to_string(c.latency_ns.size()) +
                                          " values for " + std::to_string(c.frame_ids.size()) + " frames");
  for (size_t i = 0; i < c.latency_ns.size(); ++i)
    if (c.latency_ns[i] <= 0)
      return Status::Corruption(origin, "latency_ns[" + std::to_string(i) + "] must be > 0");
  if (c.warmup_frames < 0) return Status::Corruption(origin, "warmup_frames must be >= 0");
  return Status::Ok();
}

}  // namespace

void Summarize(BaselineCalibration* c) {
  if (c->latency_ns.empty()) return;
  double sum = 0;
  for (int64_t v : c->latency_ns) sum += static_cast<double>(v);
  c->mean_ms = sum / static_cast<double>(c->latency_ns.size()) / 1e6;
  c->p50_ms = NearestRankMs(c->latency_ns, 50);
  c->p90_ms = NearestRankMs(c->latency_ns, 90);
}

Result<BaselineCalibration> LoadBaselineCalibration(const std::filesystem::path& path) {
  const std::string origin = path.string();
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  BaselineCalibration c;
  try {
    json j = json::parse(*text);
    if (j.value("format", std::string()) != kFormat)
      return Status::Corruption(origin, std::string("\"format\" must be \"") + kFormat + "\"");
    if (j.value("format_version", 0) != kFormatVersion)
      return Status::Unsupported(origin, "format_version must be " + std::to_string(kFormatVersion));
    for (const char* key : {"machine_fingerprint", "submission", "model_sha256", "dataset_manifest_sha256",
                            "split", "frame_ids", "warmup_frames", "latency_ns", "created_utc"}) {
      if (!j.contains(key)) return Status::Corruption(origin, std::string("missing \"") + key + "\"");
    }
    c.machine_fingerprint = j.at("machine_fingerprint").get<std::string>();
    c.submission = j.at("submission").get<std::string>();
    c.model_sha256 = j.at("model_sha256").get<std::string>();
    c.dataset_manifest_sha256 = j.at("dataset_manifest_sha256").get<std::string>();
    c.split = j.at("split").get<std::string>();
    c.frame_ids = j.at("frame_ids").get<std::vector<int64_t>>();
    c.warmup_frames = j.at("warmup_frames").get<int>();
    c.latency_ns = j.at("latency_ns").get<std::vector<int64_t>>();
    c.modeled_cycles_per_frame = j.value("modeled_cycles_per_frame", uint64_t{0});
    c.clock_hz = j.value("clock_hz", uint64_t{0});
    c.created_utc = j.at("created_utc").get<std::string>();
  } catch (const json::exception& e) {
    return Status::Corruption(origin, std::string("bad calibration JSON: ") + e.what());
  }
  MB_RETURN_IF_ERROR(Check(c, origin));
  Summarize(&c);  // the summary is always recomputed from the raw latencies
  return c;
}

Status SaveBaselineCalibration(const std::filesystem::path& path, const BaselineCalibration& in) {
  BaselineCalibration c = in;
  MB_RETURN_IF_ERROR(Check(c, path.string()));
  Summarize(&c);
  json j = {{"format", kFormat},
            {"format_version", kFormatVersion},
            {"machine_fingerprint", c.machine_fingerprint},
            {"submission", c.submission},
            {"model_sha256", c.model_sha256},
            {"dataset_manifest_sha256", c.dataset_manifest_sha256},
            {"split", c.split},
            {"frame_ids", c.frame_ids},
            {"warmup_frames", c.warmup_frames},
            {"latency_ns", c.latency_ns},
            {"mean_ms", c.mean_ms},
            {"p50_ms", c.p50_ms},
            {"p90_ms", c.p90_ms},
            {"modeled_cycles_per_frame", c.modeled_cycles_per_frame},
            {"clock_hz", c.clock_hz},
            {"created_utc", c.created_utc}};
  return WriteFileAtomic(path, j.dump(2) + "\n");
}

std::string MachineFingerprint() {
  std::string cpu = "unknown-cpu";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) cpu = line.substr(colon + 1 + (colon + 1 < line.size() && line[colon + 1] == ' '));
      break;
    }
  }
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const double bytes = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  const long gib = std::lround(bytes / (1024.0 * 1024.0 * 1024.0));
  struct utsname u {};
  const std::string arch = uname(&u) == 0 ? u.machine : "unknown-arch";
  const std::string id = cpu + "|" + std::to_string(cpus) + "|" + std::to_string(gib) + "|" + arch;
  return Sha256Hex(id).substr(0, 16);
}

std::filesystem::path DefaultBaselineCalibrationPath(const std::filesystem::path& build_dir) {
  return build_dir / "calibration" / "reference-baseline.json";
}

Result<BaselineCalibration> LoadBaselineCalibrationFor(const std::filesystem::path& path,
                                                       const std::string& machine_fingerprint) {
  Result<BaselineCalibration> c = LoadBaselineCalibration(path);
  if (!c.ok()) return c.status();
  if (c->machine_fingerprint != machine_fingerprint)
    return Status::NotFound(path.string(), "calibrated on machine " + c->machine_fingerprint +
                                               ", not on this machine (" + machine_fingerprint +
                                               "); recalibrate the baseline here");
  return c;
}

}  // namespace maskbench::reference
