#include "maskbench/datasets/frame_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "maskbench/core/files.h"
#include "maskbench/datasets/synth.h"

namespace maskbench::datasets {
namespace {

namespace fs = std::filesystem;

class FrameCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("maskbench-fcache-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  Dataset Synth(const std::string& name, int frames, bool video = false) {
    SynthOptions o;
    o.frames = frames;
    o.seed = 3;
    o.video = video;
    auto ds = SynthesizeDataset(root_ / name, o);
    EXPECT_TRUE(ds.ok()) << ds.status().ToString();
    return std::move(ds).value();
  }
  fs::path root_;
};

// The frame as cv::Mat (a view of the cache's bytes).
cv::Mat View(const FrameView& v) {
  return cv::Mat(v.height, v.width, CV_8UC3, const_cast<uint8_t*>(v.data), v.stride);
}

FrameCacheOptions InMemory() {
  FrameCacheOptions o;
  o.in_memory = true;
  return o;
}

bool SamePixels(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  cv::Mat d;
  cv::absdiff(a, b, d);
  return cv::countNonZero(d.reshape(1)) == 0;
}

TEST_F(FrameCacheTest, FirstOpenDecodesSecondOpenMapsTheSamePixels) {
  Dataset ds = Synth("ds", 6);
  auto first = FrameCache::Open(ds, "");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE((*first)->decoded());
  ASSERT_EQ((*first)->size(), 6u);
  std::string path = (*first)->cache_path();
  EXPECT_EQ(path, FrameCachePath(ds, ""));
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::path(path).parent_path(), ds.dir / ".cache");

  auto second = FrameCache::Open(ds, "");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE((*second)->decoded());
  ASSERT_EQ((*second)->size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    FrameView v = (*second)->Get(i);
    const Frame& f = ds.manifest.frames[i];
    EXPECT_EQ(v.frame_id, f.id);
    EXPECT_EQ(v.width, 640);
    EXPECT_EQ(v.height, 480);
    EXPECT_EQ(v.stride, 640u * 3);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data) % 64, 0u);
    cv::Mat decoded = cv::imread(ds.MediaPath(f).string(), cv::IMREAD_COLOR);
    EXPECT_TRUE(SamePixels(View(v), decoded)) << "frame " << i;
    EXPECT_TRUE(SamePixels(View(v), View((*first)->Get(i))));
  }
}

TEST_F(FrameCacheTest, SplitsHaveTheirOwnFiles) {
  Dataset ds = Synth("ds", 10);
  auto val = FrameCache::Open(ds, "val");
  ASSERT_TRUE(val.ok()) << val.status().ToString();
  auto val_frames = ds.manifest.FramesOfSplit("val");
  ASSERT_EQ((*val)->size(), val_frames.size());
  ASSERT_EQ(val_frames.size(), 2u);
  for (size_t i = 0; i < val_frames.size(); ++i) {
    EXPECT_EQ((*val)->Get(i).frame_id, val_frames[i]->id);
    cv::Mat decoded = cv::imread(ds.MediaPath(*val_frames[i]).string(), cv::IMREAD_COLOR);
    EXPECT_TRUE(SamePixels(View((*val)->Get(i)), decoded));
  }
  auto train = FrameCache::Open(ds, "train");
  ASSERT_TRUE(train.ok());
  EXPECT_TRUE((*train)->decoded());
  EXPECT_EQ((*train)->size(), 8u);
  EXPECT_NE((*train)->cache_path(), (*val)->cache_path());
  auto val_again = FrameCache::Open(ds, "val");
  ASSERT_TRUE(val_again.ok());
  EXPECT_FALSE((*val_again)->decoded());

  auto bad = FrameCache::Open(ds, "test");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"test\""), std::string::npos);
}

TEST_F(FrameCacheTest, ChangedManifestRebuildsAndDropsTheStaleFile) {
  Dataset ds = Synth("ds", 3);
  auto first = FrameCache::Open(ds, "");
  ASSERT_TRUE(first.ok());
  std::string old_path = (*first)->cache_path();
  first->reset();
  Manifest m = ds.manifest;
  m.name = "renamed";
  ASSERT_TRUE(SaveManifest(ds.dir, m).ok());
  auto changed = LoadDataset(ds.dir);
  ASSERT_TRUE(changed.ok());
  ASSERT_NE(changed->manifest_sha256, ds.manifest_sha256);
  auto again = FrameCache::Open(*changed, "");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE((*again)->decoded());
  EXPECT_NE((*again)->cache_path(), old_path);
  EXPECT_FALSE(fs::exists(old_path));
}

// Damages the cache file in place.
void Overwrite(const std::string& path, size_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_F(FrameCacheTest, DamagedCacheFileIsRebuilt) {
  Dataset ds = Synth("ds", 3);
  std::string path;
  {
    auto c = FrameCache::Open(ds, "");
    ASSERT_TRUE(c.ok());
    path = (*c)->cache_path();
  }
  cv::Mat expect = cv::imread(ds.MediaPath(ds.manifest.frames[2]).string(), cv::IMREAD_COLOR);
  // A flipped byte in the frame table (frame 2's width), a bad magic, then a truncated file.
  for (int damage = 0; damage < 3; ++damage) {
    if (damage == 0) Overwrite(path, 192 + 2 * 80 + 8, "\x7f");
    if (damage == 1) Overwrite(path, 0, "XX");
    if (damage == 2) fs::resize_file(path, fs::file_size(path) - 100);
    auto c = FrameCache::Open(ds, "");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_TRUE((*c)->decoded()) << "damage " << damage;
    EXPECT_TRUE(SamePixels(View((*c)->Get(2)), expect));
    auto again = FrameCache::Open(ds, "");
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE((*again)->decoded());
  }
}

TEST_F(FrameCacheTest, UndecodableImageNamesTheFile) {
  Dataset ds = Synth("ds", 3);
  std::string victim = ds.MediaPath(ds.manifest.frames[1]).string();
  ASSERT_TRUE(WriteFileAtomic(victim, "this is not a JPEG").ok());
  ds.manifest.media[ds.manifest.frames[1].media].sha256 = Sha256Hex("this is not a JPEG");
  auto c = FrameCache::Open(ds, "");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kCorruption);
  EXPECT_NE(c.status().message().find(victim), std::string::npos) << c.status().message();
  // Nothing half-built is left behind.
  EXPECT_FALSE(fs::exists(FrameCachePath(ds, "")));
  for (const auto& e : fs::directory_iterator(ds.dir / ".cache"))
    ADD_FAILURE() << "left behind: " << e.path();
}

TEST_F(FrameCacheTest, ASourceChangedAfterImportIsAnErrorNamingIt) {
  Dataset ds = Synth("ds", 3);
  ASSERT_TRUE(FrameCache::Open(ds, "").ok());  // cached while intact
  const std::string victim = ds.MediaPath(ds.manifest.frames[1]).string();
  // Truncated after import: the cache sees the change and the rebuild checks the hash.
  fs::resize_file(victim, fs::file_size(victim) / 2);
  auto c = FrameCache::Open(ds, "");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kCorruption);
  EXPECT_NE(c.status().message().find(victim), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("SHA-256"), std::string::npos) << c.status().message();
  // Gone altogether.
  fs::remove(victim);
  c = FrameCache::Open(ds, "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(victim), std::string::npos) << c.status().message();
}

TEST_F(FrameCacheTest, ATouchedButIdenticalSourceRebuildsCleanly) {
  Dataset ds = Synth("ds", 2);
  ASSERT_TRUE(FrameCache::Open(ds, "").ok());
  const fs::path victim = ds.MediaPath(ds.manifest.frames[0]);
  fs::last_write_time(victim, fs::last_write_time(victim) + std::chrono::seconds(5));
  auto c = FrameCache::Open(ds, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE((*c)->decoded());
  auto again = FrameCache::Open(ds, "");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)->decoded());
}

TEST_F(FrameCacheTest, PoisonedPixelsFailVerifyNamingTheFrame) {
  Dataset ds = Synth("ds", 3);
  std::string path;
  {
    auto c = FrameCache::Open(ds, "");
    ASSERT_TRUE(c.ok());
    path = (*c)->cache_path();
    for (size_t i = 0; i < 3; ++i) EXPECT_TRUE((*c)->Verify(i).ok());
  }
  // Zero 100 pixels of frame 1 (its header and table stay valid).
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    // The first frame starts at header_bytes (offset 12 in the header).
    uint32_t header_bytes = 0;
    f.seekg(12);
    f.read(reinterpret_cast<char*>(&header_bytes), 4);
    const size_t frame_bytes = 640 * 3 * 480;
    const size_t frame1 = (header_bytes + frame_bytes + 63) / 64 * 64;
    f.seekp(static_cast<std::streamoff>(frame1 + 1000));
    const std::string zeros(300, '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  auto poisoned = FrameCache::Open(ds, "");
  ASSERT_TRUE(poisoned.ok());
  EXPECT_FALSE((*poisoned)->decoded());  // the header still matches: mapped as is
  EXPECT_TRUE((*poisoned)->Verify(0).ok());
  Status bad = (*poisoned)->Verify(1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), Status::Code::kCorruption);
  EXPECT_NE(bad.message().find(path), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find("frame 1 (id"), std::string::npos) << bad.message();
}

TEST_F(FrameCacheTest, SizeDifferentFromTheManifestIsAnError) {
  Dataset ds = Synth("ds", 2);
  ds.manifest.frames[0].width = 320;
  auto c = FrameCache::Open(ds, "", InMemory());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("frame_00000.jpg"), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("640x480"), std::string::npos);
}

TEST_F(FrameCacheTest, InMemoryWritesNoFile) {
  Dataset ds = Synth("ds", 2);
  auto c = FrameCache::Open(ds, "", InMemory());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->decoded());
  EXPECT_EQ((*c)->cache_path(), "");
  EXPECT_FALSE(fs::exists(ds.dir / ".cache"));
  cv::Mat expect = cv::imread(ds.MediaPath(ds.manifest.frames[1]).string(), cv::IMREAD_COLOR);
  EXPECT_TRUE(SamePixels(View((*c)->Get(1)), expect));
}

TEST_F(FrameCacheTest, UnwritableCacheDirFallsBackToMemory) {
  Dataset ds = Synth("ds", 2);
  ASSERT_TRUE(WriteFileAtomic(root_ / "plain-file", "x").ok());
  FrameCacheOptions o;
  o.cache_dir = (root_ / "plain-file" / "cache").string();  // below a file: cannot exist
  auto c = FrameCache::Open(ds, "", o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE((*c)->decoded());
  EXPECT_EQ((*c)->cache_path(), "");
  EXPECT_EQ((*c)->size(), 2u);
}

TEST_F(FrameCacheTest, CacheDirOptionAndSingleThread) {
  Dataset ds = Synth("ds", 4);
  FrameCacheOptions o;
  o.cache_dir = (root_ / "elsewhere").string();
  o.threads = 1;
  auto c = FrameCache::Open(ds, "", o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(fs::path((*c)->cache_path()).parent_path(), root_ / "elsewhere");
  auto again = FrameCache::Open(ds, "", o);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)->decoded());
  // Another data set's cache in the same folder is left alone.
  Dataset other = Synth("other", 2);
  auto c2 = FrameCache::Open(other, "", o);
  ASSERT_TRUE(c2.ok());
  EXPECT_TRUE(fs::exists((*c)->cache_path()));
  for (size_t i = 0; i < 4; ++i) {
    cv::Mat expect = cv::imread(ds.MediaPath(ds.manifest.frames[i]).string(), cv::IMREAD_COLOR);
    EXPECT_TRUE(SamePixels(View((*again)->Get(i)), expect));
  }
}

TEST_F(FrameCacheTest, EmptySplitAndInMemoryManifestWork) {
  Dataset ds = Synth("ds", 2);
  ds.manifest.splits.push_back("test");  // a split without frames
  ds.manifest_sha256.clear();            // as if built in memory: hashed from its JSON
  EXPECT_NE(FrameCachePath(ds, "test").find(Sha256Hex(ManifestToJson(ds.manifest)).substr(0, 16)),
            std::string::npos);
  auto c = FrameCache::Open(ds, "test");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->size(), 0u);
  auto again = FrameCache::Open(ds, "test");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)->decoded());
}

TEST_F(FrameCacheTest, VideoFramesDecodeInOrderAndBySplit) {
  Dataset ds = Synth("clip", 8, /*video=*/true);
  auto c = FrameCache::Open(ds, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ((*c)->size(), 8u);
  cv::VideoCapture cap(ds.MediaPath(ds.manifest.media[0]).string());
  ASSERT_TRUE(cap.isOpened());
  std::vector<cv::Mat> frames;
  for (cv::Mat m; cap.read(m);) frames.push_back(m.clone());
  ASSERT_EQ(frames.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ((*c)->Get(i).frame_id, ds.manifest.frames[i].id);
    EXPECT_TRUE(SamePixels(View((*c)->Get(i)), frames[i])) << "frame " << i;
  }
  auto val = FrameCache::Open(ds, "val");  // the last 20%: frame 7
  ASSERT_TRUE(val.ok());
  ASSERT_EQ((*val)->size(), 1u);
  EXPECT_TRUE(SamePixels(View((*val)->Get(0)), frames[7]));
}

TEST_F(FrameCacheTest, VideoFramePastTheEndNamesFileAndIndex) {
  Dataset ds = Synth("clip", 4, /*video=*/true);
  Frame extra = ds.manifest.frames.back();
  extra.id = 100;
  extra.frame_index = 50;
  ds.manifest.frames.push_back(extra);
  auto c = FrameCache::Open(ds, "", InMemory());
  ASSERT_FALSE(c.ok());
  const std::string& msg = c.status().message();
  EXPECT_NE(msg.find("clip.avi"), std::string::npos) << msg;
  EXPECT_NE(msg.find("frame 50"), std::string::npos) << msg;
}

}  // namespace
}  // namespace maskbench::datasets
