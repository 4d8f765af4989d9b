// The ABI header compiles as C11 and C++20 (pedantic, -Werror) with one layout,
// and the C++ helper turns a class into a working entry.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "maskbench/accelerator.hpp"

extern "C" size_t mb_test_c_layout(size_t index);

namespace {

TEST(AbiTest, CAndCppSeeTheSameLayout) {
  const size_t cpp[] = {
      sizeof(mb_version_t),
      sizeof(mb_frame_t),
      offsetof(mb_frame_t, sequence),
      sizeof(mb_detection_t),
      offsetof(mb_detection_t, class_id),
      sizeof(mb_accelerator_t),
      offsetof(mb_accelerator_t, infer),
      offsetof(mb_accelerator_t, get_extension),
      sizeof(mb_accelerator_entry_t),
      offsetof(mb_accelerator_entry_t, create),
      sizeof(mb_ext_cycles_t),
      sizeof(mb_ext_batch_t),
      sizeof(mb_ext_describe_t),
      static_cast<size_t>(mb_version_is_compatible(mb_version_t MB_ABI_VERSION_INIT)),
  };
  for (size_t i = 0; i < std::size(cpp); ++i)
    EXPECT_EQ(cpp[i], mb_test_c_layout(i)) << "item " << i;
  EXPECT_EQ(mb_test_c_layout(std::size(cpp)), static_cast<size_t>(-1));
  EXPECT_EQ(offsetof(mb_accelerator_entry_t, version), 0u);
  EXPECT_EQ(offsetof(mb_accelerator_t, version), 0u);
}

TEST(AbiTest, CompatibilityIsByMajorVersion) {
  EXPECT_TRUE(mb_version_is_compatible(mb_version_t{MB_ABI_VERSION_MAJOR, 99, 7}));
  EXPECT_FALSE(mb_version_is_compatible(mb_version_t{MB_ABI_VERSION_MAJOR + 1, 0, 0}));
  EXPECT_FALSE(mb_version_is_compatible(mb_version_t{0, MB_ABI_VERSION_MINOR, 0}));
}

// A class written the way an author writes one.
class Counter {
 public:
  Counter(const std::string& config, const std::filesystem::path& dir) : dir_(dir) {
    if (config.find("fail") != std::string::npos) throw std::runtime_error("bad config: " + config);
  }
  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame& frame) {
    if (frame.sequence == 2) throw std::runtime_error("frame 2 is cursed");
    if (frame.sequence == 3) throw maskbench::abi::Error(MB_ERR_IO, "disk gone");
    if (frame.sequence == 4) throw std::bad_alloc();
    if (frame.sequence == 5) throw 42;
    ++calls_;
    std::vector<mb_detection_t> out;
    for (int i = 0; i < 3; ++i) out.push_back(mb_detection_t{1.f * i, 2, 3, 4, i, 0.5f});
    return out;
  }
  uint64_t Cycles() const { return 1000 * calls_; }
  uint64_t ClockHz() const { return 500'000'000; }
  static constexpr const char* kName = "counter";
  static constexpr const char* kTeam = "abi-test";
  static constexpr const char* kVersion = "0.0.1";

 private:
  std::filesystem::path dir_;
  uint64_t calls_ = 0;
};

class Plain {
 public:
  Plain(const std::string&, const std::filesystem::path&) {}
  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame&) { return {}; }
};

constexpr mb_accelerator_entry_t kCounterEntry = maskbench::abi::internal::MakeEntry<Counter>();
constexpr mb_accelerator_entry_t kPlainEntry = maskbench::abi::internal::MakeEntry<Plain>();

TEST(AbiTest, HelperBuildsAWorkingInstance) {
  EXPECT_EQ(kCounterEntry.version.major, static_cast<uint32_t>(MB_ABI_VERSION_MAJOR));
  char error[64] = "";
  mb_accelerator_t* a = kCounterEntry.create("{}", "/tmp", error, sizeof error);
  ASSERT_NE(a, nullptr) << error;
  EXPECT_EQ(a->version.major, static_cast<uint32_t>(MB_ABI_VERSION_MAJOR));

  std::vector<uint8_t> pixels(4 * 4 * 3, 0);
  mb_frame_t frame{pixels.data(), 4, 4, 12, MB_PIXEL_FORMAT_BGR8, 0};
  mb_detection_t dets[2];
  uint32_t count = 0;
  ASSERT_EQ(a->infer(a, &frame, dets, 2, &count, error, sizeof error), MB_OK);
  EXPECT_EQ(count, 3u);  // overflow is reported, only 2 written
  EXPECT_EQ(dets[1].class_id, 1);

  auto* cycles = static_cast<const mb_ext_cycles_t*>(a->get_extension(a, MB_EXT_CYCLES));
  ASSERT_NE(cycles, nullptr);
  uint64_t c = 0;
  EXPECT_EQ(cycles->last_frame_cycles(a, &c), MB_OK);
  EXPECT_EQ(c, 1000u);
  EXPECT_EQ(cycles->clock_hz(a), 500'000'000u);
  EXPECT_EQ(a->get_extension(a, "maskbench.unknown/1"), nullptr);

  auto* describe =
      static_cast<const mb_ext_describe_t*>(kCounterEntry.get_extension(MB_EXT_DESCRIBE));
  ASSERT_NE(describe, nullptr);
  EXPECT_STREQ(describe->name, "counter");
  EXPECT_STREQ(describe->team, "abi-test");
  a->destroy(a);
}

TEST(AbiTest, ExceptionsBecomeCodesAndText) {
  char error[16] = "";
  mb_accelerator_t* a = kCounterEntry.create("{\"fail\":1}", "/tmp", error, sizeof error);
  EXPECT_EQ(a, nullptr);
  EXPECT_STREQ(error, "bad config: {\"f");  // truncated to the buffer, NUL-terminated

  char big[128];
  a = kCounterEntry.create("{}", "/tmp", big, sizeof big);
  ASSERT_NE(a, nullptr);
  std::vector<uint8_t> pixels(12, 0);
  mb_detection_t dets[4];
  uint32_t count = 0;
  struct Case {
    uint64_t sequence;
    int32_t code;
    const char* text;
  };
  for (const Case& c :
       {Case{2, MB_ERR_EXCEPTION, "frame 2 is cursed"}, Case{3, MB_ERR_IO, "disk gone"},
        Case{4, MB_ERR_OUT_OF_MEMORY, "std::bad_alloc"},
        Case{5, MB_ERR_EXCEPTION, "unknown C++ exception"}}) {
    mb_frame_t frame{pixels.data(), 2, 2, 6, MB_PIXEL_FORMAT_BGR8, c.sequence};
    EXPECT_EQ(a->infer(a, &frame, dets, 4, &count, big, sizeof big), c.code) << c.sequence;
    EXPECT_STREQ(big, c.text);
  }
  a->destroy(a);
}

TEST(AbiTest, OptionalFeaturesAreAbsentWhenNotWritten) {
  EXPECT_EQ(kPlainEntry.get_extension(MB_EXT_DESCRIBE), nullptr);
  char error[32];
  mb_accelerator_t* a = kPlainEntry.create("{}", ".", error, sizeof error);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->get_extension(a, MB_EXT_CYCLES), nullptr);
  a->destroy(a);
}

}  // namespace
