// systolic_report: prints the systolic-16x16 per-layer cycle and utilisation
// table (Markdown) for one frame, and the modeled speedup over the baseline's
// modeled latency (the naive executor's cycles at its clock).
//
//   <build>/submissions/systolic-16x16/systolic_report [refnet-int8.json]
#include <cstdio>

#include "maskbench/reference/int8_executor.h"
#include "maskbench/reference/postprocess.h"
#include "systolic_model.h"

int main(int argc, char** argv) {
  namespace ref = maskbench::reference;
  const char* path = argc > 1 ? argv[1] : MASKBENCH_SYSTOLIC_DEFAULT_MODEL;
  maskbench::Result<ref::Int8Model> m = ref::LoadInt8Model(path);
  if (!m.ok()) {
    std::fprintf(stderr, "systolic_report: %s\n", m.status().ToString().c_str());
    return 1;
  }
  std::vector<uint8_t> rgb(3 * ref::kInputSize * ref::kInputSize);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 7) % 251);
  maskbench::systolic::SystolicModel npu(&*m);
  npu.Run(rgb.data());
  std::printf("%s", maskbench::systolic::LayerTable(npu.layers(), npu.hardware()).c_str());
  ref::Int8Executor baseline(&*m);
  ref::Int8Output out;
  baseline.Run(rgb.data(), &out);
  const double base_s =
      static_cast<double>(out.cycles) / static_cast<double>(baseline.cycle_model().clock_hz);
  const double npu_s =
      static_cast<double>(npu.cycles()) / static_cast<double>(npu.hardware().clock_hz);
  std::printf("reference-baseline: %llu cycles at %.0f MHz = %.3f ms; modeled speedup %.1fx\n",
              static_cast<unsigned long long>(out.cycles), baseline.cycle_model().clock_hz / 1e6,
              1e3 * base_s, base_s / npu_s);
  return 0;
}
