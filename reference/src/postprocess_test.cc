#include "maskbench/reference/postprocess.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace maskbench::reference {
namespace {

constexpr size_t kPlane = static_cast<size_t>(kGrid) * kGrid;

// A head with every logit very negative (score ~0) and zero regressions.
std::vector<float> EmptyHead() {
  std::vector<float> h(kHeadChannels * kPlane, 0.0f);
  for (size_t i = 0; i < kNumClasses * kPlane; ++i) h[i] = -20.0f;
  return h;
}

void SetCell(std::vector<float>* h, int c, int y, int x, float logit, float dx, float dy, float lw,
             float lh) {
  const size_t i = static_cast<size_t>(y) * kGrid + x;
  (*h)[c * kPlane + i] = logit;
  (*h)[3 * kPlane + i] = dx;
  (*h)[4 * kPlane + i] = dy;
  (*h)[5 * kPlane + i] = lw;
  (*h)[6 * kPlane + i] = lh;
}

TEST(DecodeTest, MapsOnePeakToFramePixels) {
  std::vector<float> h = EmptyHead();
  // Centre (10 + 0.5) * 4 = 42 input px, (20 + 0.25) * 4 = 81; size exp(log 2) * 4 = 8 x 16.
  SetCell(&h, 1, 20, 10, 2.0f, 0.5f, 0.25f, std::log(2.0f), std::log(4.0f));
  // Frame twice as wide and half as tall as the input.
  const std::vector<Detection> d = Decode(h.data(), 640, 160);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].class_id, 1);
  EXPECT_NEAR(d[0].score, 1.0f / (1.0f + std::exp(-2.0f)), 1e-6);
  EXPECT_NEAR(d[0].x, (42 - 4) * 2.0f, 1e-3);
  EXPECT_NEAR(d[0].w, 8 * 2.0f, 1e-3);
  EXPECT_NEAR(d[0].y, (81 - 8) * 0.5f, 1e-3);
  EXPECT_NEAR(d[0].h, 16 * 0.5f, 1e-3);
}

TEST(DecodeTest, KeepsOnlyLocalMaximaOfEachClass) {
  std::vector<float> h = EmptyHead();
  SetCell(&h, 0, 40, 40, 3.0f, 0.5f, 0.5f, 1.0f, 1.0f);
  SetCell(&h, 0, 40, 41, 2.0f, 0.5f, 0.5f, 1.0f, 1.0f);  // neighbour, lower: not a peak
  SetCell(&h, 0, 40, 43, 1.0f, 0.5f, 0.5f, 1.0f, 1.0f);  // two cells away: its own peak
  SetCell(&h, 2, 40, 41, 1.5f, 0.5f, 0.5f, 1.0f, 1.0f);  // other class: its own peak
  DecodeOptions o;
  o.nms_iou = 1.0f;  // peaks only
  const std::vector<Detection> d = Decode(h.data(), kInputSize, kInputSize, o);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].class_id, 0);
  EXPECT_EQ(d[1].class_id, 2);
  EXPECT_EQ(d[2].class_id, 0);
  EXPECT_GT(d[0].score, d[1].score);
  EXPECT_GT(d[1].score, d[2].score);
}

TEST(DecodeTest, ThresholdClipAndMaxDetections) {
  std::vector<float> h = EmptyHead();
  // Near the top-left corner with a huge box: clipped to the frame.
  SetCell(&h, 0, 0, 0, 0.0f, 0.0f, 0.0f, 5.0f, 5.0f);
  // Below the threshold 0.05: logit -3 -> 0.047.
  SetCell(&h, 1, 50, 50, -3.0f, 0.5f, 0.5f, 1.0f, 1.0f);
  std::vector<Detection> d = Decode(h.data(), 100, 50);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FLOAT_EQ(d[0].x, 0.0f);
  EXPECT_FLOAT_EQ(d[0].y, 0.0f);
  EXPECT_LE(d[0].x + d[0].w, 100.0f);
  EXPECT_LE(d[0].y + d[0].h, 50.0f);

  for (int i = 0; i < 20; ++i)
    SetCell(&h, 2, 4 * (i / 5) + 10, 4 * (i % 5) + 10, 1.0f + 0.01f * i, 0.5f, 0.5f, 0.0f, 0.0f);
  DecodeOptions o;
  o.max_detections = 7;
  d = Decode(h.data(), kInputSize, kInputSize, o);
  ASSERT_EQ(d.size(), 7u);
  for (size_t i = 1; i < d.size(); ++i) EXPECT_GE(d[i - 1].score, d[i].score);
  EXPECT_NEAR(d[0].score, 1.0f / (1.0f + std::exp(-1.19f)), 1e-6);
}

// The definition (docs/reference.md, "Post-processing") step by step, without
// Decode's early score test: peak test first, then the sigmoid and threshold.
std::vector<Detection> LiteralDecode(const float* head, int fw_i, int fh_i,
                                     const DecodeOptions& o) {
  const int g = kGrid;
  const float sx = static_cast<float>(fw_i) / kInputSize,
              sy = static_cast<float>(fh_i) / kInputSize;
  const float fw = static_cast<float>(fw_i), fh = static_cast<float>(fh_i);
  std::vector<Detection> cand;
  for (int c = 0; c < kNumClasses; ++c)
    for (int y = 0; y < g; ++y)
      for (int x = 0; x < g; ++x) {
        const float v = head[c * kPlane + y * g + x];
        bool peak = true;
        for (int ny = y - 1; ny <= y + 1; ++ny)
          for (int nx = x - 1; nx <= x + 1; ++nx)
            if (ny >= 0 && ny < g && nx >= 0 && nx < g && head[c * kPlane + ny * g + nx] > v)
              peak = false;
        if (!peak) continue;
        const float score = 1.0f / (1.0f + std::exp(-v));
        if (!(score >= o.score_threshold)) continue;
        const size_t i = static_cast<size_t>(y) * g + x;
        const float cx = (static_cast<float>(x) + head[3 * kPlane + i]) * kStride;
        const float cy = (static_cast<float>(y) + head[4 * kPlane + i]) * kStride;
        const float w = std::exp(head[5 * kPlane + i]) * kStride;
        const float h = std::exp(head[6 * kPlane + i]) * kStride;
        const float x0 = std::clamp((cx - w / 2) * sx, 0.0f, fw);
        const float x1 = std::clamp((cx + w / 2) * sx, 0.0f, fw);
        const float y0 = std::clamp((cy - h / 2) * sy, 0.0f, fh);
        const float y1 = std::clamp((cy + h / 2) * sy, 0.0f, fh);
        if (!(x1 > x0) || !(y1 > y0)) continue;
        cand.push_back({x0, y0, x1 - x0, y1 - y0, c, score});
      }
  std::stable_sort(cand.begin(), cand.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return ClasswiseNms(cand, o.nms_iou, o.max_detections);
}

TEST(DecodeTest, EarlyScoreTestGivesTheDefinitionsDetections) {
  std::mt19937 rng(5);
  for (float t : {0.0f, 0.01f, 0.05f, 0.3f, 0.5f, 0.9f, 0.999f, 0.99995f, 1.0f}) {
    for (int trial = 0; trial < 4; ++trial) {
      // Logits spread around the threshold's logit (and far below it), a few NaNs.
      const double centre = t > 0 && t < 1 ? std::log(t / (1.0 - t)) : 0.0;
      std::normal_distribution<double> near(centre, trial == 0 ? 0.05 : 1.5);
      std::uniform_real_distribution<float> reg(-1.0f, 1.0f);
      std::vector<float> h(kHeadChannels * kPlane);
      for (size_t i = 0; i < kNumClasses * kPlane; ++i)
        h[i] = i % 7 == 0 ? -12.0f : static_cast<float>(near(rng));
      if (trial == 3) h[123] = std::numeric_limits<float>::quiet_NaN();
      for (size_t i = kNumClasses * kPlane; i < h.size(); ++i) h[i] = reg(rng);
      DecodeOptions o;
      o.score_threshold = t;
      o.max_detections = 100000;
      const std::vector<Detection> want = LiteralDecode(h.data(), 640, 480, o);
      const std::vector<Detection> got = Decode(h.data(), 640, 480, o);
      ASSERT_EQ(got.size(), want.size()) << "threshold " << t << " trial " << trial;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(std::memcmp(&got[i], &want[i], sizeof got[i]), 0)
            << "threshold " << t << " detection " << i;
      }
      if (t > 0.0f && t < 0.999f) {
        EXPECT_GT(want.size(), 0u) << "threshold " << t;
      }
    }
  }
}

TEST(DecodeTest, ScoreCutIsBelowEveryPassingLogit) {
  // Just below the cut no float sigmoid reaches the threshold; the cut is
  // within 0.06 of the true logit, so it skips nearly everything below it.
  for (double t = 1e-6; t < 0.9999; t = t < 0.01 ? t * 1.7 : t + 0.0137) {
    const float tf = static_cast<float>(t);
    const float cut = ScoreCutLogit(tf);
    float v = std::nextafter(cut, -1e9f);
    for (int i = 0; i < 1000; ++i, v = std::nextafter(v, -1e9f)) {
      ASSERT_LT(1.0f / (1.0f + std::exp(-v)), tf) << "threshold " << t << " logit " << v;
    }
    EXPECT_GT(cut, std::log(tf / (1.0 - tf)) - 0.06) << t;
  }
  EXPECT_EQ(ScoreCutLogit(0.0f), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(ScoreCutLogit(1.0f), -std::numeric_limits<float>::infinity());
}

TEST(NmsTest, SuppressesOverlapsOfTheSameClassOnly) {
  std::vector<Detection> in = {
      {0, 0, 10, 10, 0, 0.9f},
      {1, 0, 10, 10, 0, 0.8f},  // IoU 9/11 = 0.82 with the first: suppressed
      {1, 0, 10, 10, 1, 0.7f},  // other class: kept
      {5, 0, 10, 10, 0, 0.6f},  // IoU 5/15 = 0.33: kept
      {20, 20, 5, 5, 0, 0.5f},  // disjoint: kept
  };
  std::vector<Detection> out = ClasswiseNms(in, 0.5f, 100);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_FLOAT_EQ(out[1].score, 0.7f);
  EXPECT_FLOAT_EQ(out[2].score, 0.6f);
  EXPECT_FLOAT_EQ(out[3].score, 0.5f);
  EXPECT_EQ(ClasswiseNms(in, 0.5f, 2).size(), 2u);
  EXPECT_EQ(ClasswiseNms(in, 1.0f, 100).size(), 5u);
}

TEST(NmsTest, IoU) {
  EXPECT_FLOAT_EQ(IoU({0, 0, 10, 10, 0, 0}, {0, 0, 10, 10, 0, 0}), 1.0f);
  EXPECT_FLOAT_EQ(IoU({0, 0, 10, 10, 0, 0}, {5, 0, 10, 10, 0, 0}), 50.0f / 150.0f);
  EXPECT_FLOAT_EQ(IoU({0, 0, 10, 10, 0, 0}, {10, 0, 10, 10, 0, 0}), 0.0f);
}

TEST(ResizeTest, ResizesAndSwapsToRgb) {
  // A 40x20 BGR frame with a row stride larger than 3 * width, uniform colour.
  const int w = 40, h = 20;
  const size_t stride = 3 * w + 8;
  std::vector<uint8_t> frame(stride * h, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      frame[y * stride + 3 * x + 0] = 10;   // B
      frame[y * stride + 3 * x + 1] = 20;   // G
      frame[y * stride + 3 * x + 2] = 200;  // R
    }
  std::vector<uint8_t> rgb;
  ResizeToInput(frame.data(), w, h, stride, /*bgr=*/true, &rgb);
  ASSERT_EQ(rgb.size(), 3u * kInputSize * kInputSize);
  EXPECT_EQ(rgb[0], 200);
  EXPECT_EQ(rgb[1], 20);
  EXPECT_EQ(rgb[2], 10);
  EXPECT_EQ(rgb[rgb.size() - 3], 200);
  ResizeToInput(frame.data(), w, h, stride, /*bgr=*/false, &rgb);
  EXPECT_EQ(rgb[0], 10);
  EXPECT_EQ(rgb[2], 200);
}

// ResizeRows in parts at every split ResizeSplitsAt allows gives ResizeToInput's bytes.
void ExpectPartsEqualWhole(int width, int height, bool bgr, std::mt19937* rng, int* splits) {
  std::vector<uint8_t> frame(static_cast<size_t>(3) * width * height + 5);
  for (uint8_t& b : frame) b = static_cast<uint8_t>((*rng)());
  std::vector<uint8_t> whole;
  ResizeToInput(frame.data(), width, height, static_cast<size_t>(3) * width, bgr, &whole);
  std::vector<int> cuts = {0};
  for (int r = 1; r < kInputSize; ++r)
    if (ResizeSplitsAt(height, r) && r - cuts.back() >= 8) cuts.push_back(r);
  cuts.push_back(kInputSize);
  *splits += static_cast<int>(cuts.size()) - 2;
  std::vector<uint8_t> parts(whole.size(), 0);
  for (size_t i = 0; i + 1 < cuts.size(); ++i)
    ResizeRows(frame.data(), width, height, static_cast<size_t>(3) * width, bgr, cuts[i],
               cuts[i + 1], parts.data() + static_cast<size_t>(cuts[i]) * 3 * kInputSize);
  for (int y = 0; y < kInputSize; ++y) {
    const size_t row = static_cast<size_t>(y) * 3 * kInputSize;
    ASSERT_EQ(std::memcmp(whole.data() + row, parts.data() + row, 3 * kInputSize), 0)
        << width << "x" << height << (bgr ? " BGR" : " RGB") << ": output row " << y;
  }
}

TEST(ResizeTest, RowsInPartsEqualTheWholeResize) {
  std::mt19937 rng(11);
  int splits = 0;
  for (int height : {320, 400, 480, 600, 640, 720, 960, 1080, 1440, 2160})
    for (int width : {640, 1280, 333, 1920})
      for (bool bgr : {true, false}) ExpectPartsEqualWhole(width, height, bgr, &rng, &splits);
  // Every height a multiple of 5 up to 2000, narrow frames.
  for (int height = 320; height <= 2000; height += 5)
    ExpectPartsEqualWhole(48, height, true, &rng, &splits);
  EXPECT_GT(splits, 1000);  // the splits were exercised
  EXPECT_TRUE(ResizeSplitsAt(480, 40));
  EXPECT_FALSE(ResizeSplitsAt(481, 40));  // the scale is not exact
  EXPECT_FALSE(ResizeSplitsAt(240, 40));  // upscaling clamps at a part's edges
  EXPECT_FALSE(ResizeSplitsAt(480, 41));  // not a whole source row
}

}  // namespace
}  // namespace maskbench::reference
