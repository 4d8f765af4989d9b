// Loads the built reference plugins through the real C ABI (dlopen + the one
// exported symbol) from <build>/submissions/, as the runner does.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/accelerator.h"
#include "maskbench/reference/int8_executor.h"
#include "maskbench/reference/postprocess.h"

namespace maskbench::reference {
namespace {

std::filesystem::path SubmissionDir(const std::string& name) {
  const char* b = std::getenv("MASKBENCH_BUILD_DIR");
  return std::filesystem::path(b ? b : ".") / "submissions" / name;
}

struct Plugin {
  void* handle = nullptr;
  const mb_accelerator_entry_t* entry = nullptr;
  explicit Plugin(const std::string& name) {
    const auto so = SubmissionDir(name) / ("lib" + name + ".so");
    handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) entry = static_cast<const mb_accelerator_entry_t*>(dlsym(handle, MB_ENTRY_SYMBOL));
  }
  ~Plugin() {
    if (handle) dlclose(handle);
  }
};

// A BGR frame with a soft diagonal pattern, 200x150, row stride padded.
std::vector<uint8_t> TestFrame(mb_frame_t* f) {
  const uint32_t w = 200, h = 150, stride = 3 * w + 4;
  std::vector<uint8_t> px(static_cast<size_t>(stride) * h, 0);
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x)
      for (uint32_t c = 0; c < 3; ++c)
        px[y * stride + 3 * x + c] = static_cast<uint8_t>((x + 2 * y + 60 * c) % 256);
  *f = {px.data(), w, h, stride, MB_PIXEL_FORMAT_BGR8, 0};
  return px;
}

void CheckDetections(const std::vector<mb_detection_t>& d, uint32_t n, const mb_frame_t& f) {
  for (uint32_t i = 0; i < n; ++i) {
    EXPECT_GE(d[i].x, 0.0f);
    EXPECT_GE(d[i].y, 0.0f);
    EXPECT_LE(d[i].x + d[i].w, static_cast<float>(f.width) + 1e-3f);
    EXPECT_LE(d[i].y + d[i].h, static_cast<float>(f.height) + 1e-3f);
    EXPECT_GE(d[i].class_id, 0);
    EXPECT_LT(d[i].class_id, 3);
    EXPECT_GE(d[i].score, 0.05f);
    EXPECT_LE(d[i].score, 1.0f);
  }
}

TEST(ReferencePluginTest, BaselineRunsAndReportsCycles) {
  Plugin p("reference-baseline");
  ASSERT_NE(p.entry, nullptr) << dlerror();
  EXPECT_TRUE(mb_version_is_compatible(p.entry->version));
  auto* d = static_cast<const mb_ext_describe_t*>(p.entry->get_extension(MB_EXT_DESCRIBE));
  ASSERT_NE(d, nullptr);
  EXPECT_STREQ(d->name, "reference-baseline");
  char err[256] = {0};
  const std::string dir = SubmissionDir("reference-baseline").string();
  mb_accelerator_t* a = p.entry->create("{}", dir.c_str(), err, sizeof err);
  ASSERT_NE(a, nullptr) << err;
  auto* cyc = static_cast<const mb_ext_cycles_t*>(a->get_extension(a, MB_EXT_CYCLES));
  ASSERT_NE(cyc, nullptr);
  EXPECT_EQ(cyc->clock_hz(a), 200'000'000u);

  mb_frame_t f;
  std::vector<uint8_t> px = TestFrame(&f);
  std::vector<mb_detection_t> dets(100);
  uint32_t n = 0;
  ASSERT_EQ(a->infer(a, &f, dets.data(), 100, &n, err, sizeof err), MB_OK) << err;
  CheckDetections(dets, std::min(n, 100u), f);
  uint64_t c1 = 0, c2 = 0;
  ASSERT_EQ(cyc->last_frame_cycles(a, &c1), MB_OK);
  uint32_t n2 = 0;
  std::vector<mb_detection_t> dets2(100);
  ASSERT_EQ(a->infer(a, &f, dets2.data(), 100, &n2, err, sizeof err), MB_OK) << err;
  ASSERT_EQ(cyc->last_frame_cycles(a, &c2), MB_OK);
  EXPECT_EQ(c1, c2);
  ASSERT_EQ(n, n2);
  EXPECT_EQ(0, std::memcmp(dets.data(), dets2.data(), sizeof(mb_detection_t) * std::min(n, 100u)));

  // The cycles equal the executor's own count for the same input.
  Result<Int8Model> m = LoadInt8Model(SubmissionDir("reference-baseline") / "refnet-int8.json");
  ASSERT_TRUE(m.ok());
  std::vector<uint8_t> rgb;
  ResizeToInput(f.pixels, f.width, f.height, f.stride, true, &rgb);
  Int8Executor ex(&*m);
  Int8Output out;
  ex.Run(rgb.data(), &out);
  EXPECT_EQ(out.cycles, c1);
  a->destroy(a);
}

TEST(ReferencePluginTest, Fp32RunsWithoutCycles) {
  Plugin p("reference-fp32");
  ASSERT_NE(p.entry, nullptr) << dlerror();
  char err[256] = {0};
  const std::string dir = SubmissionDir("reference-fp32").string();
  mb_accelerator_t* a =
      p.entry->create("{\"score_threshold\": 0.05}", dir.c_str(), err, sizeof err);
  ASSERT_NE(a, nullptr) << err;
  EXPECT_EQ(a->get_extension(a, MB_EXT_CYCLES), nullptr);
  mb_frame_t f;
  std::vector<uint8_t> px = TestFrame(&f);
  std::vector<mb_detection_t> dets(100);
  uint32_t n = 0;
  ASSERT_EQ(a->infer(a, &f, dets.data(), 100, &n, err, sizeof err), MB_OK) << err;
  CheckDetections(dets, std::min(n, 100u), f);
  a->destroy(a);
}

TEST(ReferencePluginTest, BadConfigOrMissingModelFailsWithAReason) {
  Plugin p("reference-fp32");
  ASSERT_NE(p.entry, nullptr) << dlerror();
  char err[256] = {0};
  const std::string dir = SubmissionDir("reference-fp32").string();
  EXPECT_EQ(p.entry->create("{\"nms\": 3}", dir.c_str(), err, sizeof err), nullptr);
  EXPECT_NE(std::string(err).find("nms"), std::string::npos) << err;
  EXPECT_EQ(p.entry->create("{}", "/nonexistent-dir", err, sizeof err), nullptr);
  EXPECT_NE(std::string(err).find("/nonexistent-dir/refnet.onnx"), std::string::npos) << err;

  Plugin b("reference-baseline");
  ASSERT_NE(b.entry, nullptr) << dlerror();
  EXPECT_EQ(b.entry->create("{}", "/nonexistent-dir", err, sizeof err), nullptr);
  EXPECT_NE(std::string(err).find("/nonexistent-dir/refnet-int8.json"), std::string::npos) << err;
}

}  // namespace
}  // namespace maskbench::reference
