// YOLO txt importer (see docs/datasets.md, "import yolo").
#include <algorithm>
#include <sstream>

#include "import_util.h"
#include "maskbench/core/files.h"
#include "maskbench/core/text.h"
#include "maskbench/datasets/importers.h"

namespace maskbench::datasets {

namespace fs = std::filesystem;

Result<ImportReport> ImportYolo(const fs::path& images_dir, const fs::path& labels_dir,
                                const ImportOptions& options) {
  if (options.classes_file.empty())
    return Status::InvalidArgument("import yolo", "--classes FILE is required");
  auto classes = internal::ReadClassesFile(options.classes_file);
  if (!classes.ok()) return classes.status();
  std::error_code ec;
  if (!fs::is_directory(labels_dir, ec))
    return Status::NotFound(labels_dir.string(), "not a directory");
  auto images = internal::ListFiles(images_dir, {".jpg", ".jpeg", ".png", ".bmp"});
  if (!images.ok()) return images.status();
  if (images->empty())
    return Status::NotFound(images_dir.string(), "no images (.jpg .jpeg .png .bmp)");
  auto split_of = internal::ReadSplitLists(options.splits);
  if (!split_of.ok()) return split_of.status();

  Manifest m;
  m.source = "import yolo";
  m.classes = *classes;
  std::set<std::string> found;
  int64_t clipped = 0;
  internal::Progress progress("import yolo", static_cast<int64_t>(images->size()),
                              options.progress);
  for (const auto& image : *images) {
    std::string stem = image.stem().string();
    if (!found.insert(stem).second)
      return Status::InvalidArgument(image.string(), "a second image named \"" + stem + "\"");
    auto info = internal::ReadImageFile(image, options.image_limits);
    if (!info.ok()) return info.status();
    Media md;
    md.kind = Media::Kind::kImage;
    md.path = internal::RelativeTo(image, options.out);
    md.sha256 = info->sha256;
    md.bytes = info->bytes;
    m.media.push_back(md);
    Frame f;
    f.name = stem;
    f.media = static_cast<int>(m.media.size()) - 1;
    f.width = info->width;
    f.height = info->height;
    auto sit = split_of->find(stem);
    if (sit != split_of->end()) f.split = sit->second;

    fs::path label = labels_dir / (stem + ".txt");
    if (fs::is_regular_file(label, ec)) {  // no label file: an image without objects
      auto text = ReadFile(label);
      if (!text.ok()) return text.status();
      auto boxes =
          internal::ParseYoloLabels(*text, label.string(), classes->size(),
                                    options.classes_file.string(), f.width, f.height, &clipped);
      if (!boxes.ok()) return boxes.status();
      f.annotations = std::move(*boxes);
    }
    m.frames.push_back(std::move(f));
    progress.Step();
  }
  // A label file whose image is missing is a mistake worth reporting.
  auto labels = internal::ListFiles(labels_dir, {".txt"});
  if (!labels.ok()) return labels.status();
  for (const auto& l : *labels) {
    if (l.filename() == "classes.txt" || fs::equivalent(l, options.classes_file, ec)) continue;
    if (!found.count(l.stem().string()))
      return Status::NotFound(
          l.string(), "no image named \"" + l.stem().string() + "\" in " + images_dir.string());
  }

  auto r = internal::FinishImport(std::move(m), options, *split_of, found, /*renumber=*/true);
  if (!r.ok()) return r.status();
  r->clipped_boxes = clipped;
  return r;
}

Result<std::vector<Annotation>> internal::ParseYoloLabels(std::string_view text,
                                                          const std::string& where,
                                                          size_t class_count,
                                                          const std::string& classes_file,
                                                          int width, int height, int64_t* clipped) {
  std::vector<Annotation> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    line = internal::Trim(line);
    if (line.empty()) continue;
    std::string here = where + " line " + std::to_string(line_no);
    MB_RETURN_IF_ERROR(CheckUtf8(line, here));
    std::istringstream fields(line);
    std::vector<std::string> tok;
    for (std::string t; fields >> t;) tok.push_back(t);
    if (tok.size() != 5)
      return Status::Corruption(
          here, "expected \"class cx cy w h\", got " + std::to_string(tok.size()) + " fields");
    int cls = -1;
    {
      size_t used = 0;
      try {
        cls = std::stoi(tok[0], &used);
      } catch (const std::exception&) {
        cls = -1;
      }
      if (used != tok[0].size()) cls = -1;
    }
    if (cls < 0 || static_cast<size_t>(cls) >= class_count)
      return Status::Corruption(
          here, "class \"" + tok[0] + "\" is not an index into " + classes_file + " (0.." +
                    std::to_string(static_cast<int64_t>(class_count) - 1) + ")");
    float v[4];
    for (int k = 0; k < 4; ++k)
      if (!internal::ParseFloat(tok[k + 1], &v[k]))
        return Status::Corruption(here, "\"" + tok[k + 1] + "\" is not a number");
    float x0 = (v[0] - v[2] / 2) * width, x1 = (v[0] + v[2] / 2) * width;
    float y0 = (v[1] - v[3] / 2) * height, y1 = (v[1] + v[3] / 2) * height;
    bool was_clipped = false;
    std::string problem = internal::ClipBox(&x0, &y0, &x1, &y1, width, height, &was_clipped);
    if (!problem.empty()) return Status::Corruption(here, problem);
    *clipped += was_clipped;
    Annotation a;
    a.x = x0;
    a.y = y0;
    a.w = x1 - x0;
    a.h = y1 - y0;
    a.class_id = cls;
    a.area = static_cast<double>(a.w) * a.h;
    out.push_back(a);
  }
  return out;
}

}  // namespace maskbench::datasets
