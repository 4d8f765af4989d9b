// The reference network's pre- and post-processing, implemented once and shared
// by every submission that runs the reference network (reference-fp32,
// reference-baseline, and any team that wants identical outputs).
//
// Pre-processing: the whole frame is resized (cv::resize, INTER_LINEAR, no
// letterbox) to kInputSize x kInputSize and converted to RGB. Post-processing
// (Decode): per class, sigmoid scores of the stride-4 heatmap; a cell is a peak
// when its logit is >= each of its 8 neighbours' logits of the same class; peaks
// with score >= score_threshold become boxes (centre offset + exp log-size);
// boxes are mapped back to frame pixels and clipped; sorted by descending score
// (ties: class, row, column order); class-wise greedy NMS at IoU > nms_iou;
// at most max_detections kept. Exact definition: docs/reference.md.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace maskbench::reference {

inline constexpr int kInputSize = 320;              // network input is kInputSize x kInputSize RGB
inline constexpr int kStride = 4;                   // output grid stride in input pixels
inline constexpr int kGrid = kInputSize / kStride;  // 80
inline constexpr int kNumClasses = 3;    // with_mask, without_mask, mask_weared_incorrect
inline constexpr int kHeadChannels = 7;  // 3 class logits, dx, dy, log w, log h

// One detection in frame pixels (same layout as mb_detection_t).
struct Detection {
  float x = 0, y = 0, w = 0, h = 0;
  int class_id = 0;
  float score = 0;
};

struct DecodeOptions {
  // Peaks scoring below this are dropped. Default: 0.05 (low, for mAP).
  float score_threshold = 0.05f;
  // Class-wise NMS: a box is suppressed by a higher-scoring box of its class
  // with IoU strictly above this. 1 or more disables NMS. Default: 0.5.
  float nms_iou = 0.5f;
  // At most this many detections per frame, highest scores first. Default: 100.
  int max_detections = 100;
};

// Resizes a frame (8-bit interleaved, `bgr` true for BGR order) to the network
// input: kInputSize x kInputSize x 3 RGB bytes, row-major, written to `rgb_out`
// (resized to 3 * kInputSize * kInputSize).
void ResizeToInput(const uint8_t* pixels, int width, int height, size_t stride, bool bgr,
                   std::vector<uint8_t>* rgb_out);

// Whether ResizeToInput's output rows can be computed in two parts split at
// output row `row` (0 < row < kInputSize), each part by ResizeRows, with the
// same bytes: true when the frame is at least kInputSize rows high, its
// vertical scale height / kInputSize is exact in binary (height a multiple of
// 5) and the split falls on a whole source row (row * height a multiple of
// kInputSize). Then no output row near the split clamps to its part's edge and
// every row's source coordinate is computed exactly either way.
bool ResizeSplitsAt(int height, int row);

// Output rows [row_begin, row_end) of ResizeToInput, written to `out` (that
// many rows of 3 * kInputSize RGB bytes) without allocating a whole image. Its
// bytes equal ResizeToInput's rows when row_begin and row_end are each 0,
// kInputSize or a row where ResizeSplitsAt(height, row); otherwise the caller
// must use ResizeToInput. Thread-safe: parts may run concurrently.
void ResizeRows(const uint8_t* pixels, int width, int height, size_t stride, bool bgr,
                int row_begin, int row_end, uint8_t* out);

// Decodes the head output `head` (kHeadChannels x kGrid x kGrid floats, CHW:
// logits, dx, dy, log w, log h) for a frame of frame_width x frame_height.
std::vector<Detection> Decode(const float* head, int frame_width, int frame_height,
                              const DecodeOptions& options = {});

// The logit below which no score 1 / (1 + exp(-logit)), computed in float,
// reaches score_threshold (-inf when no such bound is used: thresholds <= 0 or
// >= 0.9999). Decode skips such cells before its peak test; exposed for tests.
float ScoreCutLogit(float score_threshold);

// Intersection over union of two [x, y, w, h] boxes (continuous, no +1); 0 when empty.
float IoU(const Detection& a, const Detection& b);

// Greedy class-wise NMS over `dets` sorted by descending score; keeps at most
// `max_keep` boxes, in order.
std::vector<Detection> ClasswiseNms(const std::vector<Detection>& dets, float iou_threshold,
                                    int max_keep);

}  // namespace maskbench::reference
