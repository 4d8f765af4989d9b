// reference-fp32: the golden model. Runs refnet.onnx in fp32 through OpenCV DNN
// (CPU backend) and decodes with the shared post-processing.
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <vector>

#include "maskbench/accelerator.hpp"
#include "maskbench/reference/model_files.h"
#include "maskbench/reference/postprocess.h"
#include "plugin_config.h"

namespace {

using maskbench::reference::Detection;
namespace ref = maskbench::reference;

class ReferenceFp32 {
 public:
  static constexpr const char* kName = "reference-fp32";
  static constexpr const char* kTeam = "organisers";
  static constexpr const char* kVersion = "1.0.0";

  ReferenceFp32(const std::string& config_json, const std::filesystem::path& dir)
      : config_(ref::internal::ParsePluginConfig(config_json)) {
    maskbench::Status st = ref::VerifyOnnx(dir);
    if (!st.ok()) throw maskbench::abi::Error(MB_ERR_IO, st.message());
    cv::setNumThreads(config_.threads);
    net_ = cv::dnn::readNetFromONNX((dir / ref::kOnnxFileName).string());
    net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    blob_.create(std::vector<int>{1, 3, ref::kInputSize, ref::kInputSize}, CV_32F);
  }

  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame& frame) {
    if (frame.pixel_format != MB_PIXEL_FORMAT_BGR8 && frame.pixel_format != MB_PIXEL_FORMAT_RGB8)
      throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT, "unsupported pixel format");
    ref::ResizeToInput(frame.pixels, frame.width, frame.height, frame.stride,
                       frame.pixel_format == MB_PIXEL_FORMAT_BGR8, &rgb_);
    const size_t plane = static_cast<size_t>(ref::kInputSize) * ref::kInputSize;
    float* b = blob_.ptr<float>();
    for (size_t i = 0; i < plane; ++i)
      for (int c = 0; c < 3; ++c)
        b[c * plane + i] = (static_cast<float>(rgb_[i * 3 + c]) - 128.0f) / 128.0f;
    net_.setInput(blob_);
    cv::Mat out = net_.forward();
    if (out.total() != static_cast<size_t>(ref::kHeadChannels) * ref::kGrid * ref::kGrid ||
        out.type() != CV_32F)
      throw maskbench::abi::Error(MB_ERR_INTERNAL, "unexpected ONNX output shape");
    const cv::Mat head = out.isContinuous() ? out : out.clone();
    std::vector<Detection> dets =
        ref::Decode(head.ptr<float>(), frame.width, frame.height, config_.decode);
    std::vector<mb_detection_t> result;
    result.reserve(dets.size());
    for (const Detection& d : dets) result.push_back({d.x, d.y, d.w, d.h, d.class_id, d.score});
    return result;
  }

 private:
  ref::internal::PluginConfig config_;
  cv::dnn::Net net_;
  cv::Mat blob_;
  std::vector<uint8_t> rgb_;
};

}  // namespace

MASKBENCH_EXPORT_ACCELERATOR(ReferenceFp32)
