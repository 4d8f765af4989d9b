#include "maskbench/datasets/verify.h"

#include <gtest/gtest.h>

#include "import_util.h"
#include "maskbench/datasets/importers.h"
#include "test_util.h"

namespace maskbench::datasets {
namespace {

using testing::ReadText;
using testing::TempDir;
using testing::VocXml;
using testing::WriteJpeg;
using testing::WriteText;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteJpeg(dir_ / "src/images/a.jpg", 64, 48, 1);
    WriteJpeg(dir_ / "src/images/b.jpg", 80, 60, 2);
    WriteText(dir_ / "src/ann/a.xml", VocXml("a.jpg", 64, 48, {{"with_mask", 10, 5, 30, 25}}));
    WriteText(dir_ / "src/ann/b.xml", VocXml("b.jpg", 80, 60, {{"without_mask", 1, 2, 20, 30}}));
    ImportOptions o;
    o.out = dir_ / "ds";
    auto r = ImportVoc(dir_ / "src/images", dir_ / "src/ann", o);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  // Loads and verifies; returns the joined problems ("" when ok).
  std::string Verify(VerifyReport* report = nullptr, size_t cap = 100) {
    auto ds = LoadDataset(dir_ / "ds");
    EXPECT_TRUE(ds.ok()) << ds.status().message();
    if (!ds.ok()) return "load failed";
    VerifyReport local;
    VerifyReport* r = report ? report : &local;
    VerifyOptions o;
    o.max_problems = cap;
    Status s = VerifyDataset(*ds, o, r);
    EXPECT_EQ(s.ok(), r->ok());
    std::string all;
    for (const auto& p : r->problems) all += p + "\n";
    if (!s.ok()) {
      EXPECT_EQ(s.message().rfind(r->problems[0], 0), 0u) << s.message();
    }
    return all;
  }
  TempDir dir_;
};

TEST_F(VerifyTest, AGoodDataSetPasses) {
  VerifyReport r;
  EXPECT_EQ(Verify(&r), "");
  EXPECT_EQ(r.media_checked, 2);
  EXPECT_EQ(r.frames_checked, 2);
  EXPECT_EQ(r.boxes_checked, 2);
}

TEST_F(VerifyTest, TruncatedJpegIsCaught) {
  std::string data = ReadText(dir_ / "src/images/b.jpg");
  WriteText(dir_ / "src/images/b.jpg", data.substr(0, data.size() * 2 / 3));
  std::string problems = Verify();
  EXPECT_NE(problems.find("b.jpg: truncated JPEG: the file does not end with the EOI marker FF D9"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("b.jpg: size is"), std::string::npos) << problems;
  EXPECT_EQ(problems.find("a.jpg"), std::string::npos) << problems;
}

TEST_F(VerifyTest, FlippedByteIsCaughtByTheHash) {
  std::string data = ReadText(dir_ / "src/images/a.jpg");
  data[data.size() / 2] ^= 0x01;
  WriteText(dir_ / "src/images/a.jpg", data);
  VerifyReport r;
  std::string problems = Verify(&r);
  EXPECT_NE(problems.find("a.jpg: sha256 is "), std::string::npos) << problems;
  EXPECT_NE(problems.find("(the file changed)"), std::string::npos) << problems;
  EXPECT_EQ(problems.find("size is"), std::string::npos) << problems;  // same size, other bytes
}

TEST_F(VerifyTest, OutOfFrameBoxIsCaught) {
  std::string m = ReadText(dir_ / "ds/manifest.json");
  // Frame 1 is b (80x60); move its box's x from 1 to 70 so it ends at 89.
  auto pos = m.find("\"bbox\": [\n      1.0,");
  ASSERT_NE(pos, std::string::npos) << m;
  m.replace(pos, std::string("\"bbox\": [\n      1.0,").size(), "\"bbox\": [\n      70.0,");
  WriteText(dir_ / "ds/manifest.json", m);
  std::string problems = Verify();
  EXPECT_NE(problems.find("manifest.json: frame 1 (b) annotation 0: box [70, 2, 19, 28] is outside "
                          "the 80x60 frame"),
            std::string::npos)
      << problems;
}

TEST_F(VerifyTest, HalfAPixelPastTheEdgeIsTolerated) {
  std::string m = ReadText(dir_ / "ds/manifest.json");
  auto pos = m.find("\"bbox\": [\n      1.0,");
  ASSERT_NE(pos, std::string::npos);
  m.replace(pos, std::string("\"bbox\": [\n      1.0,").size(),
            "\"bbox\": [\n      61.5,");  // ends at 80.5
  WriteText(dir_ / "ds/manifest.json", m);
  EXPECT_EQ(Verify(), "");
}

TEST_F(VerifyTest, MissingFileAndWrongSizeAreCaught) {
  std::filesystem::remove(dir_ / "src/images/a.jpg");
  WriteJpeg(dir_ / "src/images/b.jpg", 81, 60, 2);
  std::string problems = Verify();
  EXPECT_NE(problems.find("a.jpg: missing"), std::string::npos) << problems;
  EXPECT_NE(problems.find("frame 1 (b): the manifest says 80x60 but"), std::string::npos)
      << problems;
  EXPECT_NE(problems.find("decodes to 81x60"), std::string::npos) << problems;
}

TEST_F(VerifyTest, EveryProblemIsCountedAndTheListIsCapped) {
  std::string data = ReadText(dir_ / "src/images/a.jpg");
  WriteText(dir_ / "src/images/a.jpg", data.substr(0, 100));
  std::filesystem::remove(dir_ / "src/images/b.jpg");
  VerifyReport r;
  Verify(&r, 1);
  EXPECT_EQ(r.problem_count, 4);  // a: size, sha256, truncated; b: missing
  EXPECT_EQ(r.problems.size(), 1u);
}

TEST_F(VerifyTest, TruncatedPngIsCaught) {
  cv::Mat img(30, 40, CV_8UC3, cv::Scalar(10, 200, 30));
  ASSERT_TRUE(cv::imwrite((dir_ / "src/images/c.png").string(), img));
  WriteText(dir_ / "src/ann/c.xml", VocXml("c.png", 40, 30, {{"with_mask", 1, 1, 10, 10}}));
  ImportOptions o;
  o.out = dir_ / "ds";
  ASSERT_TRUE(ImportVoc(dir_ / "src/images", dir_ / "src/ann", o).ok());
  EXPECT_EQ(Verify(), "");
  std::string data = ReadText(dir_ / "src/images/c.png");
  WriteText(dir_ / "src/images/c.png", data.substr(0, data.size() - 12));  // drop IEND
  std::string problems = Verify();
  EXPECT_NE(problems.find("c.png: truncated PNG"), std::string::npos) << problems;
}

TEST(ImageTruncationTest, JpegNeedsEoiAtTheEnd) {
  std::string jpeg = "\xFF\xD8\xFF\xE0 body \xFF\xD9";
  EXPECT_EQ(internal::ImageTruncationProblem(jpeg), "");
  EXPECT_EQ(internal::ImageTruncationProblem(jpeg + std::string(3, '\0')),
            "");  // zero padding is fine
  EXPECT_NE(internal::ImageTruncationProblem(jpeg.substr(0, jpeg.size() - 1)), "");
  EXPECT_NE(internal::ImageTruncationProblem(jpeg + "junk"), "");
  EXPECT_EQ(internal::ImageTruncationProblem("not an image format we check"), "");
}

}  // namespace
}  // namespace maskbench::datasets
