// The roofline of int8-fast: for each instruction-set path this CPU has, one
// engine thread runs the reference network step by step (Engine::ProfileSteps)
// and every convolution's multiply-accumulates per second are set against the
// path's peak on this core:
//   peak MAC/s = MACs per cycle of the path's inner loop x clock (one core).
// MACs per cycle: AVX2 and AVX-512 VNNI measured on this core at the start
// (bench/simd_peak.h: the AVX2 kernel's vpmaddubsw + vpmaddwd + vpaddd triple
// on 4 and vpdpbusd zmm on 12 independent accumulators; e.g. 32 and 64 on a Zen 4
// core, which splits 512-bit work in halves, and 32 and 128 where two 512-bit
// pipes take vpdpbusd); AMX-INT8 the nominal 1024 (one 16x16x64 TDPBUSD per 16
// cycles, one tile unit per core; bench/amx_probe measures what a product
// really costs). --peak N overrides. The scalar path has no peak here (the
// compiler vectorises its dot product as it likes): its rows show MAC/cycle only.
// The clock is measured (a chain of dependent multiplies, 3 cycles each), since a
// virtual machine's /proc/cpuinfo shows the nominal clock, not the boost one;
// --ghz overrides. Each step's time is its minimum over the frames; the
// frame's is the median of the frames' sums. Prints a table per path.
//
//   <build>/bench/int8_roofline [--frames N] [--ghz G] [--peak MACS_PER_CYCLE] [--isa NAME]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "engine.h"
#include "maskbench/reference/int8_model.h"
#include "maskbench/reference/postprocess.h"
#include "measured_clock.h"
#include "simd_peak.h"

namespace {

namespace i8 = maskbench::int8_fast;
namespace ref = maskbench::reference;

std::string CpuinfoField(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
    }
  return "";
}

double PeakMacsPerCycle(i8::Simd s, double ghz) {
  switch (s) {
    case i8::Simd::kAmx:
      return 1024;  // one TDPB* (16x16x64 MACs) per 16 cycles
#if defined(__x86_64__)
    case i8::Simd::kAvx512Vnni:
      return maskbench::bench::VnniMacsPerCycle(ghz);
    case i8::Simd::kAvx2:
      return maskbench::bench::Avx2MacsPerCycle(ghz);
#endif
    default:
      return 0;
  }
}

std::string Percent(double value, double of) {
  if (of <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * value / of);
  return buf;
}

void Profile(const ref::Int8Model& model, i8::Simd simd, int frames, double ghz,
             double peak_override, const std::vector<uint8_t>& rgb) {
  i8::Engine engine(&model, i8::EngineOptions{1, simd});
  for (int w = 0; w < 3; ++w) engine.Run(rgb.data());
  std::vector<i8::Engine::StepProfile> best;
  std::vector<int64_t> totals;
  for (int f = 0; f < frames; ++f) {
    std::vector<i8::Engine::StepProfile> p = engine.ProfileSteps(rgb.data());
    int64_t total = 0;
    for (const auto& s : p) total += s.ns;
    totals.push_back(total);
    if (best.empty())
      best = p;
    else
      for (size_t i = 0; i < p.size(); ++i) best[i].ns = std::min(best[i].ns, p[i].ns);
  }
  std::sort(totals.begin(), totals.end());
  const double per_cycle = peak_override > 0 ? peak_override : PeakMacsPerCycle(simd, ghz);
  const double peak = per_cycle * ghz * 1e9;  // MAC/s, one core (0: none claimed)
  if (peak > 0)
    std::printf("\n== %s: peak %.1f MAC/cycle (%s) x %.3f GHz = %.1f GMAC/s per core\n",
                i8::SimdName(simd), per_cycle,
                peak_override > 0        ? "given"
                : simd == i8::Simd::kAmx ? "nominal"
                                         : "measured, bench/simd_peak.h",
                ghz, peak / 1e9);
  else
    std::printf("\n== %s: no peak claimed\n", i8::SimdName(simd));
  std::printf("%-16s %12s %10s %9s %8s %8s %8s\n", "step", "MACs", "us", "GMAC/s", "MAC/cyc",
              "of peak", "of time");
  int64_t macs = 0, conv_ns = 0, other_ns = 0, sum_ns = 0;
  for (const auto& s : best) sum_ns += s.ns;
  for (const auto& s : best) {
    macs += s.macs;
    (s.macs > 0 ? conv_ns : other_ns) += s.ns;
    const double share = 100.0 * static_cast<double>(s.ns) / static_cast<double>(sum_ns);
    if (s.macs > 0) {
      const double rate = s.ns > 0 ? static_cast<double>(s.macs) / (s.ns * 1e-9) : 0;
      std::printf("%-16s %12lld %10.1f %9.1f %8.1f %8s %7.1f%%\n", s.name.c_str(),
                  static_cast<long long>(s.macs), s.ns / 1e3, rate / 1e9, rate / (ghz * 1e9),
                  Percent(rate, peak).c_str(), share);
    } else {
      std::printf("%-16s %12s %10.1f %9s %8s %8s %7.1f%%\n", s.name.c_str(), "-", s.ns / 1e3, "-",
                  "-", "-", share);
    }
  }
  const double median_ms = static_cast<double>(totals[totals.size() / 2]) / 1e6;
  const double frame_rate = static_cast<double>(macs) / (median_ms * 1e-3);
  const double conv_rate = static_cast<double>(macs) / (static_cast<double>(conv_ns) * 1e-9);
  std::printf(
      "frame: %.1f MMAC; engine median %.3f ms (sum of step minima %.3f ms: convolutions %.3f "
      "ms, the rest %.3f ms); %.1f GMAC/s = %.1f MAC/cycle = %s of one core's peak; "
      "convolutions alone %.1f GMAC/s = %s\n",
      macs / 1e6, median_ms, sum_ns / 1e6, conv_ns / 1e6, other_ns / 1e6, frame_rate / 1e9,
      frame_rate / (ghz * 1e9), Percent(frame_rate, peak).c_str(), conv_rate / 1e9,
      Percent(conv_rate, peak).c_str());
}

// The plugin's whole frame outside the harness, by part: ResizeToInput of a
// 640x480 BGR frame, Engine::Run with 1 and with 2 threads, Engine::RunImage
// (the plugin's call: the resize as the engine's first step, split over the
// threads) with each, Decode. Medians over the frames, in µs.
void Pipeline(const ref::Int8Model& model, i8::Simd simd, int frames,
              const std::vector<uint8_t>& bgr, int width, int height) {
  auto median_us = [](std::vector<int64_t> v) {
    std::sort(v.begin(), v.end());
    return static_cast<double>(v[v.size() / 2]) / 1e3;
  };
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto ns = [](auto a, auto b) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
  };
  std::vector<uint8_t> rgb;
  std::vector<int64_t> resize, decode;
  for (int f = 0; f < frames + 3; ++f) {
    const auto t0 = now();
    ref::ResizeToInput(bgr.data(), width, height, static_cast<size_t>(width) * 3, true, &rgb);
    if (f >= 3) resize.push_back(ns(t0, now()));
  }
  std::printf("%-16s %10.1f us\n", "resize (BGR)", median_us(resize));
  for (int threads : {1, 2}) {
    i8::Engine engine(&model, i8::EngineOptions{threads, simd});
    std::vector<int64_t> run;
    for (int f = 0; f < frames + 3; ++f) {
      const auto t0 = now();
      engine.Run(rgb.data());
      if (f >= 3) run.push_back(ns(t0, now()));
      if (threads == 1) {
        const auto t1 = now();
        const std::vector<ref::Detection> d =
            ref::Decode(engine.HeadLogits().data(), width, height);
        if (f >= 3) decode.push_back(ns(t1, now()));
      }
    }
    std::printf("engine, %d thread%s %10.1f us\n", threads, threads > 1 ? "s" : " ",
                median_us(run));
    // The plugin's call: the frame itself, resized as the engine's first step.
    std::vector<int64_t> image;
    for (int f = 0; f < frames + 3; ++f) {
      const auto t0 = now();
      engine.RunImage(bgr.data(), width, height, static_cast<size_t>(width) * 3, true);
      if (f >= 3) image.push_back(ns(t0, now()));
    }
    std::printf("RunImage, %d thr. %10.1f us\n", threads, median_us(image));
  }
  std::printf("%-16s %10.1f us\n", "decode", median_us(decode));
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 20;
  double ghz = 0, peak_override = 0;
  bool ghz_given = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc || (a != "--frames" && a != "--ghz" && a != "--peak" && a != "--isa")) {
      std::fprintf(stderr,
                   "usage: int8_roofline [--frames N] [--ghz G] [--peak MACS_PER_CYCLE] "
                   "[--isa amx|avx512-vnni|avx2|scalar]\n");
      return 2;
    }
    const char* v = argv[++i];
    if (a == "--frames") frames = std::max(1, std::atoi(v));
    if (a == "--ghz") ghz = std::atof(v), ghz_given = true;
    if (a == "--peak") peak_override = std::atof(v);
    if (a == "--isa") only = v;
  }
  const double nominal = std::atof(CpuinfoField("cpu MHz").c_str()) / 1000.0;
  if (!ghz_given) ghz = maskbench::bench::MeasuredGhz();
  if (ghz <= 0) ghz = nominal;
  if (ghz <= 0) {
    std::fprintf(stderr, "int8_roofline: no clock in /proc/cpuinfo: give --ghz\n");
    return 2;
  }
  const std::string path = std::string(MASKBENCH_SOURCE_DIR) + "/reference/model/refnet-int8.json";
  maskbench::Result<ref::Int8Model> model = ref::LoadInt8Model(path);
  if (!model.ok()) {
    std::fprintf(stderr, "int8_roofline: %s\n", model.status().ToString().c_str());
    return 1;
  }
  // A deterministic input (the golden test's pattern), already at the network's size.
  std::vector<uint8_t> rgb(3 * ref::kInputSize * ref::kInputSize);
  for (int y = 0; y < ref::kInputSize; ++y)
    for (int x = 0; x < ref::kInputSize; ++x)
      for (int c = 0; c < 3; ++c)
        rgb[(y * ref::kInputSize + x) * 3 + c] =
            static_cast<uint8_t>((7 * x + 13 * y + 71 * c + (x * y) % 11) % 256);
  // A 640x480 BGR frame: smooth gradients with a few bright discs (faces of a sort).
  constexpr int kFrameWidth = 640, kFrameHeight = 480;
  std::vector<uint8_t> bgr(static_cast<size_t>(3) * kFrameWidth * kFrameHeight);
  for (int y = 0; y < kFrameHeight; ++y)
    for (int x = 0; x < kFrameWidth; ++x) {
      uint8_t* px = &bgr[(static_cast<size_t>(y) * kFrameWidth + x) * 3];
      const int d = ((x % 160) - 80) * ((x % 160) - 80) + ((y % 160) - 80) * ((y % 160) - 80);
      const int disc = d < 900 ? 120 : 0;
      px[0] = static_cast<uint8_t>((x / 3 + disc) % 256);
      px[1] = static_cast<uint8_t>((y / 2 + disc) % 256);
      px[2] = static_cast<uint8_t>((x + y) / 5 % 256);
    }
  std::printf(
      "CPU: %s, clock %.3f GHz (%s; /proc/cpuinfo says %.3f), one thread, %d frames per path\n",
      CpuinfoField("model name").c_str(), ghz,
      ghz_given ? "--ghz" : "measured: dependent multiplies", nominal, frames);
  for (i8::Simd simd :
       {i8::Simd::kAmx, i8::Simd::kAvx512Vnni, i8::Simd::kAvx2, i8::Simd::kScalar}) {
    if (!only.empty() && only != i8::SimdName(simd)) continue;
    if (!i8::CpuSupports(simd)) {
      std::printf("\n== %s: skipped, this CPU does not have it\n", i8::SimdName(simd));
      continue;
    }
    Profile(*model, simd, frames, ghz, peak_override, rgb);
    std::printf("-- %s, the plugin's frame by part (medians):\n", i8::SimdName(simd));
    Pipeline(*model, simd, frames, bgr, kFrameWidth, kFrameHeight);
  }
  return 0;
}
