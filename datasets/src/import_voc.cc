// PASCAL VOC XML importer (see docs/datasets.md, "import voc").
#include <algorithm>
#include <cstdio>
#include <pugixml.hpp>

#include "import_util.h"
#include "maskbench/core/files.h"
#include "maskbench/core/text.h"
#include "maskbench/datasets/importers.h"

namespace maskbench::datasets {

namespace fs = std::filesystem;
using internal::ParseFloat;
using internal::Trim;

namespace {

using internal::VocFile;
using internal::VocObject;

}  // namespace

Result<VocFile> internal::ParseVocText(std::string_view text, const fs::path& xml) {
  pugi::xml_document doc;
  pugi::xml_parse_result pr = doc.load_buffer(text.data(), text.size());
  if (!pr)
    return Status::Corruption(xml.string(), std::string("malformed XML: ") + pr.description() +
                                                " at byte offset " + std::to_string(pr.offset));
  pugi::xml_node root = doc.child("annotation");
  if (!root) return Status::Corruption(xml.string(), "no <annotation> root element");
  VocFile v;
  v.xml = xml;
  v.stem = xml.stem().string();
  v.filename = Trim(root.child_value("filename"));
  MB_RETURN_IF_ERROR(CheckUtf8(v.filename, xml.string() + ": <filename>"));
  if (pugi::xml_node size = root.child("size")) {
    float w = 0, h = 0;
    if (!ParseFloat(size.child_value("width"), &w) || !ParseFloat(size.child_value("height"), &h))
      return Status::Corruption(xml.string(), "<size> needs numeric <width> and <height>");
    // A size is a count of pixels: a whole number in a sane range.
    for (float d : {w, h})
      if (d < 0 || d > 1e6f || d != static_cast<float>(static_cast<int>(d)))
        return Status::Corruption(
            xml.string(),
            "<size> " + std::to_string(d) + " is not a whole number of pixels in 0..1000000");
    v.width = static_cast<int>(w);
    v.height = static_cast<int>(h);
  }
  int index = 0;
  for (pugi::xml_node obj : root.children("object")) {
    std::string where = "object " + std::to_string(index);
    VocObject o;
    o.name = Trim(obj.child_value("name"));
    if (o.name.empty()) return Status::Corruption(xml.string(), where + ": missing <name>");
    MB_RETURN_IF_ERROR(CheckUtf8(o.name, xml.string() + ": " + where + ": <name>"));
    pugi::xml_node bb = obj.child("bndbox");
    if (!bb) return Status::Corruption(xml.string(), where + " (" + o.name + "): missing <bndbox>");
    const char* keys[4] = {"xmin", "ymin", "xmax", "ymax"};
    float* vals[4] = {&o.xmin, &o.ymin, &o.xmax, &o.ymax};
    for (int k = 0; k < 4; ++k)
      if (!ParseFloat(bb.child_value(keys[k]), vals[k]))
        return Status::Corruption(xml.string(), where + " (" + o.name + "): <" + keys[k] +
                                                    "> is missing or not a number");
    std::string diff = Trim(obj.child_value("difficult"));
    if (!diff.empty() && diff != "0" && diff != "1")
      return Status::Corruption(xml.string(),
                                where + ": <difficult> is \"" + diff + "\", expected 0 or 1");
    o.difficult = diff == "1";
    v.objects.push_back(std::move(o));
    ++index;
  }
  return v;
}

namespace {

Result<VocFile> ParseVoc(const fs::path& xml) {
  Result<std::string> text = ReadFile(xml);
  if (!text.ok()) return text.status();
  return internal::ParseVocText(*text, xml);
}

Result<fs::path> FindImage(const fs::path& images_dir, const VocFile& v, bool allow_outside) {
  std::error_code ec;
  if (!v.filename.empty()) {
    Result<fs::path> p = internal::ImagePathInside(images_dir, v.filename, allow_outside,
                                                   v.xml.string() + ": <filename>");
    if (!p.ok()) return p.status();
    if (fs::is_regular_file(*p, ec)) return *p;
  }
  for (const char* ext : {".jpg", ".jpeg", ".png", ".bmp", ".JPG", ".JPEG", ".PNG"}) {
    fs::path p = images_dir / (v.stem + ext);
    if (fs::is_regular_file(p, ec)) return p;
  }
  return Status::NotFound(v.xml.string(), "image \"" + (v.filename.empty() ? v.stem : v.filename) +
                                              "\" not found in " + images_dir.string());
}

}  // namespace

Result<ImportReport> ImportVoc(const fs::path& images_dir, const fs::path& annotations_dir,
                               const ImportOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(images_dir, ec))
    return Status::NotFound(images_dir.string(), "not a directory");
  auto xmls = internal::ListFiles(annotations_dir, {".xml"});
  if (!xmls.ok()) return xmls.status();
  if (xmls->empty()) return Status::NotFound(annotations_dir.string(), "no .xml files");
  auto split_of = internal::ReadSplitLists(options.splits);
  if (!split_of.ok()) return split_of.status();

  std::vector<ClassInfo> fixed_classes;
  if (!options.classes_file.empty()) {
    auto c = internal::ReadClassesFile(options.classes_file);
    if (!c.ok()) return c.status();
    fixed_classes = std::move(c).value();
  }

  // Parse every file first, so the class list is known before ids are given.
  std::vector<VocFile> files;
  std::set<std::string> names_seen;
  for (const auto& xml : *xmls) {
    auto v = ParseVoc(xml);
    if (!v.ok()) return v.status();
    for (size_t i = 0; i < v->objects.size(); ++i) {
      const auto& o = v->objects[i];
      if (!fixed_classes.empty() &&
          std::none_of(fixed_classes.begin(), fixed_classes.end(),
                       [&](const ClassInfo& c) { return c.name == o.name; }))
        return Status::InvalidArgument(xml.string(), "object " + std::to_string(i) + ": class \"" +
                                                         o.name + "\" is not in " +
                                                         options.classes_file.string());
      names_seen.insert(o.name);
    }
    files.push_back(std::move(v).value());
  }

  Manifest m;
  m.source = "import voc";
  m.classes = fixed_classes.empty() ? internal::ClassesForNames(names_seen) : fixed_classes;
  std::set<std::string> found;
  int64_t clipped = 0;
  internal::Progress progress("import voc", static_cast<int64_t>(files.size()), options.progress);
  for (const auto& v : files) {
    auto image = FindImage(images_dir, v, options.allow_outside_images);
    if (!image.ok()) return image.status();
    auto info = internal::ReadImageFile(*image, options.image_limits);
    if (!info.ok()) return info.status();
    if (v.width != 0 || v.height != 0) {
      if (v.width != info->width || v.height != info->height)
        return Status::Corruption(
            v.xml.string(), "<size> says " + std::to_string(v.width) + "x" +
                                std::to_string(v.height) + " but " + image->string() + " is " +
                                std::to_string(info->width) + "x" + std::to_string(info->height));
    }
    if (!found.insert(v.stem).second)
      return Status::InvalidArgument(v.xml.string(),
                                     "a second annotation file named \"" + v.stem + "\"");
    Media md;
    md.kind = Media::Kind::kImage;
    md.path = internal::RelativeTo(*image, options.out);
    md.sha256 = info->sha256;
    md.bytes = info->bytes;
    m.media.push_back(md);
    Frame f;
    f.name = v.stem;
    f.media = static_cast<int>(m.media.size()) - 1;
    f.width = info->width;
    f.height = info->height;
    auto sit = split_of->find(v.stem);
    if (sit != split_of->end()) f.split = sit->second;
    for (size_t i = 0; i < v.objects.size(); ++i) {
      const auto& o = v.objects[i];
      float x0 = o.xmin, y0 = o.ymin, x1 = o.xmax, y1 = o.ymax;
      bool was_clipped = false;
      std::string problem = internal::ClipBox(&x0, &y0, &x1, &y1, f.width, f.height, &was_clipped);
      if (!problem.empty())
        return Status::Corruption(v.xml.string(),
                                  "object " + std::to_string(i) + " (" + o.name + "): " + problem);
      clipped += was_clipped;
      Annotation a;
      a.x = x0;
      a.y = y0;
      a.w = x1 - x0;
      a.h = y1 - y0;
      a.class_id = m.FindClassByName(o.name)->id;
      a.difficult = o.difficult;
      a.area = static_cast<double>(a.w) * a.h;
      f.annotations.push_back(a);
    }
    m.frames.push_back(std::move(f));
    progress.Step();
  }
  auto r = internal::FinishImport(std::move(m), options, *split_of, found, /*renumber=*/true);
  if (!r.ok()) return r.status();
  r->clipped_boxes = clipped;
  return r;
}

}  // namespace maskbench::datasets
