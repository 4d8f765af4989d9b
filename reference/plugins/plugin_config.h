// Configuration shared by the two reference plugins (internal to reference/plugins).
// Keys of the plugin's config JSON (all optional): "score_threshold" (default
// 0.05), "nms_iou" (0.5), "max_detections" (100), "threads" (OpenCV threads, 1).
#pragma once

#include <string>

#include "maskbench/reference/postprocess.h"

namespace maskbench::reference::internal {

struct PluginConfig {
  DecodeOptions decode;
  int threads = 1;
};

// Parses the config JSON; throws std::invalid_argument naming the bad key.
PluginConfig ParsePluginConfig(const std::string& config_json);

}  // namespace maskbench::reference::internal
