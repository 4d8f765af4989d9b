// FrameCache: decode once into a flat file, memory-map it afterwards.
// The file format is documented in docs/frame-cache.md.
#include "maskbench/datasets/frame_cache.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "image_decode.h"
#include "maskbench/core/files.h"

namespace maskbench::datasets {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'M', 'B', 'F', 'R', 'A', 'M', 'E', 'S'};
constexpr uint32_t kVersion = 2;
constexpr size_t kHeaderFixedBytes = 192;
constexpr size_t kEntryBytes = 80;
constexpr size_t kFrameAlign = 64;
constexpr size_t kDataAlign = 4096;

// The fixed part of the header (little-endian, as laid out in memory on the hosts we build for).
struct Header {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;  // where the pixel data starts (fixed part + table, page aligned)
  char manifest_sha256[64];
  uint64_t frame_count;
  uint64_t file_bytes;
  char split[64];     // zero padded, at most 63 bytes kept
  uint64_t checksum;  // FNV-1a 64 of the fixed part (this field zero) and the table
  uint8_t reserved[kHeaderFixedBytes - 168];
};
static_assert(sizeof(Header) == kHeaderFixedBytes, "header layout");

struct Entry {
  uint64_t offset;  // of the first pixel row, from the start of the file
  uint32_t width;
  uint32_t height;
  uint32_t stride;  // bytes per row (width * 3)
  uint32_t flags;   // 0
  int64_t frame_id;
  uint64_t source_bytes;      // the source file's size when the cache was built
  int64_t source_mtime_ns;    // and its modification time
  uint8_t pixels_sha256[32];  // of the frame's stride * height pixel bytes
};
static_assert(sizeof(Entry) == kEntryBytes, "entry layout");

uint64_t Fnv1a(const uint8_t* p, size_t n, uint64_t h = 0xcbf29ce484222325ull) {
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t Checksum(const Header& h, const Entry* table, size_t n) {
  Header copy = h;
  copy.checksum = 0;
  uint64_t sum = Fnv1a(reinterpret_cast<const uint8_t*>(&copy), sizeof copy);
  return Fnv1a(reinterpret_cast<const uint8_t*>(table), n * sizeof(Entry), sum);
}

// SHA-256 of a frame's pixel bytes.
void PixelsSha256(const uint8_t* p, size_t n, uint8_t out[32]) {
  unsigned int len = 32;
  EVP_Digest(p, n, out, &len, EVP_sha256(), nullptr);
}

// The size and modification time of a source file (0, 0 when it cannot be read).
void SourceStat(const std::string& path, uint64_t* bytes, int64_t* mtime_ns) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *bytes = 0;
    *mtime_ns = 0;
    return;
  }
  *bytes = static_cast<uint64_t>(st.st_size);
  *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

size_t AlignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

std::string SafeSplitName(const std::string& split) {
  if (split.empty()) return "all";
  std::string out;
  for (char c : split)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out;
}

void SplitField(const std::string& split, char out[64]) {
  std::memset(out, 0, 64);
  std::memcpy(out, split.data(), std::min<size_t>(split.size(), 63));
}

// The manifest's hash: as loaded, or of its canonical JSON for a Dataset built in memory.
std::string ManifestHash(const Dataset& ds) {
  return ds.manifest_sha256.empty() ? Sha256Hex(ManifestToJson(ds.manifest)) : ds.manifest_sha256;
}

// The layout every cache of these frames has: header, table, then the frames.
struct Layout {
  Header header{};
  std::vector<Entry> table;
};

Layout MakeLayout(const Dataset& ds, const std::string& split,
                  const std::vector<const Frame*>& frames) {
  Layout l;
  std::memcpy(l.header.magic, kMagic, 8);
  l.header.version = kVersion;
  size_t header_bytes = AlignUp(kHeaderFixedBytes + frames.size() * kEntryBytes, kDataAlign);
  l.header.header_bytes = static_cast<uint32_t>(header_bytes);
  const std::string hash = ManifestHash(ds);
  std::memset(l.header.manifest_sha256, '0', 64);
  std::memcpy(l.header.manifest_sha256, hash.data(), std::min<size_t>(64, hash.size()));
  l.header.frame_count = frames.size();
  SplitField(split, l.header.split);
  size_t off = header_bytes;
  for (const Frame* f : frames) {
    Entry e{};
    e.offset = off;
    e.width = static_cast<uint32_t>(f->width);
    e.height = static_cast<uint32_t>(f->height);
    e.stride = static_cast<uint32_t>(f->width) * 3;
    e.frame_id = f->id;
    if (f->media >= 0 && f->media < static_cast<int>(ds.manifest.media.size()))
      SourceStat(ds.MediaPath(*f).string(), &e.source_bytes, &e.source_mtime_ns);
    l.table.push_back(e);
    off = AlignUp(off + static_cast<size_t>(e.stride) * e.height, kFrameAlign);
  }
  l.header.file_bytes = off;
  l.header.checksum = Checksum(l.header, l.table.data(), l.table.size());
  return l;
}

// Does the mapped file hold exactly `expect` (header, table, size)? An empty string means yes.
std::string Mismatch(const uint8_t* base, size_t bytes, const Layout& expect) {
  if (bytes < sizeof(Header)) return "shorter than its header";
  Header h;
  std::memcpy(&h, base, sizeof h);
  if (std::memcmp(h.magic, kMagic, 8) != 0) return "bad magic";
  if (h.version != kVersion) return "version " + std::to_string(h.version);
  if (std::memcmp(h.manifest_sha256, expect.header.manifest_sha256, 64) != 0)
    return "made for another manifest";
  if (std::memcmp(h.split, expect.header.split, 64) != 0) return "made for another split";
  if (h.frame_count != expect.header.frame_count) return "frame count differs";
  if (h.file_bytes != bytes || h.file_bytes != expect.header.file_bytes) return "file size differs";
  if (h.header_bytes != expect.header.header_bytes) return "header size differs";
  const Entry* table = reinterpret_cast<const Entry*>(base + sizeof(Header));
  if (Checksum(h, table, h.frame_count) != h.checksum) return "header checksum mismatch";
  for (size_t i = 0; i < expect.table.size(); ++i) {
    const Entry& a = table[i];
    const Entry& b = expect.table[i];
    if (a.offset != b.offset || a.width != b.width || a.height != b.height ||
        a.stride != b.stride || a.frame_id != b.frame_id)
      return "frame table differs";
    // The source changed (or went) since the build: rebuild, which checks its hash.
    if (a.source_bytes != b.source_bytes || a.source_mtime_ns != b.source_mtime_ns)
      return "frame id " + std::to_string(a.frame_id) + ": its source file changed";
  }
  return {};
}

class FrameCacheImpl : public FrameCache {
 public:
  FrameCacheImpl(std::vector<Entry> table, bool decoded)
      : table_(std::move(table)), decoded_(decoded), verified_(table_.size()) {}
  ~FrameCacheImpl() override {
    if (map_ != nullptr) munmap(map_, map_bytes_);
  }
  size_t size() const override { return table_.size(); }
  FrameView Get(size_t i) const override {
    MB_CHECK_MSG(i < table_.size(),
                 "frame " + std::to_string(i) + " of " + std::to_string(table_.size()));
    const Entry& e = table_[i];
    FrameView v;
    v.data = base_ + e.offset;
    v.width = static_cast<int>(e.width);
    v.height = static_cast<int>(e.height);
    v.stride = e.stride;
    v.frame_id = e.frame_id;
    return v;
  }
  bool decoded() const override { return decoded_; }
  std::string cache_path() const override { return path_; }
  Status Verify(size_t i) const override {
    MB_CHECK_MSG(i < table_.size(),
                 "frame " + std::to_string(i) + " of " + std::to_string(table_.size()));
    if (verified_[i].load(std::memory_order_acquire)) return Status::Ok();
    const Entry& e = table_[i];
    uint8_t sha[32];
    PixelsSha256(base_ + e.offset, static_cast<size_t>(e.stride) * e.height, sha);
    if (std::memcmp(sha, e.pixels_sha256, 32) != 0)
      return Status::Corruption(
          path_.empty() ? std::string("frame cache (in memory)") : path_,
          "frame " + std::to_string(i) + " (id " + std::to_string(e.frame_id) +
              "): the pixels do not match their checksum (the cache was changed after it was "
              "built; delete it to rebuild)");
    verified_[i].store(1, std::memory_order_release);
    return Status::Ok();
  }

  void UseMemory(std::vector<uint8_t> bytes) {
    owned_ = std::move(bytes);
    base_ = owned_.data();
  }
  void UseMapping(void* map, size_t bytes, std::string path) {
    map_ = map;
    map_bytes_ = bytes;
    base_ = static_cast<const uint8_t*>(map);
    path_ = std::move(path);
  }

 private:
  std::vector<Entry> table_;
  bool decoded_;
  mutable std::vector<std::atomic<uint8_t>> verified_;  // frames whose checksum held
  const uint8_t* base_ = nullptr;
  std::vector<uint8_t> owned_;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  std::string path_;
};

Status SourceChanged(const std::string& path, const Frame& f) {
  return Status::Corruption(path, "does not match its SHA-256 in the manifest (frame id " +
                                      std::to_string(f.id) +
                                      "): the file changed after import; re-import or restore it");
}

Status CheckDecoded(const cv::Mat& m, const Frame& f, const std::string& where) {
  if (m.cols != f.width || m.rows != f.height)
    return Status::Corruption(where, "decoded " + std::to_string(m.cols) + "x" +
                                         std::to_string(m.rows) + ", the manifest says " +
                                         std::to_string(f.width) + "x" + std::to_string(f.height) +
                                         " (frame id " + std::to_string(f.id) + ")");
  if (m.type() != CV_8UC3)
    return Status::Corruption(
        where, "decoded to an unexpected pixel type (frame id " + std::to_string(f.id) + ")");
  return Status::Ok();
}

void CopyInto(const cv::Mat& m, uint8_t* dst, size_t stride) {
  for (int y = 0; y < m.rows; ++y) std::memcpy(dst + stride * y, m.ptr<uint8_t>(y), stride);
}

// Decodes every frame into `base` (laid out as `layout`). Images in parallel,
// each video sequentially. The error reported is the one of the first frame in order.
Status DecodeAll(const Dataset& ds, const std::vector<const Frame*>& frames, Layout& layout,
                 uint8_t* base, int threads, const ImageLimits& limits) {
  std::vector<size_t> images;
  std::map<int, std::vector<size_t>> videos;  // media index -> positions
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = *frames[i];
    if (f.media < 0 || f.media >= static_cast<int>(ds.manifest.media.size()))
      return Status::Corruption(ds.dir.string(),
                                "frame id " + std::to_string(f.id) + ": bad media index");
    if (ds.manifest.media[f.media].kind == Media::Kind::kVideo)
      videos[f.media].push_back(i);
    else
      images.push_back(i);
  }
  std::vector<Status> errors(frames.size());
  std::atomic<size_t> next{0};
  // Copies a decoded frame into place and records its pixels' checksum.
  auto Store = [&](const cv::Mat& m, size_t i) {
    Entry& e = layout.table[i];
    CopyInto(m, base + e.offset, e.stride);
    PixelsSha256(base + e.offset, static_cast<size_t>(e.stride) * e.height, e.pixels_sha256);
  };
  auto image_worker = [&] {
    for (size_t k = next++; k < images.size(); k = next++) {
      size_t i = images[k];
      const Frame& f = *frames[i];
      const Media& media = ds.manifest.media[f.media];
      std::string path = ds.MediaPath(f).string();
      Result<std::string> bytes = ReadFile(path);
      if (!bytes.ok()) {
        errors[i] = bytes.status();
        continue;
      }
      if (!media.sha256.empty() && Sha256Hex(*bytes) != media.sha256) {
        errors[i] = SourceChanged(path, f);
        continue;
      }
      Result<cv::Mat> decoded = internal::DecodeImage(*bytes, path, limits);
      if (!decoded.ok()) {
        errors[i] = Status::Corruption(path, decoded.status().message().substr(path.size() + 2) +
                                                 " (frame id " + std::to_string(f.id) + ")");
        continue;
      }
      const cv::Mat& m = *decoded;
      if (m.empty()) {
        errors[i] = Status::Corruption(
            path, "cannot be decoded as an image (frame id " + std::to_string(f.id) + ")");
        continue;
      }
      errors[i] = CheckDecoded(m, f, path);
      if (errors[i].ok()) Store(m, i);
    }
  };
  auto video_worker = [&](int media_index, std::vector<size_t> positions) {
    std::string path = ds.MediaPath(ds.manifest.media[media_index]).string();
    std::stable_sort(positions.begin(), positions.end(), [&](size_t a, size_t b) {
      return frames[a]->frame_index < frames[b]->frame_index;
    });
    const Media& media = ds.manifest.media[media_index];
    if (!media.sha256.empty()) {
      Result<std::string> sha = Sha256File(path);
      if (!sha.ok() || *sha != media.sha256) {
        errors[positions.front()] =
            sha.ok() ? SourceChanged(path, *frames[positions.front()]) : sha.status();
        return;
      }
    }
    cv::VideoCapture cap(path);
    if (!cap.isOpened()) {
      errors[positions.front()] = Status::Corruption(path, "cannot be opened as a video");
      return;
    }
    int64_t cur = 0;  // index of the next frame the capture returns
    cv::Mat m;
    size_t last = SIZE_MAX;
    for (size_t i : positions) {
      const Frame& f = *frames[i];
      if (last != SIZE_MAX &&
          frames[last]->frame_index == f.frame_index) {  // the same picture twice
        std::memcpy(base + layout.table[i].offset, base + layout.table[last].offset,
                    static_cast<size_t>(layout.table[i].stride) * f.height);
        std::memcpy(layout.table[i].pixels_sha256, layout.table[last].pixels_sha256, 32);
        continue;
      }
      while (cur < f.frame_index && cap.grab()) ++cur;
      bool ok = cur == f.frame_index && cap.read(m);
      if (!ok || m.empty()) {
        errors[i] = Status::Corruption(path, "frame " + std::to_string(f.frame_index) +
                                                 ": cannot be decoded (the video ends after " +
                                                 std::to_string(cur) + " frames)");
        return;
      }
      ++cur;
      errors[i] = CheckDecoded(m, f, path + " frame " + std::to_string(f.frame_index));
      if (!errors[i].ok()) return;
      Store(m, i);
      last = i;
    }
  };
  int n =
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n = std::max(1, std::min<int>(n, static_cast<int>(images.size())));
  std::vector<std::thread> pool;
  for (const auto& [media, positions] : videos) pool.emplace_back(video_worker, media, positions);
  if (!images.empty()) {
    for (int t = 1; t < n; ++t) pool.emplace_back(image_worker);
    image_worker();
  }
  for (auto& t : pool) t.join();
  for (const Status& s : errors)
    if (!s.ok()) return s;
  layout.header.checksum = Checksum(layout.header, layout.table.data(), layout.table.size());
  return Status::Ok();
}

// Maps `path` read-only; nullptr when it cannot.
void* MapFile(const std::string& path, size_t* bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return nullptr;
  }
  *bytes = static_cast<size_t>(st.st_size);
  void* p = mmap(nullptr, *bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  return p == MAP_FAILED ? nullptr : p;
}

// Removes cache files of the same split made for other manifests.
void RemoveStale(const fs::path& dir, const fs::path& keep, const std::string& split) {
  std::error_code ec;
  std::string suffix = SafeSplitName(split);
  suffix.insert(0, 1, '-');
  suffix.append(".bin");
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("frames-", 0) == 0 && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 && e.path() != keep)
      fs::remove(e.path(), ec);
  }
}

}  // namespace

std::string FrameCachePath(const Dataset& ds, const std::string& split,
                           const FrameCacheOptions& options) {
  fs::path dir = options.cache_dir.empty() ? ds.dir / ".cache" : fs::path(options.cache_dir);
  return (dir / ("frames-" + ManifestHash(ds).substr(0, 16) + "-" + SafeSplitName(split) + ".bin"))
      .string();
}

Result<std::unique_ptr<FrameCache>> FrameCache::Open(const Dataset& ds, const std::string& split,
                                                     const FrameCacheOptions& options) {
  if (!split.empty() && std::find(ds.manifest.splits.begin(), ds.manifest.splits.end(), split) ==
                            ds.manifest.splits.end())
    return Status::InvalidArgument((ds.dir / kManifestFileName).string(),
                                   "has no split \"" + split + "\"");
  std::vector<const Frame*> frames = ds.manifest.FramesOfSplit(split);
  Layout layout = MakeLayout(ds, split, frames);
  const size_t total = layout.header.file_bytes;

  auto in_memory = [&]() -> Result<std::unique_ptr<FrameCache>> {
    std::vector<uint8_t> bytes(total);
    MB_RETURN_IF_ERROR(
        DecodeAll(ds, frames, layout, bytes.data(), options.threads, options.image_limits));
    auto cache = std::make_unique<FrameCacheImpl>(layout.table, true);
    cache->UseMemory(std::move(bytes));
    return std::unique_ptr<FrameCache>(std::move(cache));
  };
  if (options.in_memory) return in_memory();

  const std::string path = FrameCachePath(ds, split, options);
  // A valid cache file: map it and we are done.
  size_t bytes = 0;
  if (void* map = MapFile(path, &bytes)) {
    if (Mismatch(static_cast<const uint8_t*>(map), bytes, layout).empty()) {
      // The stored table: it carries the checksums of the stored pixels.
      const auto* stored =
          reinterpret_cast<const Entry*>(static_cast<const uint8_t*>(map) + sizeof(Header));
      auto cache = std::make_unique<FrameCacheImpl>(
          std::vector<Entry>(stored, stored + layout.table.size()), false);
      cache->UseMapping(map, bytes, path);
      return std::unique_ptr<FrameCache>(std::move(cache));
    }
    munmap(map, bytes);  // stale or damaged: rebuild it below
  }

  // Build: decode into a temporary file mapped read-write, then rename it into place.
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  fs::create_directories(dir, ec);
  static std::atomic<int> counter{0};
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return in_memory();  // a read-only place: decode into memory instead
  void* wmap = MAP_FAILED;
  if (::ftruncate(fd, static_cast<off_t>(total)) == 0)
    wmap = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (wmap == MAP_FAILED) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return in_memory();  // e.g. no space for the file
  }
  auto* base = static_cast<uint8_t*>(wmap);
  Status s = DecodeAll(ds, frames, layout, base, options.threads, options.image_limits);
  if (s.ok()) {
    if (!layout.table.empty())
      std::memcpy(base + sizeof(Header), layout.table.data(), layout.table.size() * sizeof(Entry));
    std::memcpy(base, &layout.header, sizeof(Header));  // last: a file is valid only when complete
  }
  munmap(wmap, total);
  bool synced = s.ok() && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError(path,
                           std::string("cannot write the frame cache: ") + std::strerror(errno));
  }
  // Only the data set's own cache folder is pruned: a shared cache_dir may hold other data sets.
  if (options.cache_dir.empty()) RemoveStale(dir, path, split);
  void* map = MapFile(path, &bytes);
  if (map == nullptr || bytes != total) {
    if (map != nullptr) munmap(map, bytes);
    return Status::IOError(path, "cannot map the frame cache just written");
  }
  auto cache = std::make_unique<FrameCacheImpl>(layout.table, true);
  cache->UseMapping(map, bytes, path);
  return std::unique_ptr<FrameCache>(std::move(cache));
}

}  // namespace maskbench::datasets
