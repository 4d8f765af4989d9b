// `maskbench demo`, the main job, end to end through the real executable: the
// embedded default data set, every submission the build made judged isolated,
// the leaderboard JSON, the page and the per-submission reports. Few frames to
// keep it short (--frames 2); a second demo reuses every stored run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;

fs::path BuildDir() {
  const char* dir = std::getenv("MASKBENCH_BUILD_DIR");
  return dir ? fs::path(dir) : fs::path(".");
}

// Runs a shell command; returns its exit code and stdout.
int Shell(const std::string& command, std::string* out) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(DemoTest, RunsTheMainJobAndWritesEveryOutput) {
  const fs::path out = fs::temp_directory_path() / ("mb-demo-test-" + std::to_string(getpid()));
  fs::remove_all(out);
  const std::string cmd =
      (BuildDir() / "maskbench").string() + " demo --out " + out.string() + " --frames 2";
  std::string text;
  ASSERT_EQ(Shell(cmd, &text), 0) << text;
  EXPECT_NE(text.find("[4/4] done"), std::string::npos) << text;
  EXPECT_TRUE(fs::exists(out / "results.sqlite"));
  EXPECT_TRUE(fs::exists(out / "web" / "index.html"));
  nlohmann::json lb = nlohmann::json::parse(std::ifstream(out / "leaderboard.json"));
  std::map<std::string, nlohmann::json> entries;
  for (const auto& e : lb["entries"]) entries[e["name"]] = e;
  for (const char* name : {"reference-baseline", "reference-fp32", "int8-fast", "systolic-16x16"}) {
    ASSERT_TRUE(entries.count(name)) << name << "\n" << lb.dump();
    EXPECT_EQ(entries[name]["status"], "ok") << name;
    EXPECT_TRUE(fs::exists(out / "reports" / name / "report.html")) << name;
  }
  // The examples are bit-exact with the baseline, so they pass the gate and rank.
  EXPECT_TRUE(entries["int8-fast"]["rank"].is_number()) << entries["int8-fast"].dump();
  EXPECT_TRUE(entries["reference-baseline"]["rank"].is_number());
  // Again: every run is reused (judging is idempotent), nothing is lost.
  text.clear();
  ASSERT_EQ(Shell(cmd, &text), 0) << text;
  EXPECT_NE(text.find("already judged"), std::string::npos) << text;
  nlohmann::json again = nlohmann::json::parse(std::ifstream(out / "leaderboard.json"));
  EXPECT_EQ(again["entries"].size(), lb["entries"].size());
  fs::remove_all(out);
}

}  // namespace
