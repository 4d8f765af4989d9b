// LoadSubmission: a .so or a folder, with or without submission.json.
#include "maskbench/harness/submission.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace maskbench::harness {
namespace {

namespace fs = std::filesystem;

class SubmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mb-submission-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  fs::path dir_;
};

TEST_F(SubmissionTest, FolderWithMetadata) {
  Write(dir_ / "sub" / "libnpu.so", "x");
  Write(
      dir_ / "sub" / "submission.json",
      R"({"name": "npu", "team": "t7", "version": "2", "latency_kind": "modeled", "config": {"a": 1}})");
  Result<Submission> s = LoadSubmission(dir_ / "sub");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->plugin, dir_ / "sub" / "libnpu.so");
  EXPECT_EQ(s->dir, dir_ / "sub");
  EXPECT_EQ(s->name, "npu");
  EXPECT_EQ(s->team, "t7");
  EXPECT_EQ(s->latency_kind, "modeled");
  EXPECT_EQ(s->config_json, R"({"a":1})");
}

TEST_F(SubmissionTest, SoFileWithoutMetadata) {
  Write(dir_ / "sub" / "libnpu.so", "x");
  Result<Submission> s = LoadSubmission(dir_ / "sub" / "libnpu.so");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "libnpu");
  EXPECT_EQ(s->config_json, "{}");
  EXPECT_EQ(s->latency_kind, "measured");
}

TEST_F(SubmissionTest, ErrorsNameTheProblem) {
  Result<Submission> s = LoadSubmission(dir_ / "sub");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no plugin (.so)"), std::string::npos);
  Write(dir_ / "sub" / "a.so", "x");
  Write(dir_ / "sub" / "b.so", "x");
  s = LoadSubmission(dir_ / "sub");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("more than one .so"), std::string::npos);
  Write(dir_ / "sub" / "submission.json", R"({"plugin": "a.so", "latency_kind": "fast"})");
  s = LoadSubmission(dir_ / "sub");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("submission.json"), std::string::npos);
  EXPECT_NE(s.status().message().find("latency_kind"), std::string::npos);
  Write(dir_ / "sub" / "submission.json", R"({"plugin": "a.so", "config": [1]})");
  s = LoadSubmission(dir_ / "sub");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("\"config\" must be a JSON object"), std::string::npos);
  Write(dir_ / "sub" / "submission.json", R"({"plugin": "a.so"})");
  EXPECT_TRUE(LoadSubmission(dir_ / "sub").ok());
  EXPECT_FALSE(LoadSubmission(dir_ / "missing").ok());
}

}  // namespace
}  // namespace maskbench::harness

#include "maskbench/harness/elf_symbols.h"

namespace maskbench::harness {
namespace {

TEST(ElfSymbolsTest, TestPluginsExportOnlyTheEntry) {
  const char* build = std::getenv("MASKBENCH_BUILD_DIR");
  ASSERT_NE(build, nullptr);
  for (const char* name : {"noop", "echo", "throws"}) {
    fs::path so =
        fs::path(build) / "submissions/testing" / name / ("lib" + std::string(name) + ".so");
    Result<std::vector<std::string>> syms = ElfExportedSymbols(so);
    ASSERT_TRUE(syms.ok()) << syms.status().message();
    EXPECT_EQ(*syms, std::vector<std::string>{"mb_accelerator_entry"}) << name;
  }
  // The runner is an executable linked against libc: it exports more (or nothing) but never fails.
  Result<std::vector<std::string>> libc = ElfExportedSymbols("/proc/self/exe");
  EXPECT_TRUE(libc.ok()) << libc.status().message();
}

TEST(ElfSymbolsTest, RejectsNonElf) {
  const fs::path p = fs::temp_directory_path() / ("mb-not-elf-" + std::to_string(getpid()));
  std::ofstream(p) << "#!/bin/sh\n";
  Result<std::vector<std::string>> syms = ElfExportedSymbols(p);
  EXPECT_FALSE(syms.ok());
  EXPECT_NE(syms.status().message().find("not an ELF file"), std::string::npos);
  fs::remove(p);
}

}  // namespace
}  // namespace maskbench::harness
