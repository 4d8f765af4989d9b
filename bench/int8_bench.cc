// Per-frame latency of the reference network's three implementations on
// 640x480 BGR frames, each called through its real plugin (.so, the ABI's
// infer(), in-process, as the runner's child calls it): int8-fast (1 and 2
// threads), reference-fp32 (OpenCV DNN fp32 on the ONNX, 1 and 2 threads) and
// reference-baseline (the naive int8 executor). A frame's latency covers
// resize, network and decode. Counters: p50_ms, p90_ms over the iterations.
//
//   <build>/bench/int8_bench [--benchmark_filter=...]
// Needs <build>/submissions/{int8-fast,reference-fp32,reference-baseline}/ (built).
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "maskbench/accelerator.h"

namespace {

std::filesystem::path SubmissionsDir() {
  if (const char* b = std::getenv("MASKBENCH_BUILD_DIR"))
    return std::filesystem::path(b) / "submissions";
  return std::filesystem::path(MASKBENCH_BENCH_BUILD_DIR) / "submissions";
}

// Street-like 640x480 frames: gradient, noise, faces with and without masks.
std::vector<cv::Mat> Frames() {
  std::vector<cv::Mat> frames;
  for (int seed = 1; seed <= 8; ++seed) {
    cv::RNG rng(static_cast<uint64_t>(seed));
    cv::Mat img(480, 640, CV_8UC3);
    for (int y = 0; y < img.rows; ++y)
      for (int x = 0; x < img.cols; ++x)
        img.at<cv::Vec3b>(y, x) =
            cv::Vec3b(static_cast<uint8_t>(40 + x / 6), static_cast<uint8_t>(60 + y / 5),
                      static_cast<uint8_t>(90 + (x + y) % 50));
    cv::Mat noise(img.size(), CV_8UC3);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 40);
    img += noise;
    for (int i = 0; i < 6; ++i) {
      const int r = rng.uniform(8, 40);
      const cv::Point c(rng.uniform(r, img.cols - r), rng.uniform(r, img.rows - r));
      cv::ellipse(img, c, {r, r * 5 / 4}, 0, 0, 360, cv::Scalar(110, 150, 210), -1);
      if (i % 2 == 0)
        cv::rectangle(img, {c.x - r, c.y}, {c.x + r, c.y + r}, cv::Scalar(230, 230, 230), -1);
    }
    frames.push_back(img);
  }
  return frames;
}

class Plugin {
 public:
  Plugin(const std::string& name, const std::string& config) {
    const auto dir = SubmissionsDir() / name;
    const auto so = dir / ("lib" + name + ".so");
    handle_ = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr)
      throw std::runtime_error(std::string("cannot load ") + so.string() + ": " + dlerror());
    const auto* entry = static_cast<const mb_accelerator_entry_t*>(dlsym(handle_, MB_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error(so.string() + ": no " MB_ENTRY_SYMBOL);
    char error[512] = {0};
    instance_ = entry->create(config.c_str(), dir.c_str(), error, sizeof error);
    if (instance_ == nullptr) throw std::runtime_error(so.string() + ": create failed: " + error);
  }
  ~Plugin() {
    if (instance_ != nullptr) instance_->destroy(instance_);
    if (handle_ != nullptr) dlclose(handle_);
  }
  void Infer(const cv::Mat& img, uint64_t sequence) {
    const mb_frame_t f{img.data,
                       static_cast<uint32_t>(img.cols),
                       static_cast<uint32_t>(img.rows),
                       static_cast<uint32_t>(img.step),
                       MB_PIXEL_FORMAT_BGR8,
                       sequence};
    uint32_t count = 0;
    char error[512] = {0};
    if (instance_->infer(instance_, &f, dets_, 100, &count, error, sizeof error) != MB_OK)
      throw std::runtime_error(std::string("infer failed: ") + error);
  }

 private:
  void* handle_ = nullptr;
  mb_accelerator_t* instance_ = nullptr;
  mb_detection_t dets_[100];
};

void BM_Frame(benchmark::State& state, const std::string& name, const std::string& config) {
  static const std::vector<cv::Mat> frames = Frames();
  std::unique_ptr<Plugin> plugin;
  try {
    plugin = std::make_unique<Plugin>(name, config);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  uint64_t seq = 0;
  for (int i = 0; i < 2; ++i) plugin->Infer(frames[i], seq++);  // warm-up
  std::vector<double> ms;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    plugin->Infer(frames[seq % frames.size()], seq);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ++seq;
  }
  std::sort(ms.begin(), ms.end());
  auto rank = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(std::ceil(p * ms.size())) - 1)];
  };
  state.counters["p50_ms"] = rank(0.5);
  state.counters["p90_ms"] = rank(0.9);
}

}  // namespace

// Each int8-fast path, 1 and 2 threads (a path the CPU lacks is skipped, with
// the engine's message).
BENCHMARK_CAPTURE(BM_Frame, int8_fast_2threads, "int8-fast", R"({"threads": 2})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, int8_fast_1thread, "int8-fast", R"({"threads": 1})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, int8_fast_amx_2threads, "int8-fast", R"({"threads": 2, "simd": "amx"})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, int8_fast_amx_1thread, "int8-fast", R"({"threads": 1, "simd": "amx"})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, int8_fast_avx512_vnni_2threads, "int8-fast",
                  R"({"threads": 2, "simd": "avx512-vnni"})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, int8_fast_avx512_vnni_1thread, "int8-fast",
                  R"({"threads": 1, "simd": "avx512-vnni"})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, int8_fast_avx2_2threads, "int8-fast",
                  R"({"threads": 2, "simd": "avx2"})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, int8_fast_avx2_1thread, "int8-fast",
                  R"({"threads": 1, "simd": "avx2"})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, int8_fast_scalar_1thread, "int8-fast",
                  R"({"threads": 1, "simd": "scalar"})")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(10);
BENCHMARK_CAPTURE(BM_Frame, opencv_dnn_fp32_1thread, "reference-fp32", R"({"threads": 1})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, opencv_dnn_fp32_2threads, "reference-fp32", R"({"threads": 2})")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Frame, naive_int8_baseline, "reference-baseline", "{}")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

BENCHMARK_MAIN();
