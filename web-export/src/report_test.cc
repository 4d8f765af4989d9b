#include "maskbench/web_export/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "maskbench/contest/store.h"

namespace maskbench::web_export {
namespace {

namespace fs = std::filesystem;

constexpr int kW = 320, kH = 240;

scoring::GroundTruth TestGroundTruth() {
  auto gt = scoring::ParseCocoGroundTruth(
      R"({"images": [{"id": 0}, {"id": 1}, {"id": 2}],
          "categories": [{"id": 0, "name": "with_mask"}, {"id": 1, "name": "without_mask"},
                         {"id": 2, "name": "mask_weared_incorrect"}],
          "annotations": [
            {"image_id": 0, "category_id": 0, "bbox": [100, 100, 40, 40]},
            {"image_id": 1, "category_id": 0, "bbox": [20, 30, 50, 60]},
            {"image_id": 1, "category_id": 1, "bbox": [200, 150, 40, 40]}]})",
      "report test gt");
  EXPECT_TRUE(gt.ok()) << gt.status().message();
  return *gt;
}

harness::RunRecord TestRecord() {
  harness::RunRecord r;
  r.plugin_path = "/tmp/libtest_submission.so";
  r.mode = "isolated";
  r.frame_ids = {0, 1, 2};
  r.latency_ns = {2'000'000, 2'500'000, 4'000'000};
  r.round_trip_ns = {2'100'000, 2'600'000, 4'100'000};
  r.detections = {{{100, 100, 40, 40, 0, 0.95f}},
                  {// Not on any GT box, so its edge keeps the class colour.
                   {150, 100, 40, 40, 1, 0.9f},
                   // Below the draw threshold: must not appear.
                   {250, 20, 30, 30, 2, 0.2f},
                   {200, 150, 40, 40, 1, 0.8f}},
                  {}};
  return r;
}

// The `summary` document the report reads (what `run --json` prints), written by hand.
nlohmann::ordered_json TestSummary() {
  nlohmann::ordered_json s;
  s["latency_ms"] = {{"p50", 2.5}, {"p90", 4.0}, {"p99", 4.0}};
  s["modeled_latency_ms"] = 1.25;
  s["latency_kind"] = "measured";
  s["accuracy"] = {{"mAP50", 0.8765}, {"AP", 0.5432}, {"violation_recall", 0.9012}};
  s["speedup"] = 12.3456;
  s["gate_passed"] = true;
  s["context"] = {
      {"dataset", "synth"},         {"dataset_sha256", "3f2a"}, {"split", "val"},
      {"rules", "<default>"},       {"rules_sha256", "5d41"},   {"harness_version", "0.1.0"},
      {"harness_commit", "deadbee"}};
  s["tracks"] = nlohmann::ordered_json::array({{{"name", "measured"},
                                                {"in_track", true},
                                                {"gate_passed", true},
                                                {"gate",
                                                 {{"metric", "mAP50"},
                                                  {"value", 0.8765},
                                                  {"reference", "reference-fp32"},
                                                  {"reference_value", 0.88},
                                                  {"min_ratio", 0.99},
                                                  {"threshold", 0.8712}}}}});
  return s;
}

// Precision-recall curves as the run's facts carry them (recall order).
std::vector<contest::PrCurve> TestCurves() {
  std::vector<contest::PrCurve> curves;
  for (int64_t c : {0, 1}) {
    contest::PrCurve curve{c, c == 0 ? "with_mask" : "without_mask", {}};
    for (int i = 0; i <= 10; ++i) curve.points.emplace_back(i / 10.0, 1.0 - 0.05 * i * (c + 1));
    curves.push_back(std::move(curve));
  }
  return curves;
}

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

cv::Vec3b ColorOf(const std::array<uint8_t, 3>& c) { return cv::Vec3b(c[0], c[1], c[2]); }

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mb_report_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    frames_ = harness::MakeSyntheticFrames(3, kW, kH);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ReportInput Input(const harness::RunRecord& rec, const scoring::GroundTruth* gt,
                    nlohmann::ordered_json summary) {
    ReportInput in;
    in.name = "test-sub";
    in.team = "Team <A&B>";
    in.version = "1.2";
    in.record = &rec;
    in.summary = std::move(summary);
    in.gt = gt;
    in.pr_curves = TestCurves();
    in.pr_curves_metric = "VOC AP50 (all-point)";
    in.frames = frames_.get();
    return in;
  }

  fs::path dir_;
  std::unique_ptr<harness::MemoryFrameSource> frames_;
};

TEST(ReportSampleFramesTest, MostGroundTruthFirstTiesById) {
  scoring::GroundTruth gt = TestGroundTruth();
  harness::RunRecord rec = TestRecord();
  EXPECT_EQ(ReportSampleFrames(rec, &gt), (std::vector<int64_t>{1, 0, 2}));
  // Without ground truth: most detections first.
  EXPECT_EQ(ReportSampleFrames(rec, nullptr), (std::vector<int64_t>{1, 0, 2}));
  rec.frame_ids.clear();
  for (int i = 0; i < 10; ++i) rec.frame_ids.push_back(100 - i);
  rec.detections.assign(10, {});
  EXPECT_EQ(ReportSampleFrames(rec, &gt).size(), static_cast<size_t>(kReportMaxFrames));
  EXPECT_EQ(ReportSampleFrames(rec, &gt).front(), 91);
}

TEST(ReportColorTest, ClassColorsDiffer) {
  EXPECT_NE(ReportClassColorBgr(0), ReportClassColorBgr(1));
  EXPECT_NE(ReportClassColorBgr(1), ReportClassColorBgr(2));
}

TEST_F(ReportTest, OkRunWritesPageAndPlotsAndFrames) {
  const scoring::GroundTruth gt = TestGroundTruth();
  const harness::RunRecord rec = TestRecord();
  ASSERT_TRUE(WriteSubmissionReport(dir_, Input(rec, &gt, TestSummary())).ok());

  const std::string html = ReadText(dir_ / "report.html");
  ASSERT_FALSE(html.empty());
  EXPECT_NE(html.find("test-sub"), std::string::npos);
  EXPECT_NE(html.find("Team &lt;A&amp;B&gt;"), std::string::npos);  // escaped
  EXPECT_NE(html.find(">ok</b>"), std::string::npos);
  // Every figure of the summary is printed where it belongs.
  EXPECT_NE(html.find("<th>latency p50 / p90 / p99</th><td>2.500 / 4.000 / 4.000 ms</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<th>modeled latency</th><td>1.250 ms</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>latency kind (speedup)</th><td>measured</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>mAP@0.5</th><td>0.8765</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>AP@[.5:.95]</th><td>0.5432</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>violation recall</th><td>0.9012</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>speedup</th><td>12.35&times;</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>accuracy gate</th><td>passed</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>frames measured</th><td>3</td>"), std::string::npos);

  // Every PNG written is referenced by the page, and every reference exists.
  std::set<std::string> written, referenced;
  for (const auto& e : fs::recursive_directory_iterator(dir_))
    if (e.path().extension() == ".png")
      written.insert(fs::relative(e.path(), dir_).generic_string());
  std::regex src_re("src=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), src_re);
       it != std::sregex_iterator(); ++it)
    referenced.insert((*it)[1]);
  EXPECT_EQ(written, referenced);
  EXPECT_EQ(written,
            (std::set<std::string>{"latency_histogram.png", "latency_over_time.png",
                                   "pr_curves.png", "frames/frame_0.png", "frames/frame_1.png",
                                   "frames/frame_2.png", "frames/missed_0.png"}));

  for (const char* plot : {"latency_histogram.png", "pr_curves.png"}) {
    cv::Mat img = cv::imread((dir_ / plot).string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(img.empty()) << plot;
    EXPECT_EQ(img.cols, kReportPlotWidth) << plot;
    EXPECT_EQ(img.rows, kReportPlotHeight) << plot;
  }
  // The curves given are drawn: a legend swatch per class, in the class colour, in order.
  cv::Mat pr = cv::imread((dir_ / "pr_curves.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(pr.empty());
  const int legend_x = kReportPlotWidth - 16 - 212;  // PlotArea right - 212: mid-swatch
  EXPECT_EQ(pr.at<cv::Vec3b>(36 + 20 - 4, legend_x), ColorOf(ReportClassColorBgr(0)));
  EXPECT_EQ(pr.at<cv::Vec3b>(36 + 40 - 4, legend_x), ColorOf(ReportClassColorBgr(1)));
  EXPECT_NE(pr.at<cv::Vec3b>(36 + 60 - 4, legend_x), ColorOf(ReportClassColorBgr(2)));

  cv::Mat f1 = cv::imread((dir_ / "frames/frame_1.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(f1.empty());
  ASSERT_EQ(ReportFrameScale(kW), 1);
  EXPECT_EQ(f1.cols, kW);
  EXPECT_EQ(f1.rows, kH + kReportLegendHeight);
  // GT box [20, 30, 50, 60] (with_mask): its left edge, half-way down, is in its class colour.
  EXPECT_EQ(f1.at<cv::Vec3b>(60, 20), ColorOf(ReportClassColorBgr(0)));
  // Detection class 1 at [150, 100, 40, 40]: left edge in the class colour.
  EXPECT_EQ(f1.at<cv::Vec3b>(120, 150), ColorOf(ReportClassColorBgr(1)));
  // The low-score class-2 detection at [250, 20, 30, 30] is not drawn.
  EXPECT_NE(f1.at<cv::Vec3b>(35, 250), ColorOf(ReportClassColorBgr(2)));
  // Interior of the GT box keeps the frame's own pixel.
  const harness::FrameRef src = frames_->Get(1);
  const uint8_t* p = src.data + 60 * src.stride + 45 * 3;
  EXPECT_EQ(f1.at<cv::Vec3b>(60, 45), cv::Vec3b(p[0], p[1], p[2]));
  EXPECT_NE(html.find("<b>frame 1</b> (id 1, most missed) &middot; 2 GT &middot; 1 missed "
                      "&middot; 1 false positives &middot; 2 detections drawn (3 returned)"),
            std::string::npos)
      << html;
  // The context, the gate with its threshold, the per-class table.
  EXPECT_NE(html.find("<th>split</th><td>val</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>rules</th><td>&lt;default&gt; (5d41)</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>harness</th><td>0.1.0 (deadbee)</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>gate, track measured</th><td class=\"gate\">passed: mAP50 0.8765 vs "
                      "threshold 0.8712 = 0.99 &times; reference-fp32's 0.8800</td>"),
            std::string::npos)
      << html;
  ASSERT_NE(html.find("<table id=\"per-class\">"), std::string::npos);
  // with_mask: 1 of 2 found (TP 1, FP 0, FN 1); without_mask: TP 1, FP 1, FN 0, F1 2/3.
  EXPECT_NE(html.find("<tr><td>with_mask</td>"), std::string::npos);
  const size_t wm = html.find("<tr><td>with_mask</td>");
  const std::string wm_row = html.substr(wm, html.find("</tr>", wm) - wm);
  EXPECT_NE(wm_row.find("<td class=\"n\">1.0000</td><td class=\"n\">0.5000</td><td "
                        "class=\"n\">0.6667</td><td class=\"n\">1</td><td class=\"n\">0</td><td "
                        "class=\"n\">1</td>"),
            std::string::npos)
      << wm_row;
  const size_t nm = html.find("<tr><td>without_mask</td>");
  ASSERT_NE(nm, std::string::npos);
  const std::string nm_row = html.substr(nm, html.find("</tr>", nm) - nm);
  EXPECT_NE(nm_row.find("<td class=\"n\">0.5000</td><td class=\"n\">1.0000</td><td "
                        "class=\"n\">0.6667</td><td class=\"n\">1</td><td class=\"n\">1</td><td "
                        "class=\"n\">0</td>"),
            std::string::npos)
      << nm_row;
  // The missed with_mask face of frame 1, cropped.
  EXPECT_NE(html.find("with_mask in frame 1"), std::string::npos);
  cv::Mat crop = cv::imread((dir_ / "frames/missed_0.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(crop.empty());
  EXPECT_EQ(crop.rows, 64);
}

TEST(ReportWorstFramesTest, MostMissedThenMostFalsePositivesThenBusiest) {
  const scoring::GroundTruth gt = TestGroundTruth();
  harness::RunRecord rec = TestRecord();
  std::vector<FrameErrors> errors = ReportFrameErrors(rec, gt);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].missed, 0);
  EXPECT_EQ(errors[0].false_positives, 0);
  EXPECT_EQ(errors[1].missed, 1);
  EXPECT_EQ(errors[1].false_positives, 1);
  // Frame 0 loses its detection: now it misses one too; frame 2 gets two false positives.
  rec.detections[0].clear();
  rec.detections[2] = {{10, 10, 20, 20, 0, 0.9f}, {60, 60, 20, 20, 1, 0.7f}};
  const auto worst = ReportWorstFrames(rec, &gt);
  ASSERT_EQ(worst.size(), 3u);
  EXPECT_EQ(worst[0], (std::pair<int64_t, std::string>{0, "most missed"}));
  EXPECT_EQ(worst[1], (std::pair<int64_t, std::string>{1, "most missed"}));
  EXPECT_EQ(worst[2], (std::pair<int64_t, std::string>{2, "most false positives"}));
}

TEST_F(ReportTest, FailedRunStillWritesReportWithoutPrCurves) {
  const scoring::GroundTruth gt = TestGroundTruth();
  harness::RunRecord rec = TestRecord();
  // Crashed on the third measured frame: two frames exist.
  rec.status = harness::RunStatus::kCrashed;
  rec.message = "child killed by SIGSEGV";
  rec.failing_frame = 2;
  rec.frame_ids.resize(2);
  rec.latency_ns.resize(2);
  rec.round_trip_ns.resize(2);
  rec.detections.resize(2);
  // A stale plot from an earlier run in the same folder must go.
  fs::create_directories(dir_);
  std::ofstream(dir_ / "pr_curves.png") << "stale";
  // What `run --json` says of a failed run: the latency of the frames it measured, no accuracy.
  nlohmann::ordered_json summary;
  summary["latency_ms"] = {{"p50", 2.0}, {"p90", 2.5}, {"p99", 2.5}};
  summary["modeled_latency_ms"] = nullptr;
  summary["latency_kind"] = "measured";
  summary["accuracy"] = {{"mAP50", nullptr}, {"AP", nullptr}, {"violation_recall", nullptr}};
  summary["speedup"] = nullptr;
  summary["gate_passed"] = nullptr;
  ReportInput in = Input(rec, &gt, summary);
  in.pr_curves.clear();  // a failed run has none
  ASSERT_TRUE(WriteSubmissionReport(dir_, in).ok());
  const std::string html = ReadText(dir_ / "report.html");
  EXPECT_NE(html.find("crashed"), std::string::npos);
  // A failed run gives no latency (its few timed frames say nothing of its speed) ...
  EXPECT_NE(html.find("<th>latency p50 / p90 / p99</th><td>&mdash; (the run ended crashed: no "
                      "latency is given)</td>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("per-class"), std::string::npos);
  EXPECT_EQ(html.find("missed_"), std::string::npos);
  EXPECT_NE(html.find("<th>mAP@0.5</th><td>&mdash;</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>speedup</th><td>&mdash;</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>accuracy gate</th><td>&mdash;</td>"), std::string::npos);
  EXPECT_NE(html.find("The run failed: no precision-recall curves."), std::string::npos);
  EXPECT_NE(html.find("(measured frame 2)"), std::string::npos);
  EXPECT_NE(html.find("child killed by SIGSEGV"), std::string::npos);
  EXPECT_EQ(html.find("pr_curves.png"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "pr_curves.png"));
  cv::Mat hist = cv::imread((dir_ / "latency_histogram.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(hist.empty());
  EXPECT_EQ(hist.cols, kReportPlotWidth);
  EXPECT_TRUE(fs::exists(dir_ / "frames/frame_1.png"));
  EXPECT_FALSE(fs::exists(dir_ / "frames/frame_2.png"));  // never ran
}

TEST_F(ReportTest, ARunWithNoLatenciesHasNoLatencyPlots) {
  const scoring::GroundTruth gt = TestGroundTruth();
  harness::RunRecord rec = TestRecord();
  rec.status = harness::RunStatus::kCrashed;
  rec.message = "warm-up call 0: the plugin crashed with SIGSEGV";
  rec.frame_ids.clear();
  rec.latency_ns.clear();
  rec.round_trip_ns.clear();
  rec.detections.clear();
  fs::create_directories(dir_);
  std::ofstream(dir_ / "latency_histogram.png") << "stale";
  nlohmann::ordered_json summary;
  summary["latency_ms"] = nullptr;
  ASSERT_TRUE(WriteSubmissionReport(dir_, Input(rec, &gt, summary)).ok());
  const std::string html = ReadText(dir_ / "report.html");
  EXPECT_NE(html.find("No latency plots: the run ended crashed before any frame was timed."),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("latency_histogram.png"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "latency_histogram.png"));
  EXPECT_FALSE(fs::exists(dir_ / "latency_over_time.png"));
}

TEST_F(ReportTest, GateFailureAndMissingSummaryFields) {
  const scoring::GroundTruth gt = TestGroundTruth();
  const harness::RunRecord rec = TestRecord();
  nlohmann::ordered_json summary = TestSummary();
  summary["gate_passed"] = false;
  summary.erase("modeled_latency_ms");
  summary["latency_kind"] = "<b>modeled</b>";
  ASSERT_TRUE(WriteSubmissionReport(dir_, Input(rec, &gt, summary)).ok());
  const std::string html = ReadText(dir_ / "report.html");
  EXPECT_NE(html.find("<th>accuracy gate</th><td><span class=\"bad\">failed</span></td>"),
            std::string::npos)
      << html;
  // The track's gate says why, with the threshold (here the summary's own numbers).
  summary["tracks"][0]["gate_passed"] = false;
  summary["tracks"][0]["gate"]["value"] = 0.5;
  ASSERT_TRUE(WriteSubmissionReport(dir_, Input(rec, &gt, summary)).ok());
  const std::string again = ReadText(dir_ / "report.html");
  EXPECT_NE(again.find("<span class=\"bad\">failed</span>: mAP50 0.5000 vs threshold 0.8712 = "
                       "0.99 &times; reference-fp32's 0.8800"),
            std::string::npos)
      << again;
  EXPECT_NE(html.find("<th>modeled latency</th><td>&mdash;</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>latency kind (speedup)</th><td>&lt;b&gt;modeled&lt;/b&gt;</td>"),
            std::string::npos);
  EXPECT_EQ(html.find("<b>modeled</b>"), std::string::npos);
}

TEST_F(ReportTest, AHardwareEntryShowsItsCyclesSourceEnergyAndResources) {
  const scoring::GroundTruth gt = TestGroundTruth();
  const harness::RunRecord rec = TestRecord();
  nlohmann::ordered_json summary = TestSummary();
  summary["cycles_source"] = "simulated by the harness";
  summary["energy_uj"] = 1777.43;
  summary["edp_uj_ms"] = 49866.2;
  summary["resources"] = {{"lut", 8726}, {"ff", 2169}, {"dsp", 96}, {"bram36", 18}};
  ASSERT_TRUE(WriteSubmissionReport(dir_, Input(rec, &gt, summary)).ok());
  const std::string html = ReadText(dir_ / "report.html");
  EXPECT_NE(html.find("<th>cycles</th><td>simulated by the harness</td>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<th>energy per frame</th><td>1777.4 &micro;J (EDP 49866.2"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("8726 LUT, 2169 FF, 96 DSP, 18 BRAM36"), std::string::npos) << html;
  // A plugin without them shows none of the rows.
  ASSERT_TRUE(WriteSubmissionReport(dir_, Input(rec, &gt, TestSummary())).ok());
  const std::string plain = ReadText(dir_ / "report.html");
  EXPECT_EQ(plain.find("energy per frame"), std::string::npos);
  EXPECT_EQ(plain.find("FPGA resources"), std::string::npos);
}

TEST_F(ReportTest, EmptySummaryAndNoGroundTruth) {
  const harness::RunRecord rec = TestRecord();
  ReportInput in = Input(rec, nullptr, nlohmann::ordered_json());
  ASSERT_TRUE(WriteSubmissionReport(dir_, in).ok());
  const std::string html = ReadText(dir_ / "report.html");
  EXPECT_NE(html.find("<th>latency p50 / p90 / p99</th><td>&mdash; / &mdash; / &mdash; ms</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<th>latency kind (speedup)</th><td>&mdash;</td>"), std::string::npos);
  EXPECT_NE(html.find("No ground truth: no precision-recall curves."), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "pr_curves.png"));
  EXPECT_TRUE(fs::exists(dir_ / "latency_histogram.png"));
  // Sample frames by detections, drawn without GT boxes.
  EXPECT_TRUE(fs::exists(dir_ / "frames/frame_1.png"));
}

TEST_F(ReportTest, NoCurvesStillDrawsThePlot) {
  const scoring::GroundTruth gt = TestGroundTruth();
  const harness::RunRecord rec = TestRecord();
  ReportInput in = Input(rec, &gt, TestSummary());
  in.pr_curves.clear();
  ASSERT_TRUE(WriteSubmissionReport(dir_, in).ok());
  cv::Mat pr = cv::imread((dir_ / "pr_curves.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(pr.empty());
  EXPECT_EQ(pr.cols, kReportPlotWidth);
  const int legend_x = kReportPlotWidth - 16 - 212;
  EXPECT_NE(pr.at<cv::Vec3b>(36 + 20 - 4, legend_x), ColorOf(ReportClassColorBgr(0)));
}

TEST_F(ReportTest, NoRecordIsAnError) {
  ReportInput in;
  Status st = WriteSubmissionReport(dir_, in);
  EXPECT_FALSE(st.ok());
}

}  // namespace
}  // namespace maskbench::web_export
