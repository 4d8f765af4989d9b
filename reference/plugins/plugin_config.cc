#include "plugin_config.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace maskbench::reference::internal {

PluginConfig ParsePluginConfig(const std::string& config_json) {
  PluginConfig c;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(config_json.empty() ? "{}" : config_json);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("config is not JSON: ") + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument("config must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "score_threshold" && it->is_number()) {
      c.decode.score_threshold = it->get<float>();
      if (!(c.decode.score_threshold >= 0 && c.decode.score_threshold <= 1))
        throw std::invalid_argument("config: score_threshold must be in [0, 1]");
    } else if (k == "nms_iou" && it->is_number()) {
      c.decode.nms_iou = it->get<float>();
      if (!(c.decode.nms_iou > 0)) throw std::invalid_argument("config: nms_iou must be > 0");
    } else if (k == "max_detections" && it->is_number_integer()) {
      c.decode.max_detections = it->get<int>();
      if (c.decode.max_detections < 1)
        throw std::invalid_argument("config: max_detections must be >= 1");
    } else if (k == "threads" && it->is_number_integer()) {
      c.threads = it->get<int>();
      if (c.threads < 1) throw std::invalid_argument("config: threads must be >= 1");
    } else {
      throw std::invalid_argument("config: unknown key or wrong type: \"" + k + "\"");
    }
  }
  return c;
}

}  // namespace maskbench::reference::internal
