#include "import_util.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>

#include "image_decode.h"
#include "maskbench/core/files.h"
#include "maskbench/core/text.h"

namespace maskbench::datasets::internal {

namespace fs = std::filesystem;

std::string ImageTruncationProblem(const std::string& data) {
  auto u = [&](size_t i) { return static_cast<unsigned char>(data[i]); };
  if (data.size() >= 3 && u(0) == 0xFF && u(1) == 0xD8 && u(2) == 0xFF) {
    // Some writers pad after EOI with zero bytes; allow that, nothing else.
    size_t end = data.size();
    while (end > 0 && u(end - 1) == 0x00) --end;
    if (end < 4 || u(end - 2) != 0xFF || u(end - 1) != 0xD9)
      return "truncated JPEG: the file does not end with the EOI marker FF D9";
    return "";
  }
  static const unsigned char kPngSig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (data.size() >= 8 &&
      std::equal(kPngSig, kPngSig + 8, data.begin(),
                 [](unsigned char a, char b) { return a == static_cast<unsigned char>(b); })) {
    static const unsigned char kIend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
    if (data.size() < 8 + 12 ||
        !std::equal(kIend, kIend + 12, data.end() - 12,
                    [](unsigned char a, char b) { return a == static_cast<unsigned char>(b); }))
      return "truncated PNG: the file does not end with the IEND chunk";
    return "";
  }
  return "";
}

Result<ImageFileInfo> ReadImageFile(const fs::path& path, const ImageLimits& limits) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  ImageFileInfo info;
  info.sha256 = Sha256Hex(*data);
  info.bytes = data->size();
  Result<cv::Mat> img = DecodeImage(*data, path.string(), limits);
  if (!img.ok()) return img.status();
  info.width = img->cols;
  info.height = img->rows;
  return info;
}

Result<fs::path> ImagePathInside(const fs::path& images_dir, const std::string& name,
                                 bool allow_outside, const std::string& where) {
  if (name.empty()) return Status::InvalidArgument(where, "the image file name is empty");
  const fs::path rel(name);
  std::error_code ec;
  const fs::path joined = (images_dir / rel).lexically_normal();
  if (!allow_outside) {
    const fs::path base = fs::absolute(images_dir, ec).lexically_normal();
    const fs::path full = fs::absolute(joined, ec).lexically_normal();
    const fs::path inside = full.lexically_relative(base);
    if (rel.is_absolute() || inside.empty() || *inside.begin() == ".." || inside == ".")
      return Status::InvalidArgument(
          where, "the image path \"" + name + "\" leads outside the images folder " +
                     images_dir.string() + " (--allow-outside-images permits it)");
    // A link inside the folder may still point out of it.
    const fs::path real = fs::weakly_canonical(full, ec);
    const fs::path real_base = fs::weakly_canonical(base, ec);
    const fs::path real_rel = real.lexically_relative(real_base);
    if (!ec && (real_rel.empty() || *real_rel.begin() == ".."))
      return Status::InvalidArgument(
          where, "the image path \"" + name + "\" resolves to " + real.string() +
                     ", outside the images folder (--allow-outside-images "
                     "permits it)");
  }
  if (fs::is_directory(joined, ec))
    return Status::InvalidArgument(where, "the image path \"" + name + "\" names a folder");
  return joined;
}

std::string RelativeTo(const fs::path& path, const fs::path& dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  if (ec) p = fs::absolute(path).lexically_normal();
  fs::path d = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) d = fs::absolute(dir).lexically_normal();
  fs::path r = p.lexically_proximate(d);
  return r.generic_string();
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool ParseFloat(const std::string& s, float* out) {
  std::string t = Trim(s);
  if (t.empty()) return false;
  const char* b = t.data();
  const char* e = b + t.size();
  if (*b == '+') ++b;
  auto r = std::from_chars(b, e, *out);
  return r.ec == std::errc() && r.ptr == e && std::isfinite(*out);
}

namespace {

// Lines of a text, trimmed, with their 1-based numbers; blank lines skipped.
Result<std::vector<std::pair<int, std::string>>> ParseLines(std::string_view text,
                                                            const std::string& where) {
  std::vector<std::pair<int, std::string>> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ++line_no;
    std::string line = Trim(std::string(text.substr(pos, nl - pos)));
    MB_RETURN_IF_ERROR(CheckUtf8(line, where + " line " + std::to_string(line_no)));
    if (!line.empty()) out.emplace_back(line_no, line);
    pos = nl + 1;
  }
  return out;
}

Result<std::vector<std::pair<int, std::string>>> ReadLines(const fs::path& file) {
  auto text = ReadFile(file);
  if (!text.ok()) return text.status();
  return ParseLines(*text, file.string());
}

}  // namespace

Result<std::map<std::string, std::string>> ReadSplitLists(const std::vector<SplitList>& lists) {
  std::map<std::string, std::string> split_of;
  std::map<std::string, std::string> where;  // name -> "file line N"
  std::set<std::string> split_names;
  for (const auto& l : lists) {
    if (!split_names.insert(l.name).second)
      return Status::InvalidArgument("--split " + l.name, "split named twice");
    auto lines = ReadLines(l.file);
    if (!lines.ok()) return lines.status();
    for (const auto& [no, name] : *lines) {
      std::string here = l.file.string() + " line " + std::to_string(no);
      auto [it, inserted] = split_of.emplace(name, l.name);
      if (!inserted)
        return Status::InvalidArgument(here, "\"" + name + "\" is already in split \"" +
                                                 it->second + "\" (" + where[name] + ")");
      where[name] = here;
    }
  }
  return split_of;
}

Result<std::vector<ClassInfo>> ParseClassNames(std::string_view text, const std::string& where) {
  auto lines = ParseLines(text, where);
  if (!lines.ok()) return lines.status();
  std::vector<ClassInfo> out;
  std::set<std::string> seen;
  for (const auto& [no, name] : *lines) {
    if (!seen.insert(name).second)
      return Status::InvalidArgument(where + " line " + std::to_string(no),
                                     "class \"" + name + "\" listed twice");
    out.push_back({static_cast<int>(out.size()), name});
  }
  if (out.empty()) return Status::InvalidArgument(where, "no class names");
  return out;
}

Result<std::vector<ClassInfo>> ReadClassesFile(const fs::path& file) {
  auto text = ReadFile(file);
  if (!text.ok()) return text.status();
  return ParseClassNames(*text, file.string());
}

std::vector<ClassInfo> ClassesForNames(const std::set<std::string>& names) {
  std::vector<ClassInfo> fm = FaceMaskClasses();
  bool all_face_mask = std::all_of(names.begin(), names.end(), [&](const std::string& n) {
    return std::any_of(fm.begin(), fm.end(), [&](const ClassInfo& c) { return c.name == n; });
  });
  if (all_face_mask) return fm;
  std::vector<ClassInfo> out;
  for (const auto& n : names) out.push_back({static_cast<int>(out.size()), n});  // std::set: sorted
  return out;
}

std::string ClipBox(float* x0, float* y0, float* x1, float* y1, int width, int height,
                    bool* clipped) {
  *clipped = false;
  auto box = [&] {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "box (%g,%g)-(%g,%g)", *x0, *y0, *x1, *y1);
    return std::string(buf);
  };
  if (*x1 <= *x0 || *y1 <= *y0) return box() + " has no positive size";
  if (*x0 >= width || *y0 >= height || *x1 <= 0 || *y1 <= 0)
    return box() + " lies fully outside the " + std::to_string(width) + "x" +
           std::to_string(height) + " frame";
  float nx0 = std::clamp(*x0, 0.f, static_cast<float>(width));
  float ny0 = std::clamp(*y0, 0.f, static_cast<float>(height));
  float nx1 = std::clamp(*x1, 0.f, static_cast<float>(width));
  float ny1 = std::clamp(*y1, 0.f, static_cast<float>(height));
  *clipped = nx0 != *x0 || ny0 != *y0 || nx1 != *x1 || ny1 != *y1;
  *x0 = nx0;
  *y0 = ny0;
  *x1 = nx1;
  *y1 = ny1;
  if (*x1 <= *x0 || *y1 <= *y0) return box() + " has no positive size after clipping to the frame";
  return "";
}

Result<std::vector<fs::path>> ListFiles(const fs::path& dir,
                                        const std::set<std::string>& extensions) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir.string(), "not a directory");
  std::vector<fs::path> out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (extensions.count(ext)) out.push_back(it->path());
  }
  if (ec) return Status::IOError(dir.string(), ec.message());
  std::sort(out.begin(), out.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return out;
}

Result<ImportReport> FinishImport(Manifest m, const ImportOptions& options,
                                  const std::map<std::string, std::string>& split_of,
                                  const std::set<std::string>& found_names, bool renumber) {
  // Every text the manifest will hold must be UTF-8 (file names come from the
  // file system, which allows any bytes).
  for (const ClassInfo& c : m.classes)
    MB_RETURN_IF_ERROR(CheckUtf8(c.name, "class " + std::to_string(c.id) + " name"));
  for (const Media& md : m.media)
    MB_RETURN_IF_ERROR(CheckUtf8(md.path, "media file name \"" + SanitizeText(md.path) + "\""));
  for (const Frame& f : m.frames)
    MB_RETURN_IF_ERROR(CheckUtf8(f.name, "frame name \"" + SanitizeText(f.name) + "\""));
  for (const auto& l : options.splits)
    MB_RETURN_IF_ERROR(CheckUtf8(l.name, "--split " + SanitizeText(l.name)));
  std::map<std::string, fs::path> file_of_split;
  m.splits.clear();
  for (const auto& l : options.splits) {
    m.splits.push_back(l.name);
    file_of_split[l.name] = l.file;
  }
  for (const auto& [name, split] : split_of)
    if (!found_names.count(name))
      return Status::NotFound(file_of_split[split].string(), "split \"" + split + "\" lists \"" +
                                                                 name + "\", which was not found");
  auto rank = [&](const std::string& split) {
    auto it = std::find(m.splits.begin(), m.splits.end(), split);
    return static_cast<size_t>(it - m.splits.begin());  // "" ranks last
  };
  std::stable_sort(m.frames.begin(), m.frames.end(), [&](const Frame& a, const Frame& b) {
    size_t ra = rank(a.split), rb = rank(b.split);
    if (ra != rb) return ra < rb;
    if (a.media == b.media) return a.frame_index < b.frame_index;  // a video: by index
    return a.name < b.name;
  });
  // Media in order of first use by the sorted frames.
  std::vector<int> new_index(m.media.size(), -1);
  std::vector<Media> media;
  for (auto& f : m.frames) {
    if (new_index[f.media] < 0) {
      new_index[f.media] = static_cast<int>(media.size());
      media.push_back(m.media[f.media]);
    }
    f.media = new_index[f.media];
  }
  m.media = std::move(media);
  if (renumber)
    for (size_t i = 0; i < m.frames.size(); ++i) m.frames[i].id = static_cast<int64_t>(i);
  if (m.name.empty()) m.name = options.name;
  if (m.name.empty()) {
    fs::path p = fs::absolute(options.out).lexically_normal();
    m.name = p.filename().empty() ? p.parent_path().filename().string() : p.filename().string();
  }
  std::error_code ec;
  fs::create_directories(options.out, ec);
  if (ec)
    return Status::IOError(options.out.string(), "cannot create the directory: " + ec.message());
  auto hash = SaveManifest(options.out, m);
  if (!hash.ok()) return hash.status();
  ImportReport r;
  r.frames = static_cast<int64_t>(m.frames.size());
  for (const auto& f : m.frames) r.boxes += static_cast<int64_t>(f.annotations.size());
  r.manifest_sha256 = *hash;
  r.manifest_path = options.out / kManifestFileName;
  return r;
}

Progress::Progress(std::string what, int64_t total, bool enabled)
    : what_(std::move(what)), total_(total), enabled_(enabled && isatty(STDERR_FILENO)) {}

Progress::~Progress() {
  if (enabled_ && done_ > 0) std::fprintf(stderr, "\n");
}

void Progress::Step() {
  ++done_;
  if (!enabled_) return;
  if (done_ == total_ || done_ % 16 == 0) {
    if (total_ > 0)
      std::fprintf(stderr, "\r%s %lld/%lld", what_.c_str(), static_cast<long long>(done_),
                   static_cast<long long>(total_));
    else
      std::fprintf(stderr, "\r%s %lld", what_.c_str(), static_cast<long long>(done_));
    std::fflush(stderr);
  }
}

}  // namespace maskbench::datasets::internal

namespace maskbench::datasets {

Result<std::vector<SplitList>> ParseSplitFlags(const std::vector<std::string>& flags) {
  std::vector<SplitList> out;
  for (const auto& f : flags) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size())
      return Status::InvalidArgument("--split " + f, "expected NAME=FILE");
    out.push_back({f.substr(0, eq), f.substr(eq + 1)});
  }
  return out;
}

}  // namespace maskbench::datasets
