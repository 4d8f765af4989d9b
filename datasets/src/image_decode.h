// Decoding one image file safely (internal to maskbench::datasets): the format
// and size come from the header, are checked against ImageLimits, and only then
// is the image decoded. JPEG goes through TurboJPEG with warnings treated as
// errors (libjpeg only warns about truncated or corrupt data); PNG and BMP
// through OpenCV. Every failure is a Status naming `where`.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "maskbench/core/status.h"
#include "maskbench/datasets/image_limits.h"

namespace maskbench::datasets::internal {

struct ImageHeader {
  std::string format;  // "jpeg", "png" or "bmp"
  int64_t width = 0, height = 0;
};

// The format and size from the first bytes; Unsupported for other formats,
// Corruption for a header too short or inconsistent.
Result<ImageHeader> ReadImageHeader(std::string_view bytes, const std::string& where);

// Checks `header` against `limits`: InvalidArgument naming `where`, the size and
// the limit, e.g. "30000x30000 (900 MP) is over the limit of 16384 px per side".
Status CheckImageLimits(const ImageHeader& header, const ImageLimits& limits,
                        const std::string& where);

// The header, its limits, a truncation check, then the decode to 8-bit BGR.
Result<cv::Mat> DecodeImage(std::string_view bytes, const std::string& where,
                            const ImageLimits& limits);

}  // namespace maskbench::datasets::internal
