#include "maskbench/datasets/verify.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <set>

#include "image_decode.h"
#include "import_util.h"
#include "maskbench/core/files.h"

namespace maskbench::datasets {

namespace fs = std::filesystem;

namespace {

class Collector {
 public:
  Collector(VerifyReport* r, size_t cap) : r_(r), cap_(cap) {}
  void Add(const std::string& where, const std::string& what) {
    ++r_->problem_count;
    if (r_->problems.size() < cap_) r_->problems.push_back(where + ": " + what);
  }

 private:
  VerifyReport* r_;
  size_t cap_;
};

struct Decoded {
  bool ok = false;  // decoded (dims valid)
  int width = 0, height = 0;
  int64_t frame_count = 0;  // 1 for an image
};

Decoded CheckImage(const fs::path& path, const Media& md, const ImageLimits& limits,
                   Collector* out) {
  Decoded d;
  auto data = ReadFile(path);
  if (!data.ok()) {
    out->Add(path.string(), "cannot read the image: " + data.status().message());
    return d;
  }
  if (data->size() != md.bytes)
    out->Add(path.string(), "size is " + std::to_string(data->size()) +
                                " bytes, the manifest says " + std::to_string(md.bytes));
  std::string hash = Sha256Hex(*data);
  if (hash != md.sha256)
    out->Add(path.string(),
             "sha256 is " + hash + ", the manifest says " + md.sha256 + " (the file changed)");
  Result<cv::Mat> img = internal::DecodeImage(*data, path.string(), limits);
  if (!img.ok()) {
    out->Add(path.string(), img.status().message().substr(path.string().size() + 2));
    return d;
  }
  d.ok = true;
  d.width = img->cols;
  d.height = img->rows;
  d.frame_count = 1;
  return d;
}

Decoded CheckVideo(const fs::path& path, const Media& md, Collector* out, bool progress) {
  Decoded d;
  std::error_code ec;
  uint64_t size = fs::file_size(path, ec);
  if (ec) {
    out->Add(path.string(), "cannot read the video: " + ec.message());
    return d;
  }
  if (size != md.bytes)
    out->Add(path.string(), "size is " + std::to_string(size) + " bytes, the manifest says " +
                                std::to_string(md.bytes));
  auto hash = Sha256File(path);
  if (!hash.ok()) {
    out->Add(path.string(), hash.status().message());
    return d;
  }
  if (*hash != md.sha256)
    out->Add(path.string(),
             "sha256 is " + *hash + ", the manifest says " + md.sha256 + " (the file changed)");
  cv::VideoCapture cap;
  try {
    cap.open(path.string());
  } catch (const cv::Exception& e) {
    out->Add(path.string(), std::string("OpenCV cannot open the video: ") + e.what());
    return d;
  }
  if (!cap.isOpened()) {
    out->Add(path.string(), "OpenCV cannot open the video");
    return d;
  }
  internal::Progress p("verify: decoding " + path.filename().string(), 0, progress);
  cv::Mat frame;
  while (cap.read(frame) && !frame.empty()) {
    if (d.frame_count == 0) {
      d.width = frame.cols;
      d.height = frame.rows;
    } else if (frame.cols != d.width || frame.rows != d.height) {
      out->Add(path.string(), "frame " + std::to_string(d.frame_count) + " is " +
                                  std::to_string(frame.cols) + "x" + std::to_string(frame.rows) +
                                  ", frame 0 is " + std::to_string(d.width) + "x" +
                                  std::to_string(d.height));
    }
    ++d.frame_count;
    p.Step();
  }
  if (d.frame_count == 0) {
    out->Add(path.string(), "no frame could be decoded");
    return d;
  }
  d.ok = true;
  return d;
}

std::string Dims(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

}  // namespace

Status VerifyDataset(const Dataset& ds, const VerifyOptions& options, VerifyReport* report) {
  *report = VerifyReport();
  Collector out(report, options.max_problems);
  const Manifest& m = ds.manifest;
  const std::string manifest_path = (ds.dir / kManifestFileName).string();

  std::set<std::string> split_names;
  for (const auto& s : m.splits) {
    if (s.empty()) out.Add(manifest_path, "a split has an empty name");
    if (!split_names.insert(s).second)
      out.Add(manifest_path, "split \"" + s + "\" is listed twice");
  }
  std::set<std::string> class_names;
  std::set<int> class_ids;
  for (const auto& c : m.classes) {
    if (c.name.empty())
      out.Add(manifest_path, "class " + std::to_string(c.id) + " has an empty name");
    if (!class_names.insert(c.name).second)
      out.Add(manifest_path, "class name \"" + c.name + "\" is used twice");
    if (!class_ids.insert(c.id).second)
      out.Add(manifest_path, "class id " + std::to_string(c.id) + " is used twice");
  }

  // Media: existence, size, hash, decode.
  std::vector<Decoded> decoded(m.media.size());
  internal::Progress progress("verify", static_cast<int64_t>(m.media.size()), options.progress);
  for (size_t i = 0; i < m.media.size(); ++i) {
    const Media& md = m.media[i];
    fs::path path = ds.MediaPath(md);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      out.Add(path.string(), "missing (media " + std::to_string(i) + " of " + manifest_path + ")");
    } else if (md.kind == Media::Kind::kImage) {
      decoded[i] = CheckImage(path, md, options.image_limits, &out);
    } else {
      decoded[i] = CheckVideo(path, md, &out, options.progress);
    }
    ++report->media_checked;
    progress.Step();
  }

  // Frames and boxes.
  std::set<int64_t> ids;
  std::map<std::pair<int, int64_t>, int64_t> seen;  // (media, index) -> frame id
  std::vector<bool> used(m.media.size(), false);
  for (size_t i = 0; i < m.frames.size(); ++i) {
    const Frame& f = m.frames[i];
    std::string where = manifest_path + ": frame " + std::to_string(f.id) +
                        (f.name.empty() ? "" : " (" + f.name + ")");
    ++report->frames_checked;
    if (!ids.insert(f.id).second) out.Add(where, "duplicate frame id");
    if (!f.split.empty() && !split_names.count(f.split))
      out.Add(where, "split \"" + f.split + "\" is not in \"splits\"");
    if (f.width <= 0 || f.height <= 0)
      out.Add(where, "size " + Dims(f.width, f.height) + " is not positive");
    if (f.media < 0 || f.media >= static_cast<int>(m.media.size())) {
      out.Add(where, "media index " + std::to_string(f.media) + " out of range");
    } else {
      used[f.media] = true;
      const Media& md = m.media[f.media];
      const Decoded& d = decoded[f.media];
      std::string file = ds.MediaPath(md).string();
      auto [it, fresh] = seen.emplace(std::make_pair(f.media, f.frame_index), f.id);
      if (!fresh)
        out.Add(where, "addresses the same picture as frame " + std::to_string(it->second) + " (" +
                           file + " index " + std::to_string(f.frame_index) + ")");
      if (md.kind == Media::Kind::kImage && f.frame_index != 0)
        out.Add(where,
                "frame_index " + std::to_string(f.frame_index) + " in an image (" + file + ")");
      if (md.kind == Media::Kind::kVideo && d.ok &&
          (f.frame_index < 0 || f.frame_index >= d.frame_count))
        out.Add(where, "frame_index " + std::to_string(f.frame_index) + " but " + file + " has " +
                           std::to_string(d.frame_count) + " frames");
      if (d.ok && (d.width != f.width || d.height != f.height))
        out.Add(where, "the manifest says " + Dims(f.width, f.height) + " but " + file +
                           " decodes to " + Dims(d.width, d.height));
    }
    const float tol = internal::kBoxTolerancePx;
    for (size_t k = 0; k < f.annotations.size(); ++k) {
      const Annotation& a = f.annotations[k];
      ++report->boxes_checked;
      std::string aw = where + " annotation " + std::to_string(k);
      char box[160];
      std::snprintf(box, sizeof(box), "box [%g, %g, %g, %g]", a.x, a.y, a.w, a.h);
      if (!std::isfinite(a.x) || !std::isfinite(a.y) || !std::isfinite(a.w) ||
          !std::isfinite(a.h)) {
        out.Add(aw, std::string(box) + " is not finite");
        continue;
      }
      if (!(a.w > 0 && a.h > 0)) out.Add(aw, std::string(box) + " has no positive size");
      if (a.x < -tol || a.y < -tol || a.x + a.w > f.width + tol || a.y + a.h > f.height + tol)
        out.Add(aw, std::string(box) + " is outside the " + Dims(f.width, f.height) +
                        " frame (tolerance 0.5 px)");
      if (!class_ids.count(a.class_id))
        out.Add(aw, "unknown class id " + std::to_string(a.class_id));
      if (!std::isfinite(a.area) || a.area < 0)
        out.Add(aw, "area " + std::to_string(a.area) + " is not a non-negative number");
    }
  }
  for (size_t i = 0; i < m.media.size(); ++i)
    if (!used[i])
      out.Add(manifest_path,
              "media " + std::to_string(i) + " (" + m.media[i].path + ") is used by no frame");

  if (report->ok()) return Status::Ok();
  return Status::Corruption(
      report->problems.front(),
      report->problem_count == 1
          ? std::string()
          : "(and " + std::to_string(report->problem_count - 1) + " more problems)");
}

}  // namespace maskbench::datasets
