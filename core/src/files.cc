#include "maskbench/core/files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace maskbench {
namespace {

std::string ToHex(const unsigned char* digest, unsigned int len) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::string ErrnoText(int err) {
  if (err == ENOSPC || err == EDQUOT) return std::string("disk full (") + std::strerror(err) + ")";
  return std::strerror(err);
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(path.string(), "no such file");
    return Status::IOError(path.string(), ErrnoText(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IOError(path.string(), ErrnoText(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(
        path.string(), S_ISDIR(st.st_mode) ? "is a folder, not a file" : "is not a regular file");
  }
  std::string data;
  data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::IOError(path.string(), "read failed: " + ErrnoText(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  static std::atomic<int> counter{0};
  const std::string tmp =
      path.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(tmp, ErrnoText(errno));
  auto fail = [&](const std::string& what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::IOError(path.string(), what + ": " + ErrnoText(err));
  };
  for (size_t done = 0; done < data.size();) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write failed", errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("write failed", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(path.string(), "write failed: " + ErrnoText(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(path.string(), "rename failed: " + ErrnoText(err));
  }
  return Status::Ok();
}

Result<StagingDir> StagingDir::Create(const std::filesystem::path& dir, const std::string& marker,
                                      const std::vector<std::string>& also_allowed) {
  std::error_code ec0;
  if (!marker.empty() && std::filesystem::exists(dir, ec0)) {
    if (!std::filesystem::is_directory(dir, ec0))
      return Status::InvalidArgument(dir.string(), "exists and is not a folder");
    bool only_allowed = true;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec0))
      if (std::find(also_allowed.begin(), also_allowed.end(), e.path().filename().string()) ==
          also_allowed.end())
        only_allowed = false;
    if (!only_allowed && !std::filesystem::exists(dir / marker, ec0))
      return Status::InvalidArgument(
          dir.string(), "exists, is not empty and holds no " + marker +
                            ", so it is not an earlier output to replace; choose a new folder");
  }
  static std::atomic<int> counter{0};
  std::filesystem::path staging = dir;
  staging += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::error_code ec;
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  std::filesystem::remove_all(staging, ec);
  if (!std::filesystem::create_directories(staging, ec) || ec)
    return Status::IOError(staging.string(), "cannot create the folder: " + ec.message());
  StagingDir s;
  s.dir_ = dir;
  s.staging_ = staging;
  return s;
}

StagingDir::StagingDir(StagingDir&& o) noexcept
    : dir_(std::move(o.dir_)), staging_(std::move(o.staging_)) {
  o.staging_.clear();
}

StagingDir::~StagingDir() {
  if (!staging_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(staging_, ec);
  }
}

Status StagingDir::Commit() {
  if (staging_.empty()) return Status::InvalidArgument(dir_.string(), "already committed");
  std::error_code ec;
  if (std::filesystem::exists(dir_, ec)) {
    // Swap the two folders in one step, then remove the old one.
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, dir_.c_str(), RENAME_EXCHANGE) != 0)
      return Status::IOError(dir_.string(), "cannot replace the folder: " + ErrnoText(errno));
    std::filesystem::remove_all(staging_, ec);  // now holds the old contents
  } else if (::rename(staging_.c_str(), dir_.c_str()) != 0) {
    return Status::IOError(dir_.string(), "cannot move the folder into place: " + ErrnoText(errno));
  }
  staging_.clear();
  return Status::Ok();
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return ToHex(digest, len);
}

Result<std::string> Sha256File(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path.string(), "cannot open for hashing");
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::string buf(1 << 16, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize n = in.gcount();
    if (n > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  if (in.bad()) return Status::IOError(path.string(), "read failed while hashing");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return ToHex(digest, len);
}

}  // namespace maskbench
