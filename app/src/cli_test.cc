// The command line's messages, through the real executable: an unknown flag or
// command is named; --frames 0 is refused; a missing split lists the ones
// there are; --help ends with examples and docs/cli.md; a crashed run shows no
// latency, fps or speedup; a failed gate prints its threshold, and
// --require-gate makes it exit 3; judge lists the folders it skipped and why.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "maskbench/datasets/synth.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;

fs::path BuildDir() {
  const char* b = std::getenv("MASKBENCH_BUILD_DIR");
  return b ? fs::path(b) : fs::path(".");
}

struct Output {
  int rc = -1;
  std::string out, err;
};

Output Mb(const std::vector<std::string>& args) {
  static int n = 0;
  const fs::path err_file =
      fs::temp_directory_path() /
      ("maskbench-cli-test-" + std::to_string(getpid()) + "-" + std::to_string(n++) + ".err");
  std::string cmd = "'" + (BuildDir() / "maskbench").string() + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>'" + err_file.string() + "'";
  Output o;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return o;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, got);
  int status = pclose(p);
  o.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file);
  o.err.assign(std::istreambuf_iterator<char>(e), {});
  fs::remove(err_file);
  return o;
}

class MessagesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("maskbench-cli-test-" + std::to_string(getpid())));
    fs::remove_all(*dir_);
    datasets::SynthOptions so;
    so.frames = 6;
    so.seed = 11;
    ASSERT_TRUE(datasets::SynthesizeDataset(*dir_ / "ds", so).ok());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path Sub(const std::string& name) { return BuildDir() / "submissions" / name; }
  static std::string Ds() { return (*dir_ / "ds").string(); }
  static fs::path* dir_;
};
fs::path* MessagesTest::dir_ = nullptr;

TEST_F(MessagesTest, AnUnknownFlagIsNamedBeforeAMissingOne) {
  Output o = Mb({"run", "--bogus", "x"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("unknown flag \"--bogus\" for `maskbench run`"), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("required"), std::string::npos) << o.err;
  o = Mb({"judge", "--submissions", "s", "--dataset", "d", "--db", "x", "--exector", "slurm"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("unknown flag \"--exector\" for `maskbench judge`"), std::string::npos)
      << o.err;
}

TEST_F(MessagesTest, AnUnknownCommandIsNamedWithTheCommandsThereAre) {
  Output o = Mb({"nwe", "my-npu"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("unknown command \"nwe\" for `maskbench`"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("run, judge"), std::string::npos) << o.err;
  o = Mb({"dataset", "verfy", Ds()});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("unknown command \"verfy\" for `maskbench dataset`"), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("verify"), std::string::npos) << o.err;
}

TEST_F(MessagesTest, ValidateWarnsAboutTheTemplatesName) {
  Output o = Mb({"validate", Sub("template").string()});
  EXPECT_NE(o.out.find("WARN  "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("the judge skips it"), std::string::npos) << o.out;
  o = Mb({"validate", Sub("testing/noop").string()});
  EXPECT_EQ(o.out.find("the judge skips it"), std::string::npos) << o.out;
}

TEST_F(MessagesTest, FramesZeroIsRefused) {
  Output o = Mb({"run", Sub("testing/noop").string(), "--dataset", Ds(), "--frames", "0"});
  EXPECT_EQ(o.rc, 1);
  EXPECT_NE(o.err.find("--frames: must be at least 1, got 0"), std::string::npos) << o.err;
}

TEST_F(MessagesTest, AMissingSplitListsTheSplits) {
  Output o = Mb({"run", Sub("testing/noop").string(), "--dataset", Ds(), "--split", "nosuch"});
  EXPECT_EQ(o.rc, 1);
  EXPECT_NE(o.err.find("no split \"nosuch\" in the manifest (it has: train, val)"),
            std::string::npos)
      << o.err;
}

TEST_F(MessagesTest, HelpEndsWithExamplesAndThePointerToTheDocs) {
  for (const char* cmd : {"run", "judge", "validate", "leaderboard"}) {
    Output o = Mb({cmd, "--help"});
    EXPECT_EQ(o.rc, 0) << cmd;
    EXPECT_NE(o.out.find("Examples:\n  maskbench " + std::string(cmd)), std::string::npos)
        << cmd << ": " << o.out;
    EXPECT_NE(o.out.find("docs/cli.md"), std::string::npos) << cmd;
  }
  Output top = Mb({"--help"});
  EXPECT_NE(top.out.find("maskbench demo"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("docs/cli.md"), std::string::npos);
}

TEST_F(MessagesTest, ACrashedRunShowsNoLatencyFpsOrSpeedup) {
  Output o = Mb({"run", Sub("testing/segfault").string(), "--dataset", Ds(), "--db",
                 (*dir_ / "crash.sqlite").string()});
  EXPECT_EQ(o.rc, 1);
  EXPECT_NE(o.out.find("status       crashed"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("latency      n/a: the run ended crashed"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("fps ("), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("  speedup "), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("no reference-baseline run"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("not judged: the run ended crashed"), std::string::npos) << o.out;
}

TEST_F(MessagesTest, AFailedGatePrintsItsThresholdAndRequireGateExits3) {
  const std::string db = (*dir_ / "gate.sqlite").string();
  // noop finds nothing: mAP50 0 fails any gate.
  Output o = Mb({"run", Sub("testing/noop").string(), "--dataset", Ds(), "--db", db});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("gate FAILED: mAP50 0.0000 < 0.99 x reference-fp32's "), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("measured on this machine over the same frames"), std::string::npos)
      << o.out;
  o = Mb({"run", Sub("testing/noop").string(), "--dataset", Ds(), "--db", db, "--require-gate"});
  EXPECT_EQ(o.rc, 3);
  EXPECT_NE(o.err.find("--require-gate: track measured: gate FAILED"), std::string::npos) << o.err;
}

TEST_F(MessagesTest, JudgeListsTheFoldersItSkippedAndWhy) {
  const fs::path subs = *dir_ / "subs";
  fs::create_directories(subs / "empty-folder");
  fs::copy(Sub("testing/noop"), subs / "noop", fs::copy_options::recursive);
  Output o = Mb({"judge", "--submissions", subs.string(), "--dataset", Ds(), "--db",
                 (*dir_ / "judge.sqlite").string(), "--trials", "1", "--no-noise-check",
                 "--audit-frames", "2", "--allow-unsealed"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("empty-folder"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("skipped"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("no plugin (.so) in it"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace maskbench::app
