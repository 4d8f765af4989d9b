// aizoo-face-mask: wraps a third-party pretrained detector (AIZOOTech's
// face-mask SSD, MIT, Caffe files kept outside the repository) as an ordinary
// maskbench submission, so the harness and the reference can be compared with
// a network no one here trained (docs/submissions/aizoo.md).
//
// Config: {"model_dir": DIR, "score_threshold": 0.05, "nms_iou": 0.4,
// "threads": 1}. DIR holds face_mask_detection.prototxt and
// face_mask_detection.caffemodel; default: the submission folder. Facts used
// (from the model's README): input 1x3x260x260 RGB / 255; outputs
// loc_branch_concat [1, 5972, 4] and cls_branch_concat [1, 5972, 2] (0 mask,
// 1 no mask); SSD anchors on 33/17/9/5/3 maps; variances 0.1/0.2; the
// authors' class-agnostic NMS. Class 0 maps to with_mask, 1 to without_mask;
// it never predicts mask_weared_incorrect.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "maskbench/accelerator.hpp"

namespace {

namespace fs = std::filesystem;

constexpr int kInput = 260;
constexpr const char* kProto = "face_mask_detection.prototxt";
constexpr const char* kWeights = "face_mask_detection.caffemodel";

struct Anchor {
  float cx, cy, w, h;
};

std::vector<Anchor> MakeAnchors() {
  const int maps[] = {33, 17, 9, 5, 3};
  const float sizes[][2] = {
      {0.04f, 0.056f}, {0.08f, 0.11f}, {0.16f, 0.22f}, {0.32f, 0.45f}, {0.64f, 0.72f}};
  std::vector<Anchor> out;
  for (int m = 0; m < 5; ++m) {
    const int n = maps[m];
    const std::pair<float, float> shapes[] = {
        {sizes[m][0], 1.0f}, {sizes[m][1], 1.0f}, {sizes[m][0], 0.62f}, {sizes[m][0], 0.42f}};
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        for (const auto& [s, r] : shapes)
          out.push_back({(j + 0.5f) / n, (i + 0.5f) / n, s * std::sqrt(r), s / std::sqrt(r)});
  }
  return out;
}

float Iou(const mb_detection_t& a, const mb_detection_t& b) {
  const float x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const float x1 = std::min(a.x + a.w, b.x + b.w), y1 = std::min(a.y + a.h, b.y + b.h);
  const float inter = std::max(0.0f, x1 - x0) * std::max(0.0f, y1 - y0);
  const float uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

class AizooFaceMask {
 public:
  static constexpr const char* kName = "aizoo-face-mask";
  static constexpr const char* kTeam = "third-party (AIZOOTech, MIT)";
  static constexpr const char* kVersion = "1.0.0";

  AizooFaceMask(const std::string& config_json, const fs::path& dir) : anchors_(MakeAnchors()) {
    nlohmann::json c = nlohmann::json::parse(config_json.empty() ? "{}" : config_json);
    for (const auto& [key, value] : c.items()) {
      if (key != "model_dir" && key != "score_threshold" && key != "nms_iou" && key != "threads")
        throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT,
                                    "aizoo-face-mask: unknown config key \"" + key + "\"");
    }
    const fs::path model_dir =
        c.contains("model_dir") ? fs::path(c["model_dir"].get<std::string>()) : dir;
    score_threshold_ = c.value("score_threshold", 0.05f);
    nms_iou_ = c.value("nms_iou", 0.4f);
    cv::setNumThreads(c.value("threads", 1));
    for (const char* f : {kProto, kWeights})
      if (!fs::exists(model_dir / f))
        throw maskbench::abi::Error(MB_ERR_IO,
                                    "aizoo-face-mask: " + (model_dir / f).string() +
                                        " not found (set \"model_dir\" in the config to the folder "
                                        "holding the AIZOO Caffe files)");
    net_ =
        cv::dnn::readNetFromCaffe((model_dir / kProto).string(), (model_dir / kWeights).string());
    net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  }

  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame& frame) {
    if (frame.pixel_format != MB_PIXEL_FORMAT_BGR8 && frame.pixel_format != MB_PIXEL_FORMAT_RGB8)
      throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT, "unsupported pixel format");
    const cv::Mat image(frame.height, frame.width, CV_8UC3, const_cast<uint8_t*>(frame.pixels),
                        frame.stride);
    cv::resize(image, resized_, cv::Size(kInput, kInput), 0, 0, cv::INTER_LINEAR);
    // The network wants RGB: swap when the frame is BGR.
    cv::dnn::blobFromImage(resized_, blob_, 1.0 / 255, cv::Size(), cv::Scalar(),
                           frame.pixel_format == MB_PIXEL_FORMAT_BGR8, false, CV_32F);
    net_.setInput(blob_);
    std::vector<cv::Mat> outs;
    net_.forward(outs, std::vector<cv::String>{"loc_branch_concat", "cls_branch_concat"});
    const size_t n = anchors_.size();
    if (outs.size() != 2 || outs[0].total() != n * 4 || outs[1].total() != n * 2)
      throw maskbench::abi::Error(MB_ERR_INTERNAL, "aizoo-face-mask: unexpected output shapes");
    const float* loc = outs[0].ptr<float>();
    const float* cls = outs[1].ptr<float>();
    candidates_.clear();
    const float fw = static_cast<float>(frame.width), fh = static_cast<float>(frame.height);
    for (size_t i = 0; i < n; ++i) {
      const int c = cls[2 * i + 1] > cls[2 * i] ? 1 : 0;
      const float score = cls[2 * i + c];
      if (!(score >= score_threshold_)) continue;
      const Anchor& a = anchors_[i];
      const float cx = a.cx + loc[4 * i] * 0.1f * a.w, cy = a.cy + loc[4 * i + 1] * 0.1f * a.h;
      const float w = a.w * std::exp(loc[4 * i + 2] * 0.2f),
                  h = a.h * std::exp(loc[4 * i + 3] * 0.2f);
      const float x0 = std::clamp((cx - w / 2) * fw, 0.0f, fw),
                  y0 = std::clamp((cy - h / 2) * fh, 0.0f, fh);
      const float x1 = std::clamp((cx + w / 2) * fw, 0.0f, fw),
                  y1 = std::clamp((cy + h / 2) * fh, 0.0f, fh);
      if (x1 - x0 <= 0 || y1 - y0 <= 0) continue;
      candidates_.push_back({x0, y0, x1 - x0, y1 - y0, c, std::min(score, 1.0f)});
    }
    std::stable_sort(
        candidates_.begin(), candidates_.end(),
        [](const mb_detection_t& a, const mb_detection_t& b) { return a.score > b.score; });
    std::vector<mb_detection_t> kept;
    for (const mb_detection_t& d : candidates_) {
      if (kept.size() == 100) break;
      bool suppressed = false;
      for (const mb_detection_t& k : kept) suppressed = suppressed || Iou(d, k) > nms_iou_;
      if (!suppressed) kept.push_back(d);
    }
    return kept;
  }

 private:
  std::vector<Anchor> anchors_;
  float score_threshold_ = 0.05f;
  float nms_iou_ = 0.4f;
  cv::dnn::Net net_;
  cv::Mat resized_, blob_;
  std::vector<mb_detection_t> candidates_;
};

}  // namespace

MASKBENCH_EXPORT_ACCELERATOR(AizooFaceMask)
