// End-to-end tests of `maskbench dataset import|verify|stats|export-coco`:
// the real executable, exit codes, stdout holding only JSON, stderr messages.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace maskbench::datasets {
namespace {

namespace fs = std::filesystem;
using testing::ReadText;
using testing::TempDir;
using testing::VocXml;
using testing::WriteJpeg;
using testing::WriteText;

struct CliRun {
  int code = -1;
  std::string out, err;
};

class DatasetCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The executable is <build>/maskbench; tests live in <build>/tests/.
    const char* build = std::getenv("MASKBENCH_BUILD_DIR");
    fs::path build_dir =
        build ? fs::path(build) : fs::read_symlink("/proc/self/exe").parent_path().parent_path();
    exe_ = build_dir / "maskbench";
    ASSERT_TRUE(fs::exists(exe_)) << exe_ << " is not built";
    WriteJpeg(dir_ / "src/images/a.jpg", 64, 48, 1);
    WriteJpeg(dir_ / "src/images/b.jpg", 80, 60, 2);
    WriteText(dir_ / "src/ann/a.xml", VocXml("a.jpg", 64, 48, {{"with_mask", 10, 5, 65, 25}}));
    WriteText(dir_ / "src/ann/b.xml",
              VocXml("b.jpg", 80, 60, {{"without_mask", 1, 2, 40, 50}, {"with_mask", 3, 3, 9, 9}}));
    WriteText(dir_ / "src/train.txt", "a\n");
    WriteText(dir_ / "src/val.txt", "b\n");
  }
  CliRun Maskbench(const std::string& args) {
    std::string cmd = exe_.string() + " " + args + " >" + (dir_ / "out.txt").string() + " 2>" +
                      (dir_ / "err.txt").string();
    int status = std::system(cmd.c_str());
    CliRun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadText(dir_ / "out.txt");
    r.err = ReadText(dir_ / "err.txt");
    return r;
  }
  std::string D(const std::string& rel) { return (dir_ / rel).string(); }
  CliRun ImportVoc() {
    return Maskbench("dataset import voc --images " + D("src/images") + " --annotations " +
                     D("src/ann") + " --split train=" + D("src/train.txt") +
                     " --split val=" + D("src/val.txt") + " --out " + D("ds"));
  }
  TempDir dir_;
  fs::path exe_;
};

TEST_F(DatasetCliTest, ImportVerifyStatsExport) {
  CliRun imp = ImportVoc();
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_NE(imp.out.find("imported 2 frames, 3 boxes"), std::string::npos) << imp.out;
  EXPECT_NE(imp.err.find("clipped 1 boxes"), std::string::npos) << imp.err;

  CliRun ver = Maskbench("dataset verify " + D("ds"));
  EXPECT_EQ(ver.code, 0) << ver.err;
  EXPECT_NE(ver.out.find("ok: 2 media files, 2 frames, 3 boxes verified"), std::string::npos)
      << ver.out;

  CliRun st = Maskbench("dataset stats " + D("ds") + " --split val --json");
  ASSERT_EQ(st.code, 0) << st.err;
  nlohmann::json j = nlohmann::json::parse(st.out);  // stdout is one JSON document
  EXPECT_EQ(j["images"], 1);
  EXPECT_EQ(j["boxes"], 2);
  EXPECT_EQ(j["classes"]["with_mask"], 1);
  EXPECT_EQ(j["classes"]["without_mask"], 1);
  EXPECT_EQ(j["manifest_sha256"].get<std::string>().size(), 64u);

  CliRun text = Maskbench("dataset stats " + D("ds"));
  ASSERT_EQ(text.code, 0);
  EXPECT_NE(text.out.find(j["manifest_sha256"].get<std::string>()), std::string::npos) << text.out;

  CliRun ex = Maskbench("dataset export-coco " + D("ds") + " --split train --out " + D("gt.json"));
  ASSERT_EQ(ex.code, 0) << ex.err;
  EXPECT_EQ(ex.out, "");
  nlohmann::json gt = nlohmann::json::parse(ReadText(dir_ / "gt.json"));
  EXPECT_EQ(gt["images"].size(), 1u);
  EXPECT_EQ(gt["annotations"][0]["bbox"], nlohmann::json({10.0, 5.0, 54.0, 20.0}));

  CliRun back = Maskbench("dataset import coco --gt " + D("gt.json") + " --images " + D("ds") +
                          " --allow-outside-images --out " + D("ds2") + " --json");
  ASSERT_EQ(back.code, 0) << back.err;
  EXPECT_EQ(nlohmann::json::parse(back.out)["boxes"], 1);
}

TEST_F(DatasetCliTest, FailuresExitNonZeroWithTheFileNamed) {
  ASSERT_EQ(ImportVoc().code, 0);
  std::string data = ReadText(dir_ / "src/images/b.jpg");
  WriteText(dir_ / "src/images/b.jpg", data.substr(0, data.size() / 2));
  CliRun ver = Maskbench("dataset verify " + D("ds") + " --json");
  EXPECT_EQ(ver.code, 1);
  nlohmann::json j = nlohmann::json::parse(ver.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_NE(ver.err.find("maskbench: " + D("src/images/b.jpg") + ": truncated JPEG"),
            std::string::npos)
      << ver.err;
  EXPECT_NE(ver.err.find("FAILED, 3 problems"), std::string::npos) << ver.err;

  WriteText(dir_ / "src/ann/b.xml", "<annotation><size>");
  CliRun bad = ImportVoc();
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("maskbench: " + D("src/ann/b.xml") + ": malformed XML"), std::string::npos)
      << bad.err;

  CliRun split = Maskbench("dataset stats " + D("ds") + " --split test");
  EXPECT_EQ(split.code, 1);
  EXPECT_NE(split.err.find("no split \"test\""), std::string::npos) << split.err;

  CliRun flags = Maskbench("dataset import voc --images " + D("src/images") + " --out " + D("x"));
  EXPECT_EQ(flags.code, 2) << flags.err;
  EXPECT_NE(flags.err.find("--annotations"), std::string::npos) << flags.err;

  CliRun missing = Maskbench("dataset verify " + D("nope"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find(D("nope")), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace maskbench::datasets
