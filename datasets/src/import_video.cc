// Video + CSV importer (see docs/datasets.md, "import video", and the CSV
// format in docs/dataset-format.md).
#include <algorithm>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>

#include "import_util.h"
#include "maskbench/core/files.h"
#include "maskbench/core/text.h"
#include "maskbench/datasets/importers.h"

namespace maskbench::datasets {

namespace fs = std::filesystem;

namespace {

using internal::CsvBox;

std::vector<std::string> SplitComma(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(internal::Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(internal::Trim(cur));
  return out;
}

}  // namespace

Result<std::vector<CsvBox>> internal::ParseVideoCsv(std::string_view text, const fs::path& csv) {
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  bool header_seen = false;
  std::vector<CsvBox> out;
  while (std::getline(in, line)) {
    ++line_no;
    line = internal::Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string here = "line " + std::to_string(line_no);
    MB_RETURN_IF_ERROR(CheckUtf8(line, csv.string() + ": " + here));
    auto f = SplitComma(line);
    if (!header_seen) {
      bool ok = (f.size() == 6 || f.size() == 7) && f[0] == "frame" && f[1] == "class" &&
                f[2] == "x" && f[3] == "y" && f[4] == "w" && f[5] == "h" &&
                (f.size() == 6 || f[6] == "difficult");
      if (!ok)
        return Status::Corruption(csv.string(),
                                  here +
                                      ": expected the header \"frame,class,x,y,w,h\" or "
                                      "\"frame,class,x,y,w,h,difficult\"");
      header_seen = true;
      continue;
    }
    if (f.size() != 6 && f.size() != 7)
      return Status::Corruption(csv.string(),
                                here + ": expected 6 or 7 fields, got " + std::to_string(f.size()));
    CsvBox b;
    b.line = line_no;
    try {
      size_t used = 0;
      b.frame = std::stoll(f[0], &used);
      if (used != f[0].size() || b.frame < 0) throw std::invalid_argument("frame");
    } catch (...) {
      return Status::Corruption(csv.string(),
                                here + ": frame \"" + f[0] + "\" is not a non-negative integer");
    }
    b.cls = f[1];
    if (b.cls.empty()) return Status::Corruption(csv.string(), here + ": empty class");
    float* vals[4] = {&b.x, &b.y, &b.w, &b.h};
    for (int k = 0; k < 4; ++k)
      if (!internal::ParseFloat(f[2 + k], vals[k]))
        return Status::Corruption(csv.string(), here + ": \"" + f[2 + k] + "\" is not a number");
    if (f.size() == 7) {
      if (f[6] != "0" && f[6] != "1")
        return Status::Corruption(csv.string(),
                                  here + ": difficult is \"" + f[6] + "\", expected 0 or 1");
      b.difficult = f[6] == "1";
    }
    out.push_back(std::move(b));
  }
  if (!header_seen) return Status::Corruption(csv.string(), "empty: expected a header line");
  return out;
}

namespace {
Result<std::vector<CsvBox>> ReadCsv(const fs::path& csv) {
  auto text = ReadFile(csv);
  if (!text.ok()) return text.status();
  return internal::ParseVideoCsv(*text, csv);
}
}  // namespace

Result<ImportReport> ImportVideo(const fs::path& video, const fs::path& annotations_csv,
                                 const ImportOptions& options) {
  if (!options.splits.empty())
    return Status::InvalidArgument("import video", "splits are not supported for a video");
  std::error_code ec;
  if (!fs::is_regular_file(video, ec)) return Status::NotFound(video.string(), "no such file");
  auto boxes = ReadCsv(annotations_csv);
  if (!boxes.ok()) return boxes.status();

  std::vector<ClassInfo> classes;
  if (!options.classes_file.empty()) {
    auto c = internal::ReadClassesFile(options.classes_file);
    if (!c.ok()) return c.status();
    classes = std::move(c).value();
    for (const auto& b : *boxes)
      if (std::none_of(classes.begin(), classes.end(),
                       [&](const ClassInfo& ci) { return ci.name == b.cls; }))
        return Status::InvalidArgument(annotations_csv.string(),
                                       "line " + std::to_string(b.line) + ": class \"" + b.cls +
                                           "\" is not in " + options.classes_file.string());
  } else {
    std::set<std::string> names;
    for (const auto& b : *boxes) names.insert(b.cls);
    classes = internal::ClassesForNames(names);
  }

  // Count frames by decoding them all: CAP_PROP_FRAME_COUNT is an estimate.
  cv::VideoCapture cap;
  try {
    cap.open(video.string());
  } catch (const cv::Exception& e) {
    return Status::Corruption(video.string(),
                              std::string("OpenCV cannot open the video: ") + e.what());
  }
  if (!cap.isOpened()) return Status::Corruption(video.string(), "OpenCV cannot open the video");
  int width = 0, height = 0;
  int64_t count = 0;
  internal::Progress progress("import video: decoding", 0, options.progress);
  cv::Mat frame;
  while (cap.read(frame)) {
    if (frame.empty()) break;
    if (count == 0) {
      width = frame.cols;
      height = frame.rows;
    } else if (frame.cols != width || frame.rows != height) {
      return Status::Corruption(
          video.string(), "frame " + std::to_string(count) + " is " + std::to_string(frame.cols) +
                              "x" + std::to_string(frame.rows) + ", frame 0 is " +
                              std::to_string(width) + "x" + std::to_string(height));
    }
    ++count;
    progress.Step();
  }
  if (count == 0) return Status::Corruption(video.string(), "no frame could be decoded");

  auto hash = Sha256File(video);
  if (!hash.ok()) return hash.status();
  Manifest m;
  m.source = "import video";
  m.classes = classes;
  Media md;
  md.kind = Media::Kind::kVideo;
  md.path = internal::RelativeTo(video, options.out);
  md.sha256 = *hash;
  md.bytes = fs::file_size(video, ec);
  m.media.push_back(md);
  std::string base = video.filename().string();
  for (int64_t i = 0; i < count; ++i) {
    Frame f;
    f.name = base + "#" + std::to_string(i);
    f.media = 0;
    f.frame_index = i;
    f.width = width;
    f.height = height;
    m.frames.push_back(std::move(f));
  }
  int64_t clipped = 0;
  for (const auto& b : *boxes) {
    std::string here = "line " + std::to_string(b.line);
    if (b.frame >= count)
      return Status::Corruption(annotations_csv.string(),
                                here + ": frame " + std::to_string(b.frame) +
                                    " is past the end of " + video.string() + " (" +
                                    std::to_string(count) + " frames decoded)");
    float x0 = b.x, y0 = b.y, x1 = b.x + b.w, y1 = b.y + b.h;
    bool was_clipped = false;
    std::string problem = internal::ClipBox(&x0, &y0, &x1, &y1, width, height, &was_clipped);
    if (!problem.empty())
      return Status::Corruption(annotations_csv.string(), here + ": " + problem);
    clipped += was_clipped;
    Annotation a;
    a.x = x0;
    a.y = y0;
    a.w = was_clipped ? x1 - x0 : b.w;
    a.h = was_clipped ? y1 - y0 : b.h;
    for (const auto& c : classes)
      if (c.name == b.cls) a.class_id = c.id;
    a.difficult = b.difficult;
    a.area = static_cast<double>(a.w) * a.h;
    m.frames[b.frame].annotations.push_back(a);
  }
  auto r = internal::FinishImport(std::move(m), options, {}, {}, /*renumber=*/true);
  if (!r.ok()) return r.status();
  r->clipped_boxes = clipped;
  return r;
}

}  // namespace maskbench::datasets
