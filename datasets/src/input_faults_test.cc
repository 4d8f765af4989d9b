// Inputs that once aborted or fooled the importers and decoders: invalid UTF-8,
// numbers out of range, paths leading out of the images folder, corrupt and
// truncated JPEGs, decompression bombs. Each must give a Status naming the file
// and the record, never an exception, and cost nothing to reject.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstring>
#include <opencv2/imgcodecs.hpp>

#include "image_decode.h"
#include "maskbench/core/files.h"
#include "maskbench/core/text.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/verify.h"
#include "test_util.h"

namespace maskbench::datasets {
namespace {

using testing::TempDir;
using testing::VocXml;
using testing::WriteJpeg;
using testing::WriteText;

std::string Contents(const std::filesystem::path& p) { return testing::ReadText(p); }

class InputFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteJpeg(dir_ / "images/a.jpg", 64, 48, 1);
    options_.out = dir_ / "ds";
  }
  Result<ImportReport> ImportVocWith(const std::string& xml) {
    WriteText(dir_ / "ann/a.xml", xml);
    return ImportVoc(dir_ / "images", dir_ / "ann", options_);
  }
  TempDir dir_;
  ImportOptions options_;
};

void ExpectMentions(const Status& s, std::initializer_list<std::string> parts) {
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(IsValidUtf8(s.message())) << "the message itself must be printable";
  for (const std::string& p : parts)
    EXPECT_NE(s.message().find(p), std::string::npos) << "'" << p << "' in: " << s.message();
}

TEST_F(InputFaultsTest, InvalidUtf8InAVocClassNameIsAnErrorNamingTheObject) {
  auto r = ImportVocWith(VocXml("a.jpg", 64, 48, {{"with\xff_mask", 1, 1, 20, 20}}));
  ExpectMentions(r.status(), {"a.xml", "object 0", "<name>", "invalid UTF-8"});
  EXPECT_FALSE(std::filesystem::exists(dir_ / "ds/manifest.json"));
}

TEST_F(InputFaultsTest, InvalidUtf8InAClassesFileNamesTheLine) {
  WriteText(dir_ / "classes.txt", "with_mask\nwithout\xc3(mask\n");
  options_.classes_file = dir_ / "classes.txt";
  auto r = ImportVocWith(VocXml("a.jpg", 64, 48, {}));
  ExpectMentions(r.status(), {"classes.txt line 2", "invalid UTF-8"});
}

TEST_F(InputFaultsTest, InvalidUtf8InAVideoCsvNamesTheLine) {
  WriteText(dir_ / "boxes.csv", "frame,class,x,y,w,h\n0,with\xe2\x82_mask,1,1,5,5\n");
  auto r = ImportVideo(dir_ / "images/a.jpg", dir_ / "boxes.csv", options_);
  ExpectMentions(r.status(), {"boxes.csv", "line 2", "invalid UTF-8"});
}

TEST_F(InputFaultsTest, AVocSizeOutOfRangeIsAnError) {
  // Found by fuzz_voc: 6.7e28 cast to int was undefined behaviour.
  std::string xml = VocXml("a.jpg", 64, 48, {});
  xml.replace(xml.find("<width>64</width>"), 17, "<width>6.66667e+28</width>");
  ExpectMentions(ImportVocWith(xml).status(), {"a.xml", "<size>"});
}

TEST_F(InputFaultsTest, CocoNumberOutOfRangeIsAnErrorNotAnAbort) {
  WriteText(dir_ / "gt.json", R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 1e309}],)"
                              R"( "annotations": [], "categories": []})");
  auto r = ImportCoco(dir_ / "gt.json", dir_ / "images", options_);
  ExpectMentions(r.status(), {"gt.json", "not valid JSON"});
}

TEST_F(InputFaultsTest, CocoFileNamesMustStayInsideTheImagesFolder) {
  std::filesystem::copy_file(dir_ / "images/a.jpg", dir_ / "a.jpg");  // a real file outside
  for (const std::string& name : {std::string(""), std::string("."), std::string("../a.jpg"),
                                  (dir_ / "images/a.jpg").string(), std::string("sub/../..")}) {
    WriteText(dir_ / "gt.json", R"({"images": [{"id": 1, "file_name": ")" + name +
                                    R"("}], "annotations": [], "categories": []})");
    auto r = ImportCoco(dir_ / "gt.json", dir_ / "images", options_);
    SCOPED_TRACE("file_name \"" + name + "\"");
    ExpectMentions(r.status(), {"gt.json", "images[0]"});
  }
  // Allowed on request (what export-coco's output needs).
  options_.allow_outside_images = true;
  WriteText(dir_ / "gt.json", R"({"images": [{"id": 1, "file_name": "../a.jpg"}],)"
                              R"( "annotations": [], "categories": []})");
  auto ok = ImportCoco(dir_ / "gt.json", dir_ / "images", options_);
  EXPECT_TRUE(ok.ok()) << ok.status().message();
}

TEST_F(InputFaultsTest, VocFilenameThatLeavesTheImagesFolderIsRefused) {
  for (const std::string& name :
       {std::string("/etc/hostname"), std::string("../../../etc/hostname")}) {
    auto r = ImportVocWith(VocXml(name, 64, 48, {}));
    ExpectMentions(r.status(), {"a.xml", "<filename>", "outside the images folder"});
  }
  // A link inside the folder that points out of it.
  std::filesystem::create_symlink("/etc/hostname", dir_ / "images/link.jpg");
  auto r = ImportVocWith(VocXml("link.jpg", 64, 48, {}));
  ExpectMentions(r.status(), {"a.xml", "outside the images folder"});
}

TEST_F(InputFaultsTest, TruncatedJpegWithAnEndMarkerAppendedIsCorrupt) {
  std::string jpeg = Contents(dir_ / "images/a.jpg");
  jpeg.resize(jpeg.size() * 2 / 3);
  jpeg += "\xff\xd9";
  ASSERT_TRUE(WriteFileAtomic(dir_ / "images/a.jpg", jpeg).ok());
  auto r = ImportVocWith(VocXml("a.jpg", 64, 48, {}));
  ExpectMentions(r.status(), {"a.jpg", "JPEG"});
}

TEST_F(InputFaultsTest, JpegWithZeroedDataIsCorrupt) {
  WriteJpeg(dir_ / "images/a.jpg", 640, 480, 7);
  std::string jpeg = Contents(dir_ / "images/a.jpg");
  ASSERT_GT(jpeg.size(), 6000u);
  std::memset(jpeg.data() + jpeg.size() / 2, 0, 2048);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "images/a.jpg", jpeg).ok());
  auto r = ImportVocWith(VocXml("a.jpg", 640, 480, {}));
  ExpectMentions(r.status(), {"a.jpg", "JPEG"});
}

// A small real JPEG whose frame header claims `side` x `side`.
std::string JpegBomb(int side) {
  cv::Mat img(16, 16, CV_8UC3, cv::Scalar(1, 2, 3));
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", img, buf);
  std::string s(buf.begin(), buf.end());
  for (size_t i = 2; i + 9 < s.size(); ++i) {
    if (static_cast<uint8_t>(s[i]) == 0xFF && static_cast<uint8_t>(s[i + 1]) == 0xC0) {
      s[i + 5] = static_cast<char>(side >> 8);  // height
      s[i + 6] = static_cast<char>(side & 0xff);
      s[i + 7] = static_cast<char>(side >> 8);  // width
      s[i + 8] = static_cast<char>(side & 0xff);
      return s;
    }
  }
  ADD_FAILURE() << "no SOF0 marker";
  return s;
}

uint32_t Crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// A small real PNG whose IHDR (with a valid CRC) claims `side` x `side`.
std::string PngBomb(uint32_t side) {
  cv::Mat img(16, 16, CV_8UC3, cv::Scalar(1, 2, 3));
  std::vector<uint8_t> buf;
  cv::imencode(".png", img, buf);
  for (int k = 0; k < 4; ++k) {
    buf[16 + k] = static_cast<uint8_t>(side >> (24 - 8 * k));
    buf[20 + k] = static_cast<uint8_t>(side >> (24 - 8 * k));
  }
  const uint32_t crc = Crc32(buf.data() + 12, 17);  // "IHDR" + 13 data bytes
  for (int k = 0; k < 4; ++k) buf[29 + k] = static_cast<uint8_t>(crc >> (24 - 8 * k));
  return std::string(buf.begin(), buf.end());
}

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST_F(InputFaultsTest, DecompressionBombsAreRefusedFromTheHeader) {
  const long before = MaxRssKb();
  const std::string jpeg = JpegBomb(30000);
  EXPECT_LT(jpeg.size(), 20000u);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "images/a.jpg", jpeg).ok());
  auto r = ImportVocWith(VocXml("a.jpg", 30000, 30000, {}));
  ExpectMentions(r.status(), {"a.jpg", "30000x30000", "16384"});
  const std::string png = PngBomb(32768);
  Result<cv::Mat> p = internal::DecodeImage(png, "bomb.png", ImageLimits{});
  ExpectMentions(p.status(), {"bomb.png", "32768x32768"});
  // Raised limits: still refused by pixels when over them.
  ImageLimits wide;
  wide.max_side = 40000;
  Result<cv::Mat> j = internal::DecodeImage(jpeg, "bomb.jpg", wide);
  ExpectMentions(j.status(), {"bomb.jpg", "pixels"});
  // Nothing was decoded: the peak memory grew by far less than one such image (2.7 GB).
  EXPECT_LT(MaxRssKb() - before, 64 * 1024) << "KiB";
}

TEST_F(InputFaultsTest, AFrameCacheBuildRefusesABombToo) {
  ASSERT_TRUE(ImportVocWith(VocXml("a.jpg", 64, 48, {})).ok());
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  ds->manifest.media[0].sha256.clear();  // as if the manifest said so; the bytes decide
  ASSERT_TRUE(WriteFileAtomic(dir_ / "images/a.jpg", JpegBomb(30000)).ok());
  auto c = FrameCache::Open(*ds, "", {.in_memory = true});
  ExpectMentions(c.status(), {"a.jpg", "30000x30000"});
  VerifyReport report;
  EXPECT_FALSE(VerifyDataset(*ds, {}, &report).ok());
  bool named = false;
  for (const std::string& p : report.problems)
    named = named || p.find("30000x30000") != std::string::npos;
  EXPECT_TRUE(named) << ::testing::PrintToString(report.problems);
}

TEST(ImageDecodeTest, TurboJpegGivesOpenCvsPixels) {
  cv::Mat img(97, 131, CV_8UC3);
  cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
  for (int quality : {50, 90}) {
    std::vector<uint8_t> buf;
    cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
    const std::string bytes(buf.begin(), buf.end());
    Result<cv::Mat> ours = internal::DecodeImage(bytes, "x.jpg", ImageLimits{});
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    cv::Mat theirs = cv::imdecode(buf, cv::IMREAD_COLOR);
    cv::Mat diff;
    cv::absdiff(*ours, theirs, diff);
    EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0) << "quality " << quality;
  }
}

TEST(ImageDecodeTest, OtherFormatsAreUnsupported) {
  Result<cv::Mat> r = internal::DecodeImage("GIF89a....", "x.gif", ImageLimits{});
  ExpectMentions(r.status(), {"x.gif", "not a JPEG, PNG or BMP"});
}

}  // namespace
}  // namespace maskbench::datasets
