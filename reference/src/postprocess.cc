#include "maskbench/reference/postprocess.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace maskbench::reference {

void ResizeToInput(const uint8_t* pixels, int width, int height, size_t stride, bool bgr,
                   std::vector<uint8_t>* rgb_out) {
  rgb_out->resize(static_cast<size_t>(3) * kInputSize * kInputSize);
  cv::Mat src(height, width, CV_8UC3, const_cast<uint8_t*>(pixels), stride);
  cv::Mat dst(kInputSize, kInputSize, CV_8UC3, rgb_out->data());
  cv::Mat resized;
  cv::resize(src, resized, cv::Size(kInputSize, kInputSize), 0, 0, cv::INTER_LINEAR);
  if (bgr) {
    cv::cvtColor(resized, dst, cv::COLOR_BGR2RGB);
  } else {
    resized.copyTo(dst);
  }
}

bool ResizeSplitsAt(int height, int row) {
  if (height < kInputSize || height % 5 != 0 || row <= 0 || row >= kInputSize) return false;
  // cv::resize takes its scale as 1 / (dst / src): it must be height / kInputSize exactly.
  const double scale = static_cast<double>(height) / kInputSize;
  if (1.0 / (static_cast<double>(kInputSize) / height) != scale) return false;
  return static_cast<int64_t>(row) * height % kInputSize == 0;
}

void ResizeRows(const uint8_t* pixels, int width, int height, size_t stride, bool bgr,
                int row_begin, int row_end, uint8_t* out) {
  if (row_begin >= row_end) return;
  // Source rows [row_begin, row_end) x height / kInputSize: the part's own
  // scale is the whole frame's, and its rows' source positions are the
  // whole frame's shifted by a whole row.
  const int src_begin = static_cast<int>(static_cast<int64_t>(row_begin) * height / kInputSize);
  const int src_end = static_cast<int>(static_cast<int64_t>(row_end) * height / kInputSize);
  cv::Mat src(src_end - src_begin, width, CV_8UC3,
              const_cast<uint8_t*>(pixels) + static_cast<size_t>(src_begin) * stride, stride);
  cv::Mat dst(row_end - row_begin, kInputSize, CV_8UC3, out);
  cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_LINEAR);
  if (bgr) cv::cvtColor(dst, dst, cv::COLOR_BGR2RGB);
}

float IoU(const Detection& a, const Detection& b) {
  const float ix = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
  const float iy = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0.0f;
  const float inter = ix * iy;
  const float uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

std::vector<Detection> ClasswiseNms(const std::vector<Detection>& dets, float iou_threshold,
                                    int max_keep) {
  std::vector<Detection> kept;
  std::vector<bool> suppressed(dets.size(), false);
  for (size_t i = 0; i < dets.size() && static_cast<int>(kept.size()) < max_keep; ++i) {
    if (suppressed[i]) continue;
    kept.push_back(dets[i]);
    if (iou_threshold >= 1.0f) continue;
    for (size_t j = i + 1; j < dets.size(); ++j) {
      if (!suppressed[j] && dets[j].class_id == dets[i].class_id &&
          IoU(dets[i], dets[j]) > iou_threshold) {
        suppressed[j] = true;
      }
    }
  }
  return kept;
}

float ScoreCutLogit(float score_threshold) {
  // Every float v below the cut has 1 / (1 + exp(-v)) < t: the cut is 0.05
  // below logit(t), which lowers the sigmoid by about 0.05 t (1 - t), far more
  // than float's error in computing it (a few ulps, ~2e-7 t) while
  // 1 - t > 1e-4. Outside that range (and for t <= 0) nothing is skipped.
  const double t = score_threshold;
  if (!(t > 0) || !(t < 0.9999)) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(std::log(t / (1 - t)) - 0.05);
}

std::vector<Detection> Decode(const float* head, int frame_width, int frame_height,
                              const DecodeOptions& options) {
  const int g = kGrid;
  const size_t plane = static_cast<size_t>(g) * g;
  const float* dx = head + 3 * plane;
  const float* dy = head + 4 * plane;
  const float* lw = head + 5 * plane;
  const float* lh = head + 6 * plane;
  const float sx = static_cast<float>(frame_width) / kInputSize;
  const float sy = static_cast<float>(frame_height) / kInputSize;
  const float fw = static_cast<float>(frame_width), fh = static_cast<float>(frame_height);

  // Scores are tested first, on the logit (ScoreCutLogit): a cell that cannot
  // reach the threshold is skipped before the peak test and the sigmoid. The
  // conditions are independent, so the result is the definition's.
  const float cut = ScoreCutLogit(options.score_threshold);
  std::vector<Detection> cand;
  for (int c = 0; c < kNumClasses; ++c) {
    const float* logit = head + c * plane;
    for (int y = 0; y < g; ++y) {
      for (int x = 0; x < g; ++x) {
        const float v = logit[y * g + x];
        if (!(v >= cut)) continue;  // also NaN, which the definition drops too
        bool peak = true;
        for (int ny = std::max(0, y - 1); ny <= std::min(g - 1, y + 1) && peak; ++ny) {
          for (int nx = std::max(0, x - 1); nx <= std::min(g - 1, x + 1); ++nx) {
            if (logit[ny * g + nx] > v) {
              peak = false;
              break;
            }
          }
        }
        if (!peak) continue;
        const float score = 1.0f / (1.0f + std::exp(-v));
        if (!(score >= options.score_threshold)) continue;
        const size_t i = static_cast<size_t>(y) * g + x;
        const float cx = (static_cast<float>(x) + dx[i]) * kStride;
        const float cy = (static_cast<float>(y) + dy[i]) * kStride;
        const float w = std::exp(lw[i]) * kStride;
        const float h = std::exp(lh[i]) * kStride;
        const float x0 = std::clamp((cx - w / 2) * sx, 0.0f, fw);
        const float x1 = std::clamp((cx + w / 2) * sx, 0.0f, fw);
        const float y0 = std::clamp((cy - h / 2) * sy, 0.0f, fh);
        const float y1 = std::clamp((cy + h / 2) * sy, 0.0f, fh);
        if (!(x1 > x0) || !(y1 > y0)) continue;  // also drops NaN
        cand.push_back({x0, y0, x1 - x0, y1 - y0, c, score});
      }
    }
  }
  std::stable_sort(cand.begin(), cand.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return ClasswiseNms(cand, options.nms_iou, options.max_detections);
}

}  // namespace maskbench::reference
