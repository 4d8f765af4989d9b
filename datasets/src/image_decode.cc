#include "image_decode.h"

#include <turbojpeg.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <opencv2/imgcodecs.hpp>

#include "import_util.h"

namespace maskbench::datasets::internal {
namespace {

uint32_t Be32(std::string_view b, size_t at) {
  auto u = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(b[at + i])); };
  return u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
}

int32_t Le32(std::string_view b, size_t at) {
  auto u = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(b[at + i])); };
  return static_cast<int32_t>(u(0) | u(1) << 8 | u(2) << 16 | u(3) << 24);
}

bool StartsWith(std::string_view b, std::string_view prefix) {
  return b.size() >= prefix.size() && b.substr(0, prefix.size()) == prefix;
}

struct TjCloser {
  void operator()(void* h) const {
    if (h != nullptr) tjDestroy(h);
  }
};
using TjHandle = std::unique_ptr<void, TjCloser>;

}  // namespace

Result<ImageHeader> ReadImageHeader(std::string_view b, const std::string& where) {
  ImageHeader h;
  if (StartsWith(b, "\xFF\xD8\xFF")) {
    h.format = "jpeg";
    TjHandle tj(tjInitDecompress());
    if (!tj) return Status::IOError(where, "cannot start the JPEG decoder");
    int w = 0, ht = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(tj.get(), reinterpret_cast<const unsigned char*>(b.data()),
                            static_cast<unsigned long>(b.size()), &w, &ht, &subsamp,
                            &colorspace) != 0)
      return Status::Corruption(where, std::string("bad JPEG header: ") + tjGetErrorStr2(tj.get()));
    h.width = w;
    h.height = ht;
  } else if (StartsWith(b, std::string_view("\x89PNG\r\n\x1a\n", 8))) {
    h.format = "png";
    if (b.size() < 24 || b.substr(12, 4) != "IHDR")
      return Status::Corruption(where, "bad PNG header: no IHDR chunk first");
    h.width = Be32(b, 16);
    h.height = Be32(b, 20);
  } else if (StartsWith(b, "BM")) {
    h.format = "bmp";
    if (b.size() < 26) return Status::Corruption(where, "bad BMP header: too short");
    h.width = Le32(b, 18);
    const int32_t height = Le32(b, 22);
    h.height = height < 0 ? -static_cast<int64_t>(height) : height;
  } else {
    return Status::Unsupported(where, "not a JPEG, PNG or BMP image");
  }
  if (h.width <= 0 || h.height <= 0)
    return Status::Corruption(where, "the " + h.format + " header declares a size of " +
                                         std::to_string(h.width) + "x" + std::to_string(h.height));
  return h;
}

Status CheckImageLimits(const ImageHeader& h, const ImageLimits& limits, const std::string& where) {
  const std::string size = std::to_string(h.width) + "x" + std::to_string(h.height);
  if (h.width > limits.max_side || h.height > limits.max_side)
    return Status::InvalidArgument(where, "the image is " + size + ", over the limit of " +
                                              std::to_string(limits.max_side) +
                                              " px per side (raise it with --max-image-side or the "
                                              "rules' limits.max_image_side)");
  if (h.width * h.height > limits.max_pixels)
    return Status::InvalidArgument(
        where, "the image is " + size + " (" + std::to_string(h.width * h.height) +
                   " pixels), over the limit of " + std::to_string(limits.max_pixels) +
                   " pixels (raise it with --max-image-pixels or the rules' "
                   "limits.max_image_pixels)");
  return Status::Ok();
}

Result<cv::Mat> DecodeImage(std::string_view bytes, const std::string& where,
                            const ImageLimits& limits) {
  Result<ImageHeader> h = ReadImageHeader(bytes, where);
  if (!h.ok()) return h.status();
  MB_RETURN_IF_ERROR(CheckImageLimits(*h, limits, where));
  const std::string trunc = ImageTruncationProblem(std::string(bytes));
  if (!trunc.empty()) return Status::Corruption(where, trunc);
  if (h->format == "jpeg") {
    TjHandle tj(tjInitDecompress());
    if (!tj) return Status::IOError(where, "cannot start the JPEG decoder");
    cv::Mat m(static_cast<int>(h->height), static_cast<int>(h->width), CV_8UC3);
    if (tjDecompress2(tj.get(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<unsigned long>(bytes.size()), m.data, m.cols,
                      static_cast<int>(m.step), m.rows, TJPF_BGR, TJFLAG_STOPONWARNING) != 0) {
      const bool warning = tjGetErrorCode(tj.get()) == TJERR_WARNING;
      return Status::Corruption(where, std::string(warning ? "corrupt JPEG data: " : "bad JPEG: ") +
                                           tjGetErrorStr2(tj.get()));
    }
    return m;
  }
  cv::Mat img;
  try {
    img = cv::imdecode(
        cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())),
        cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return Status::Corruption(where, std::string("cannot decode the image: ") + e.what());
  }
  if (img.empty()) return Status::Corruption(where, "cannot decode the " + h->format + " image");
  if (img.cols != h->width || img.rows != h->height)
    return Status::Corruption(where, "decoded " + std::to_string(img.cols) + "x" +
                                         std::to_string(img.rows) + ", the header says " +
                                         std::to_string(h->width) + "x" +
                                         std::to_string(h->height));
  return img;
}

}  // namespace maskbench::datasets::internal
