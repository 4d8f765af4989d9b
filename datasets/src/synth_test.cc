#include "maskbench/datasets/synth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <tuple>

#include "maskbench/core/files.h"
#include "maskbench/datasets/verify.h"
#include "synth_internal.h"

namespace maskbench::datasets {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test under the system temp dir, removed afterwards.
class SynthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("maskbench-synth-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

SynthOptions Small(uint64_t seed, int frames = 12) {
  SynthOptions o;
  o.seed = seed;
  o.frames = frames;
  return o;
}

TEST(SynthRngTest, EngineAndDistributionsAreFixed) {
  // The standard fixes mt19937_64's 10000th output for the default seed.
  internal::SynthRng r(5489u);
  uint64_t v = 0;
  for (int i = 0; i < 10000; ++i) v = r.Bits();
  EXPECT_EQ(v, 9981545732273789042ull);
  internal::SynthRng a(42), b(42);
  double sum = 0, sq = 0;
  for (int i = 0; i < 20000; ++i) {
    double u = a.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    EXPECT_EQ(u, b.Uniform());
    double n = a.Normal(0, 1);
    EXPECT_EQ(n, b.Normal(0, 1));
    sum += n;
    sq += n * n;
  }
  EXPECT_NEAR(sum / 20000, 0.0, 0.05);
  EXPECT_NEAR(sq / 20000, 1.0, 0.05);
  EXPECT_NE(internal::MixSeed(1, 2, 3), internal::MixSeed(1, 2, 4));
  EXPECT_NE(internal::MixSeed(1, 2, 3), internal::MixSeed(2, 2, 3));
}

TEST_F(SynthTest, SameSeedGivesByteIdenticalFiles) {
  auto a = SynthesizeDataset(root_ / "a", Small(7));
  auto b = SynthesizeDataset(root_ / "b", Small(7));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->manifest_sha256, b->manifest_sha256);
  ASSERT_EQ(a->manifest.media.size(), 12u);
  ASSERT_EQ(a->manifest.media.size(), b->manifest.media.size());
  for (size_t i = 0; i < a->manifest.media.size(); ++i) {
    auto fa = ReadFile(a->MediaPath(a->manifest.media[i]));
    auto fb = ReadFile(b->MediaPath(b->manifest.media[i]));
    ASSERT_TRUE(fa.ok() && fb.ok());
    EXPECT_EQ(*fa, *fb) << a->manifest.media[i].path;
    EXPECT_EQ(Sha256Hex(*fa), a->manifest.media[i].sha256);
  }
  // The returned data set is the one on disk.
  auto loaded = LoadDataset(root_ / "a");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->manifest_sha256, a->manifest_sha256);
}

TEST(SynthRenderTest, PixelsDoNotDependOnOpenCvThreads) {
  SynthOptions o = Small(9);
  int before = cv::getNumThreads();
  cv::setNumThreads(1);
  internal::SynthFrame one = internal::RenderStill(o, 5);
  cv::setNumThreads(4);
  internal::SynthFrame four = internal::RenderStill(o, 5);
  cv::setNumThreads(before);
  ASSERT_EQ(one.bgr.size(), four.bgr.size());
  EXPECT_EQ(cv::norm(one.bgr, four.bgr, cv::NORM_INF), 0.0);
  EXPECT_EQ(one.annotations.size(), four.annotations.size());
}

TEST_F(SynthTest, DifferentSeedGivesDifferentFiles) {
  auto a = SynthesizeDataset(root_ / "a", Small(7));
  auto b = SynthesizeDataset(root_ / "b", Small(8));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->manifest_sha256, b->manifest_sha256);
  int same = 0;
  for (size_t i = 0; i < a->manifest.media.size(); ++i)
    same += a->manifest.media[i].sha256 == b->manifest.media[i].sha256;
  EXPECT_EQ(same, 0);
}

TEST_F(SynthTest, StillIsIndependentOfFrameCount) {
  // Still k depends on (seed, k) only, so a longer set extends a shorter one.
  auto a = SynthesizeDataset(root_ / "a", Small(3, 4));
  auto b = SynthesizeDataset(root_ / "b", Small(3, 6));
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(a->manifest.media[i].sha256, b->manifest.media[i].sha256);
}

TEST_F(SynthTest, LabelsCoverEveryClassInsideTheFrameWithManySmallFaces) {
  auto ds = SynthesizeDataset(root_ / "ds", Small(1));
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  const Manifest& m = ds->manifest;
  ASSERT_EQ(m.classes.size(), 3u);
  EXPECT_EQ(m.classes[0].name, "with_mask");
  EXPECT_EQ(m.splits, (std::vector<std::string>{"train", "val"}));
  int per_class[3] = {0, 0, 0};
  int boxes = 0, small = 0, large = 0, train = 0, val = 0;
  std::set<int64_t> ids;
  for (const Frame& f : m.frames) {
    EXPECT_EQ(f.width, 640);
    EXPECT_EQ(f.height, 480);
    EXPECT_TRUE(ids.insert(f.id).second);
    (f.split == "val" ? val : train)++;
    for (const Annotation& a : f.annotations) {
      ASSERT_GE(a.class_id, 0);
      ASSERT_LE(a.class_id, 2);
      ++per_class[a.class_id];
      ++boxes;
      EXPECT_GE(a.x, 0);
      EXPECT_GE(a.y, 0);
      EXPECT_GT(a.w, 1);
      EXPECT_GT(a.h, 1);
      EXPECT_LE(a.x + a.w, 640.01);
      EXPECT_LE(a.y + a.h, 480.01);
      EXPECT_NEAR(a.area, a.w * a.h, 1e-3);
      if (a.h < 20) ++small;
      if (a.h >= 48) ++large;
    }
  }
  EXPECT_EQ(train, 10);  // stills 4 and 9 are val
  EXPECT_EQ(val, 2);
  for (int c = 0; c < 3; ++c) EXPECT_GT(per_class[c], 0) << "class " << c;
  EXPECT_GE(boxes, 40);
  EXPECT_GE(small * 4, boxes) << small << " of " << boxes << " faces are under 20 px";
  EXPECT_GT(large, 0);
  // The other half of the data set tools accept it.
  VerifyReport report;
  Status s = VerifyDataset(*ds, {}, &report);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(SynthTest, FaceBoxesHoldDrawnFaces) {
  // A labelled box holds a drawn face (eyes, nose, mouth or mask): its pixels are not flat.
  SynthOptions o = Small(5);
  internal::SynthFrame f = internal::RenderStill(o, 0);
  ASSERT_FALSE(f.annotations.empty());
  int checked = 0;
  for (const Annotation& a : f.annotations) {
    if (a.h < 24 || a.difficult) continue;
    cv::Rect r(static_cast<int>(a.x), static_cast<int>(a.y), static_cast<int>(a.w),
               static_cast<int>(a.h));
    cv::Scalar mean, sd;
    cv::meanStdDev(f.bgr(r), mean, sd);
    EXPECT_GT(sd[0] + sd[1] + sd[2], 15) << "a flat face box at " << r;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST_F(SynthTest, RefusesAForeignFolderAndReplacesAnEarlierSynth) {
  fs::create_directories(root_ / "mine");
  ASSERT_TRUE(WriteFileAtomic(root_ / "mine" / "notes.txt", "keep me").ok());
  auto r = SynthesizeDataset(root_ / "mine", Small(1, 2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("mine"), std::string::npos);
  EXPECT_TRUE(fs::exists(root_ / "mine" / "notes.txt"));

  auto a = SynthesizeDataset(root_ / "ds", Small(1, 3));
  ASSERT_TRUE(a.ok());
  auto b = SynthesizeDataset(root_ / "ds", Small(2, 2));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_FALSE(fs::exists(root_ / "ds" / "images" / "frame_00002.jpg"));
  EXPECT_EQ(b->manifest.frames.size(), 2u);
}

TEST_F(SynthTest, ReplacesAnInterruptedSynth) {
  // What a synth killed half-way leaves: images, no manifest.
  ASSERT_TRUE(WriteFileAtomic(root_ / "ds" / "images" / "frame_00000.jpg", "partial").ok());
  ASSERT_TRUE(WriteFileAtomic(root_ / "ds" / "images" / "frame_00001.jpg.tmp", "partial").ok());
  auto r = SynthesizeDataset(root_ / "ds", Small(1, 2));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(fs::exists(root_ / "ds" / "images" / "frame_00001.jpg.tmp"));
  // One file of someone else's among them: refused.
  fs::remove(root_ / "ds" / kManifestFileName);
  ASSERT_TRUE(WriteFileAtomic(root_ / "ds" / "images" / "holiday.jpg", "mine").ok());
  EXPECT_FALSE(SynthesizeDataset(root_ / "ds", Small(1, 2)).ok());
  EXPECT_TRUE(fs::exists(root_ / "ds" / "images" / "holiday.jpg"));
}

TEST_F(SynthTest, OtherFrameSizesKeepBoxesInside) {
  for (auto [w, h, video] :
       {std::tuple{200, 150, false}, std::tuple{1280, 720, false}, std::tuple{320, 240, true}}) {
    SynthOptions o = Small(2, 3);
    o.width = w;
    o.height = h;
    o.video = video;
    auto ds = SynthesizeDataset(root_ / ("ds" + std::to_string(w)), o);
    ASSERT_TRUE(ds.ok()) << ds.status().ToString();
    for (const Frame& f : ds->manifest.frames) {
      EXPECT_EQ(f.width, w);
      for (const Annotation& a : f.annotations) {
        EXPECT_GE(a.x, 0);
        EXPECT_GE(a.y, 0);
        EXPECT_LE(a.x + a.w, w + 0.01);
        EXPECT_LE(a.y + a.h, h + 0.01);
      }
    }
    if (!video) {
      cv::Mat first = cv::imread(ds->MediaPath(ds->manifest.frames[0]).string());
      EXPECT_EQ(first.size(), cv::Size(w, h));
    }
  }
}

TEST_F(SynthTest, RejectsBadOptions) {
  SynthOptions o = Small(1, 0);
  auto r = SynthesizeDataset(root_ / "x", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--frames"), std::string::npos);
}

// Mean absolute difference of two equal-size BGR images.
double Mad(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  cv::Scalar s = cv::mean(d);
  return (s[0] + s[1] + s[2]) / 3;
}

TEST_F(SynthTest, VideoIsByteIdenticalAndDecodesWithLabelsAligned) {
  SynthOptions o = Small(11, 12);
  o.video = true;
  auto a = SynthesizeDataset(root_ / "a", o);
  auto b = SynthesizeDataset(root_ / "b", o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->manifest.media.size(), 1u);
  EXPECT_EQ(a->manifest.media[0].kind, Media::Kind::kVideo);
  EXPECT_EQ(a->manifest.media[0].sha256, b->manifest.media[0].sha256);
  EXPECT_EQ(a->manifest_sha256, b->manifest_sha256);
  ASSERT_EQ(a->manifest.frames.size(), 12u);
  int boxes = 0;
  for (int k = 0; k < 12; ++k) {
    const Frame& f = a->manifest.frames[k];
    EXPECT_EQ(f.frame_index, k);
    EXPECT_EQ(f.media, 0);
    EXPECT_EQ(f.split, k >= 10 ? "val" : "train");
    boxes += static_cast<int>(f.annotations.size());
  }
  EXPECT_GT(boxes, 12);

  // Decode the clip; frame k must be the picture rendered as frame k (whose
  // annotations the manifest holds), closer to it than to any other frame.
  std::vector<cv::Mat> rendered;
  std::vector<std::vector<Annotation>> labels;
  internal::VideoSimulation sim(o);
  for (int k = 0; k < 12; ++k) {
    internal::SynthFrame f = sim.Next();
    rendered.push_back(f.bgr);
    labels.push_back(f.annotations);
  }
  auto loaded = LoadDataset(root_ / "a");
  ASSERT_TRUE(loaded.ok());
  cv::VideoCapture cap(a->MediaPath(a->manifest.media[0]).string());
  ASSERT_TRUE(cap.isOpened());
  for (int k = 0; k < 12; ++k) {
    cv::Mat frame;
    ASSERT_TRUE(cap.read(frame)) << "frame " << k;
    ASSERT_EQ(frame.size(), cv::Size(640, 480));
    int best = -1;
    double best_mad = 1e9;
    for (int j = 0; j < 12; ++j) {
      double d = Mad(frame, rendered[j]);
      if (d < best_mad) best_mad = d, best = j;
    }
    EXPECT_EQ(best, k);
    EXPECT_LT(best_mad, 6.0);
    // The boxes of frame k on disk are the rendered frame's boxes.
    const auto& ann = loaded->manifest.frames[k].annotations;
    ASSERT_EQ(ann.size(), labels[k].size());
    for (size_t i = 0; i < ann.size(); ++i) {
      EXPECT_EQ(ann[i].x, labels[k][i].x);
      EXPECT_EQ(ann[i].class_id, labels[k][i].class_id);
    }
  }
  cv::Mat extra;
  EXPECT_FALSE(cap.read(extra));
}

}  // namespace
}  // namespace maskbench::datasets
