#include "maskbench/core/archive.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "maskbench/core/files.h"

namespace maskbench {
namespace {

namespace fs = std::filesystem;
constexpr const char* kManifest = "MANIFEST.sha256";

void Octal(char* field, size_t width, uint64_t value) {
  // width - 1 digits and a NUL.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

// A ustar header for `path` (split into prefix/name when longer than 100 bytes).
Result<std::string> Header(const std::string& path, uint64_t size, bool executable,
                           char type = '0') {
  std::string h(512, '\0');
  std::string name = path, prefix;
  if (name.size() > 100) {
    size_t cut = path.rfind('/', 155);
    while (cut != std::string::npos && path.size() - cut - 1 > 100)
      cut = cut == 0 ? std::string::npos : path.rfind('/', cut - 1);
    if (cut == std::string::npos || cut > 155)
      return Status::InvalidArgument(path, "path too long for an archive (at most 255 bytes)");
    prefix = path.substr(0, cut);
    name = path.substr(cut + 1);
  }
  std::memcpy(&h[0], name.data(), name.size());
  Octal(&h[100], 8, executable ? 0755 : 0644);
  Octal(&h[108], 8, 0);
  Octal(&h[116], 8, 0);
  Octal(&h[124], 12, size);
  Octal(&h[136], 12, 0);
  std::memset(&h[148], ' ', 8);
  h[156] = type;
  std::memcpy(&h[257], "ustar", 6);
  std::memcpy(&h[263], "00", 2);
  std::memcpy(&h[345], prefix.data(), prefix.size());
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

bool SafePath(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.size() > 255) return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    std::string part =
        p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == ".." || part == "." || (part.empty() && slash != std::string::npos)) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (unsigned char c : p)
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  return true;
}

uint64_t ParseOctal(const char* f, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && f[i] != '\0' && f[i] != ' '; ++i) {
    if (f[i] < '0' || f[i] > '7') return UINT64_MAX;
    v = v * 8 + static_cast<uint64_t>(f[i] - '0');
  }
  return v;
}

}  // namespace

Status WriteArchive(const fs::path& out, const std::vector<ArchiveFile>& files) {
  std::vector<ArchiveFile> sorted = files;
  std::sort(sorted.begin(), sorted.end(),
            [](const ArchiveFile& a, const ArchiveFile& b) { return a.path < b.path; });
  std::string manifest;
  std::set<std::string> seen;
  for (const ArchiveFile& f : sorted) {
    if (!SafePath(f.path) || f.path == kManifest)
      return Status::InvalidArgument(f.path, "not a path an archive may hold");
    if (!seen.insert(f.path).second) return Status::InvalidArgument(f.path, "listed twice");
    Result<std::string> hash = Sha256File(f.from);
    if (!hash.ok()) return hash.status();
    manifest += *hash + "  " + f.path + "\n";
  }
  const fs::path tmp = out.string() + ".tmp-" + std::to_string(getpid());
  gzFile gz = gzopen(tmp.c_str(), "wb9");
  if (gz == nullptr) return Status::IOError(tmp.string(), "cannot create: " + ErrnoText(errno));
  auto put = [&](const std::string& bytes) {
    return bytes.empty() || gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) ==
                                static_cast<int>(bytes.size());
  };
  auto add = [&](const std::string& path, const std::string& data, bool exec) -> Status {
    Result<std::string> h = Header(path, data.size(), exec);
    if (!h.ok()) return h.status();
    std::string pad((512 - data.size() % 512) % 512, '\0');
    if (!put(*h) || !put(data) || !put(pad))
      return Status::IOError(tmp.string(), "write failed (disk full?)");
    return Status::Ok();
  };
  Status s = add(kManifest, manifest, false);
  for (const ArchiveFile& f : sorted) {
    if (!s.ok()) break;
    Result<std::string> data = ReadFile(f.from);
    if (!data.ok()) {
      s = data.status();
      break;
    }
    if (data->size() >= (uint64_t{1} << 33)) {
      s = Status::InvalidArgument(f.from.string(), "8 GiB or larger: too large for an archive");
      break;
    }
    struct stat st {};
    const bool exec = ::stat(f.from.c_str(), &st) == 0 && (st.st_mode & S_IXUSR);
    s = add(f.path, *data, exec);
  }
  if (s.ok() && !put(std::string(1024, '\0')))
    s = Status::IOError(tmp.string(), "write failed (disk full?)");
  if (gzclose(gz) != Z_OK && s.ok()) s = Status::IOError(tmp.string(), "write failed (disk full?)");
  std::error_code ec;
  if (s.ok()) fs::rename(tmp, out, ec);
  if (s.ok() && ec) s = Status::IOError(out.string(), "cannot put in place: " + ec.message());
  if (!s.ok()) fs::remove(tmp, ec);
  return s;
}

Result<std::vector<std::string>> ExtractArchive(const fs::path& archive, const fs::path& dest,
                                                const ArchiveLimits& limits) {
  const std::string where = archive.string();
  std::error_code ec;
  if (fs::exists(dest, ec)) return Status::InvalidArgument(dest.string(), "already exists");
  gzFile gz = gzopen(archive.c_str(), "rb");
  if (gz == nullptr) return Status::NotFound(where, "cannot open: " + ErrnoText(errno));
  fs::create_directories(dest, ec);
  if (ec) {
    gzclose(gz);
    return Status::IOError(dest.string(), "cannot create: " + ec.message());
  }
  auto fail = [&](const std::string& why) -> Result<std::vector<std::string>> {
    gzclose(gz);
    std::error_code e2;
    fs::remove_all(dest, e2);
    return Status::InvalidArgument(where, why);
  };
  std::map<std::string, std::string> hashes;  // path -> sha256 of what was written
  std::string manifest;
  bool have_manifest = false;
  int64_t total = 0, count = 0;
  char block[512];
  for (;;) {
    int got = gzread(gz, block, sizeof block);
    if (got == 0) break;  // end without the two zero blocks: accept
    if (got != 512) return fail("truncated or not a gzip-compressed tar");
    if (std::all_of(block, block + 512, [](char c) { return c == '\0'; })) break;
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i)
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
    if (ParseOctal(block + 148, 8) != sum)
      return fail("a tar header's checksum is wrong (damaged?)");
    std::string name(block, strnlen(block, 100));
    std::string prefix(block + 345, strnlen(block + 345, 155));
    if (std::memcmp(block + 257, "ustar", 5) == 0 && !prefix.empty()) name = prefix + "/" + name;
    const char type = block[156];
    const uint64_t size = ParseOctal(block + 124, 12);
    const uint64_t mode = ParseOctal(block + 100, 8);
    if (size == UINT64_MAX) return fail(name + ": bad size field");
    if (++count > limits.max_files)
      return fail("more than " + std::to_string(limits.max_files) + " files and folders");
    if (type == '5') {
      if (!name.empty() && name.back() == '/') name.pop_back();
      if (!SafePath(name)) return fail(name + ": unsafe path");
      if (size != 0) return fail(name + ": a folder with a size");
      fs::create_directories(dest / name, ec);
      continue;
    }
    if (type != '0' && type != '\0')
      return fail(name + ": not a regular file or folder (links and devices are refused)");
    if (!SafePath(name)) return fail(name + ": unsafe path (absolute, '..', or odd characters)");
    if (static_cast<int64_t>(size) > limits.max_file_bytes)
      return fail(name + ": larger than " + std::to_string(limits.max_file_bytes) + " bytes");
    total += static_cast<int64_t>(size);
    if (total > limits.max_bytes)
      return fail("more than " + std::to_string(limits.max_bytes) + " bytes unpacked");
    if (hashes.count(name) || (name == kManifest && have_manifest))
      return fail(name + ": appears twice");
    if (name == kManifest && static_cast<int64_t>(size) > limits.max_manifest_bytes)
      return fail(std::string(kManifest) + ": larger than " +
                  std::to_string(limits.max_manifest_bytes) + " bytes");
    // Streamed in chunks into a new file, hashed on the way.
    const fs::path target = dest / name;
    std::string manifest_text;
    int fd = -1;
    if (name != kManifest) {
      fs::create_directories(target.parent_path(), ec);
      if (ec || fs::is_symlink(target.parent_path()))
        return fail(name + ": clashes with another entry");
      fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  (mode != UINT64_MAX && (mode & 0100)) ? 0755 : 0644);
      if (fd < 0) return fail(name + ": clashes with another entry (" + ErrnoText(errno) + ")");
    }
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> sha(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!sha || EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr) != 1) {
      if (fd >= 0) ::close(fd);
      return fail("cannot hash (OpenSSL)");
    }
    std::vector<char> chunk(1 << 16);
    uint64_t left = size;
    bool ok = true;
    while (left > 0 && ok) {
      const unsigned want = static_cast<unsigned>(std::min<uint64_t>(left, chunk.size()));
      const int got_bytes = gzread(gz, chunk.data(), want);
      if (got_bytes != static_cast<int>(want)) {
        ok = false;
        break;
      }
      EVP_DigestUpdate(sha.get(), chunk.data(), want);
      if (fd >= 0) {
        for (size_t off = 0; off < want;) {
          const ssize_t w = ::write(fd, chunk.data() + off, want - off);
          if (w <= 0) {
            ok = false;
            break;
          }
          off += static_cast<size_t>(w);
        }
      } else {
        manifest_text.append(chunk.data(), want);
      }
      left -= want;
    }
    if (fd >= 0 && ::close(fd) != 0) ok = false;
    if (!ok) return fail(name + ": truncated, or the disk is full");
    const size_t pad = (512 - size % 512) % 512;
    if (pad > 0 && gzread(gz, block, static_cast<unsigned>(pad)) != static_cast<int>(pad))
      return fail(name + ": truncated");
    if (name == kManifest) {
      manifest = std::move(manifest_text);
      have_manifest = true;
      continue;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_DigestFinal_ex(sha.get(), digest, &digest_len);
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < digest_len; ++i) {
      const unsigned char c = digest[i];
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    hashes[name] = hex;
  }
  gzclose(gz);
  gz = nullptr;
  auto fail2 = [&](const std::string& why) -> Result<std::vector<std::string>> {
    std::error_code e2;
    fs::remove_all(dest, e2);
    return Status::InvalidArgument(where, why);
  };
  if (!have_manifest) return fail2(std::string("no ") + kManifest + ": not a maskbench archive");
  std::map<std::string, std::string> listed;
  size_t pos = 0;
  while (pos < manifest.size()) {
    size_t nl = manifest.find('\n', pos);
    if (nl == std::string::npos) nl = manifest.size();
    const std::string line = manifest.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    if (line.size() < 67 || line.compare(64, 2, "  ") != 0)
      return fail2(std::string(kManifest) + ": malformed line \"" + line.substr(0, 80) + "\"");
    if (!listed.emplace(line.substr(66), line.substr(0, 64)).second)
      return fail2(std::string(kManifest) + ": " + line.substr(66) + " is listed twice");
  }
  for (const auto& [path, hash] : hashes) {
    auto it = listed.find(path);
    if (it == listed.end()) return fail2(path + ": not in " + kManifest);
    if (it->second != hash)
      return fail2(path + ": its SHA-256 differs from " + kManifest + " (changed after packing?)");
  }
  for (const auto& [path, hash] : listed)
    if (!hashes.count(path)) return fail2(path + ": in " + kManifest + " but not in the archive");
  std::vector<std::string> paths;
  for (const auto& [path, hash] : hashes) paths.push_back(path);
  return paths;
}

}  // namespace maskbench
