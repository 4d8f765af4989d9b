// int8-fast: the reference network in int8, bit-exact with reference-baseline,
// on the optimised Engine (engine.h). Shared pre/post-processing: ResizeToInput
// and Decode from maskbench::reference. Latency is measured (no cycles extension).
//
// Offline (maskbench.batch/1, through the C++ helper): a batch is spread over
// the cores frame by frame — one single-threaded Engine per core, each taking
// every n-th frame — instead of splitting each frame's layers, which costs a
// synchronisation per layer. Same kernels, so the outputs are the same bits.
//
// Config (submission.json "config", all optional): "threads" (default: all
// cores), "simd" ("auto" | "amx" | "avx512-vnni" | "avx2" | "scalar", default "auto": the best the
// CPU has), and the decode options "score_threshold" (0.05), "nms_iou" (0.5), "max_detections"
// (100).
#include <exception>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine.h"
#include "maskbench/accelerator.hpp"
#include "maskbench/reference/int8_model.h"
#include "maskbench/reference/model_files.h"
#include "maskbench/reference/postprocess.h"

namespace {

namespace ref = maskbench::reference;
using maskbench::int8_fast::Engine;
using maskbench::int8_fast::EngineOptions;

struct Config {
  ref::DecodeOptions decode;
  EngineOptions engine;
};

Config ParseConfig(const std::string& text) {
  Config c;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.empty() ? "{}" : text);
  } catch (const nlohmann::json::exception& e) {
    throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT,
                                std::string("int8-fast: config is not JSON: ") + e.what());
  }
  if (!j.is_object())
    throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT, "int8-fast: config must be a JSON object");
  auto bad = [](const std::string& why) {
    return maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT, "int8-fast: config: " + why);
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "score_threshold" && it->is_number()) {
      c.decode.score_threshold = it->get<float>();
      if (!(c.decode.score_threshold >= 0 && c.decode.score_threshold <= 1))
        throw bad("score_threshold must be in [0, 1]");
    } else if (k == "nms_iou" && it->is_number()) {
      c.decode.nms_iou = it->get<float>();
      if (!(c.decode.nms_iou > 0)) throw bad("nms_iou must be > 0");
    } else if (k == "max_detections" && it->is_number_integer()) {
      c.decode.max_detections = it->get<int>();
      if (c.decode.max_detections < 1) throw bad("max_detections must be >= 1");
    } else if (k == "threads" && it->is_number_integer()) {
      c.engine.threads = it->get<int>();
      if (c.engine.threads < 1 || c.engine.threads > 64) throw bad("threads must be in [1, 64]");
    } else if (k == "simd" && it->is_string()) {
      if (!maskbench::int8_fast::ParseSimd(it->get<std::string>(), &c.engine.simd))
        throw bad("simd must be \"auto\", \"amx\", \"avx512-vnni\", \"avx2\" or \"scalar\"");
    } else {
      throw bad("unknown key or wrong type: \"" + k + "\"");
    }
  }
  return c;
}

ref::Int8Model LoadModel(const std::filesystem::path& dir) {
  maskbench::Result<ref::Int8Model> m = ref::LoadInt8Model(dir / ref::kInt8ParamsFileName);
  if (!m.ok()) throw maskbench::abi::Error(MB_ERR_IO, m.status().message());
  return std::move(m).value();
}

class Int8Fast {
 public:
  static constexpr const char* kName = "int8-fast";
  static constexpr const char* kTeam = "maskbench-examples";
  static constexpr const char* kVersion = "1.0.0";

  Int8Fast(const std::string& config_json, const std::filesystem::path& dir)
      : config_(ParseConfig(config_json)),
        model_(LoadModel(dir)),
        engine_(&model_, config_.engine) {
    result_.reserve(static_cast<size_t>(config_.decode.max_detections));
    // Offline lanes: one single-threaded engine per thread of the main engine.
    EngineOptions one = config_.engine;
    one.threads = 1;
    for (int i = 0; i < engine_.threads(); ++i)
      lanes_.push_back(std::make_unique<Lane>(&model_, one));
  }

  std::span<const mb_detection_t> Infer(const maskbench::abi::Frame& frame) {
    Run(engine_, frame, &result_);
    return result_;
  }

  uint32_t MaxBatch() const { return 64; }

  std::vector<std::vector<mb_detection_t>> InferBatch(
      std::span<const maskbench::abi::Frame> frames) {
    std::vector<std::vector<mb_detection_t>> out(frames.size());
    const size_t lanes = std::min(lanes_.size(), frames.size());
    std::vector<std::exception_ptr> errors(lanes);
    auto lane = [&](size_t w) {
      try {
        for (size_t i = w; i < frames.size(); i += lanes)
          Run(lanes_[w]->engine, frames[i], &out[i]);
      } catch (...) {
        errors[w] = std::current_exception();
      }
    };
    std::vector<std::thread> helpers;
    for (size_t w = 1; w < lanes; ++w) helpers.emplace_back(lane, w);
    lane(0);
    for (std::thread& t : helpers) t.join();
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
    return out;
  }

 private:
  struct Lane {
    Lane(const ref::Int8Model* model, EngineOptions options) : engine(model, options) {}
    Engine engine;
  };

  // One frame on `engine`: resize (the engine's first step), run, decode into *result.
  void Run(Engine& engine, const maskbench::abi::Frame& frame,
           std::vector<mb_detection_t>* result) const {
    if (frame.pixel_format != MB_PIXEL_FORMAT_BGR8 && frame.pixel_format != MB_PIXEL_FORMAT_RGB8)
      throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT, "int8-fast: unsupported pixel format");
    engine.RunImage(frame.pixels, static_cast<int>(frame.width), static_cast<int>(frame.height),
                    frame.stride, frame.pixel_format == MB_PIXEL_FORMAT_BGR8);
    const std::vector<ref::Detection> dets =
        ref::Decode(engine.HeadLogits().data(), frame.width, frame.height, config_.decode);
    result->clear();
    for (const ref::Detection& d : dets)
      result->push_back({d.x, d.y, d.w, d.h, d.class_id, d.score});
  }

  Config config_;
  ref::Int8Model model_;
  Engine engine_;
  std::vector<mb_detection_t> result_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace

MASKBENCH_EXPORT_ACCELERATOR(Int8Fast)
