#include "maskbench/reference/model_files.h"

#include <cctype>

#include "maskbench/core/files.h"

namespace maskbench::reference {

Result<std::string> ReadExpectedOnnxSha256(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kOnnxShaFileName;
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  const std::string hex = text->substr(0, 64);
  bool ok = hex.size() == 64;
  for (char c : hex)
    ok = ok && std::isxdigit(static_cast<unsigned char>(c)) &&
         !std::isupper(static_cast<unsigned char>(c));
  if (!ok) return Status::Corruption(path.string(), "expected 64 lower-case hex digits first");
  return hex;
}

Status VerifyOnnx(const std::filesystem::path& dir) {
  Result<std::string> expected = ReadExpectedOnnxSha256(dir);
  if (!expected.ok()) return expected.status();
  Result<std::string> actual = Sha256File(dir / kOnnxFileName);
  if (!actual.ok()) return actual.status();
  if (*actual != *expected)
    return Status::Corruption(
        (dir / kOnnxFileName).string(),
        "SHA-256 is " + *actual + ", expected " + *expected + " (from " + kOnnxShaFileName + ")");
  return Status::Ok();
}

}  // namespace maskbench::reference
