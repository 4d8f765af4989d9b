#include "maskbench/scoring/detections.h"

#include <gtest/gtest.h>

#include <cmath>

#include "maskbench/scoring/ground_truth.h"
#include "test_util.h"

namespace maskbench::scoring {
namespace {

std::string ParseError(const std::string& text) {
  Result<std::vector<Detection>> r = ParseCocoDetections(text, "dets.json");
  return r.ok() ? std::string("(parsed)") : r.status().message();
}

TEST(DetectionsTest, ParsesAndSkipsOtherKeys) {
  Result<std::vector<Detection>> r = ParseCocoDetections(
      R"([{"image_id": 3, "category_id": 1, "bbox": [1.5, 2, 3e1, 4.25], "score": 0.5,
           "segmentation": [[1, 2, {"a": [true, null, "x\"y"]}]]},
          {"score": 1, "bbox": [0, 0, 0, 0], "category_id": 2.0, "image_id": -7}])",
      "dets.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].image_id, 3);
  EXPECT_EQ((*r)[0].bbox[2], 30.0);
  EXPECT_EQ((*r)[0].bbox[3], 4.25);
  EXPECT_EQ((*r)[1].category_id, 2);
  EXPECT_EQ((*r)[1].image_id, -7);
  EXPECT_TRUE(ParseCocoDetections(" [ ] ", "x")->empty());
}

TEST(DetectionsTest, MalformedRecordsNameTheIndex) {
  const std::string ok = R"({"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5})";
  EXPECT_EQ(ParseError("[" + ok +
                       R"(, {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1], "score": 0.5}])"),
            "dets.json: record 1: bbox must be 4 numbers");
  EXPECT_EQ(
      ParseError("[" + ok + "," + ok +
                 R"(, {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": NaN}])"),
      "dets.json: record 2: score is NaN");
  EXPECT_EQ(
      ParseError(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 1], "score": 0.5}])"),
      "dets.json: record 0: bbox w and h must be >= 0");
  EXPECT_EQ(
      ParseError(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, "2"], "score": 0.5}])"),
      "dets.json: record 0: bbox must be 4 numbers");
  EXPECT_EQ(
      ParseError(R"([{"image_id": 1.5, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}])"),
      "dets.json: record 0: image_id must be an integer");
  EXPECT_EQ(ParseError(R"([{"image_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}])"),
            "dets.json: record 0: missing category_id");
  EXPECT_EQ(
      ParseError(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": Infinity}])"),
      "dets.json: record 0: score must be finite");
  // An absurd box: inf/inf = NaN would give an identical detection AP 0.
  EXPECT_EQ(ParseError(
                R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1e300, 1e300], "score": 1}])"),
            "dets.json: record 0: bbox value 1e+300 is outside +-1e7 px (kMaxBoxCoordinate)");
  EXPECT_EQ(
      ParseError(R"({"image_id": 1})"),
      "dets.json: record 0: invalid JSON: expected a JSON array of detections (line 1, column 1)");
  EXPECT_NE(ParseError("[" + ok + ",\n {\"image_id\": 1,,}]").find("record 1: invalid JSON"),
            std::string::npos);
  EXPECT_NE(ParseError("[" + ok + "] x").find("unexpected text after the array"),
            std::string::npos);
}

TEST(DetectionsTest, ValidateAgainstGroundTruth) {
  GroundTruth gt = testing::MakeGt({1, 2}, {{0, "with_mask"}}, {});
  std::vector<Detection> dets = {testing::D(1, 0, 0, 0, 1, 1, 0.5),
                                 testing::D(5, 0, 0, 0, 1, 1, 0.5)};
  Status s = ValidateDetections(gt, dets, "dets.json");
  EXPECT_EQ(s.message(), "dets.json: record 1: unknown image_id 5");
  dets[1] = testing::D(2, 3, 0, 0, 1, 1, 0.5);
  EXPECT_EQ(ValidateDetections(gt, dets, "dets.json").message(),
            "dets.json: record 1: unknown category_id 3");
  dets[1].category_id = 0;
  EXPECT_TRUE(ValidateDetections(gt, dets, "dets.json").ok());
}

TEST(DetectionsTest, JsonRoundTripIsExact) {
  std::vector<Detection> dets = {
      testing::D(1, 2, 0.1, 1.0 / 3, 417.3332824707031, 1e-7, 0.9949821829795837),
      testing::D(-4, 0, 5, 6, 7, 8, 0)};
  Result<std::vector<Detection>> back = ParseCocoDetections(DetectionsToCocoJson(dets), "x");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*back)[i].image_id, dets[i].image_id);
    EXPECT_EQ((*back)[i].category_id, dets[i].category_id);
    for (int k = 0; k < 4; ++k) EXPECT_EQ((*back)[i].bbox[k], dets[i].bbox[k]);
    EXPECT_EQ((*back)[i].score, dets[i].score);
  }
}

TEST(GroundTruthTest, ParsesCocoAndDefaults) {
  Result<GroundTruth> gt = ParseCocoGroundTruth(
      R"({"images": [{"id": 5}, {"id": 2}], "categories": [{"id": 0, "name": "with_mask"}],
          "annotations": [{"image_id": 2, "category_id": 0, "bbox": [1, 2, 3, 4], "segmentation": [[1, 2]]},
                          {"id": 9, "image_id": 5, "category_id": 0, "bbox": [0, 0, 10, 10], "area": 50,
                           "iscrowd": 1, "difficult": true}]})",
      "gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status().message();
  ASSERT_EQ(gt->boxes.size(), 2u);
  EXPECT_EQ(gt->boxes[0].id, 1);
  EXPECT_EQ(gt->boxes[0].area, 12.0);  // w * h when absent
  EXPECT_EQ(gt->boxes[1].area, 50.0);
  EXPECT_TRUE(gt->boxes[1].iscrowd);
  EXPECT_TRUE(gt->boxes[1].difficult);
  EXPECT_EQ(gt->ImageIndex(2), 1);
  EXPECT_EQ(gt->CategoryName(0), "with_mask");
}

TEST(GroundTruthTest, ArraysInAnyOrderAndEscapedNames) {
  Result<GroundTruth> gt = ParseCocoGroundTruth(
      R"({"annotations": [{"id": 4, "image_id": 9, "category_id": 3, "bbox": [0, 0, 2, 2]}],
          "info": {"x": [1, {"y": null}]},
          "categories": [{"id": 3, "name": "caf\u00e9 \"x\""}], "images": [{"id": 9, "file_name": "a\/b.jpg"}]})",
      "gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status().message();
  EXPECT_EQ(gt->categories[0].name, "caf\xc3\xa9 \"x\"");
  EXPECT_EQ(gt->boxes[0].image_id, 9);
  EXPECT_EQ(gt->boxes[0].id, 4);
}

TEST(GroundTruthTest, ErrorsNameTheRecord) {
  auto err = [](const std::string& text) {
    Result<GroundTruth> r = ParseCocoGroundTruth(text, "gt.json");
    return r.ok() ? std::string("(parsed)") : r.status().message();
  };
  const std::string head = R"({"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [)";
  EXPECT_EQ(err(head + R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3]}]})"),
            "gt.json: annotations[0]: bbox must be 4 numbers");
  EXPECT_EQ(
      err(head +
          R"({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}, {"image_id": 4, "category_id": 1, "bbox": [1, 2, 3, 4]}]})"),
      "gt.json: annotations[1]: unknown image_id 4");
  EXPECT_EQ(err(head + R"({"image_id": 1, "category_id": 2, "bbox": [1, 2, 3, 4]}]})"),
            "gt.json: annotations[0]: unknown category_id 2");
  EXPECT_EQ(err(head + R"({"image_id": 1, "category_id": 1, "bbox": [0, 0, 1e300, 1e300]}]})"),
            "gt.json: annotations[0]: bbox value 1e+300 is outside +-1e7 px (kMaxBoxCoordinate)");
  EXPECT_EQ(err(R"({"images": [], "categories": []})"), "gt.json: missing array \"annotations\"");
  EXPECT_NE(err("{").find("gt.json: not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace maskbench::scoring
