#include <gtest/gtest.h>

#include <filesystem>

#include "maskbench/core/files.h"
#include "maskbench/core/status.h"

namespace maskbench {
namespace {

TEST(StatusTest, MessageNamesWhereAndWhat) {
  Status s = Status::Corruption("ds/manifest.json", "frame 12: missing sha256");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "ds/manifest.json: frame 12: missing sha256");
  EXPECT_EQ(s.ToString(), "Corruption: ds/manifest.json: frame 12: missing sha256");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  Result<int> bad(Status::NotFound("x", "y"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "x: y");
}

TEST(FilesTest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(FilesTest, AtomicWriteThenReadAndHash) {
  auto dir = std::filesystem::temp_directory_path() / "mb_core_test";
  std::filesystem::remove_all(dir);
  auto path = dir / "sub" / "f.bin";
  ASSERT_TRUE(WriteFileAtomic(path, "abc").ok());
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "abc");
  auto h = Sha256File(path);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, Sha256Hex("abc"));
  EXPECT_FALSE(std::filesystem::exists(dir / "sub" / "f.bin.tmp"));
  auto missing = ReadFile(dir / "nope");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace maskbench
