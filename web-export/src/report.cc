#include "maskbench/web_export/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include "maskbench/core/files.h"

namespace maskbench::web_export {
namespace internal {
namespace {

namespace fs = std::filesystem;
using J = nlohmann::ordered_json;

cv::Scalar ToScalar(const std::array<uint8_t, 3>& c) { return cv::Scalar(c[0], c[1], c[2]); }

const cv::Scalar kAxis(60, 60, 60);
const cv::Scalar kGrid(225, 225, 225);
const cv::Scalar kWhite(255, 255, 255);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

std::string Fmt(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Status WritePng(const fs::path& path, const cv::Mat& img) {
  std::vector<uchar> buf;
  if (!cv::imencode(".png", img, buf)) return Status::IOError(path.string(), "PNG encoding failed");
  return WriteFileAtomic(path,
                         std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
}

std::string ClassName(const scoring::GroundTruth* gt, int64_t class_id) {
  std::string n = gt ? gt->CategoryName(class_id) : "";
  return n.empty() ? "class " + std::to_string(class_id) : n;
}

// Plot frame: margins and the data area.
struct PlotArea {
  int left = 64, right = kReportPlotWidth - 16, top = 36, bottom = kReportPlotHeight - 48;
  int w() const { return right - left; }
  int h() const { return bottom - top; }
};

cv::Mat LatencyHistogram(const std::vector<int64_t>& latency_ns) {
  cv::Mat img(kReportPlotHeight, kReportPlotWidth, CV_8UC3, kWhite);
  const PlotArea a;
  cv::putText(img, "Latency per frame (timed infer call)", {a.left, 22}, kFont, 0.55, kAxis, 1,
              cv::LINE_AA);
  if (latency_ns.empty()) {
    cv::putText(img, "no measured frames", {a.left + 150, a.top + a.h() / 2}, kFont, 0.7, kAxis, 1,
                cv::LINE_AA);
    return img;
  }
  std::vector<double> ms;
  for (int64_t v : latency_ns) ms.push_back(v / 1e6);
  double lo = *std::min_element(ms.begin(), ms.end()), hi = *std::max_element(ms.begin(), ms.end());
  if (hi - lo < 1e-6) {
    lo = std::max(0.0, lo - 0.5);
    hi = lo + 1.0;
  }
  constexpr int kBins = 24;
  std::vector<int> counts(kBins, 0);
  for (double v : ms)
    counts[std::clamp(static_cast<int>((v - lo) / (hi - lo) * kBins), 0, kBins - 1)]++;
  // Whole-number count ticks: the axis top is 4 steps.
  const int step = std::max(1, (*std::max_element(counts.begin(), counts.end()) + 3) / 4);
  const int max_count = 4 * step;
  for (int k = 0; k <= 4; ++k) {
    const int y = a.bottom - a.h() * k / 4;
    cv::line(img, {a.left, y}, {a.right, y}, kGrid, 1);
    cv::putText(img, std::to_string(step * k), {8, y + 4}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
  }
  for (int b = 0; b < kBins; ++b) {
    if (counts[b] == 0) continue;
    const int x0 = a.left + a.w() * b / kBins, x1 = a.left + a.w() * (b + 1) / kBins - 1;
    const int y0 = a.bottom - static_cast<int>(
                                  std::lround(static_cast<double>(a.h()) * counts[b] / max_count));
    cv::rectangle(img, {x0 + 1, y0}, {x1, a.bottom}, cv::Scalar(200, 120, 40), cv::FILLED);
  }
  cv::line(img, {a.left, a.bottom}, {a.right, a.bottom}, kAxis, 1);
  cv::line(img, {a.left, a.top}, {a.left, a.bottom}, kAxis, 1);
  for (int k = 0; k <= 4; ++k) {
    const int x = a.left + a.w() * k / 4;
    cv::line(img, {x, a.bottom}, {x, a.bottom + 5}, kAxis, 1);
    const std::string label = Fmt(lo + (hi - lo) * k / 4, hi - lo < 1 ? 3 : 2);
    int base = 0;
    const int tw = cv::getTextSize(label, kFont, 0.4, 1, &base).width;
    const int lx = std::min(x - tw / 2, kReportPlotWidth - tw - 2);
    cv::putText(img, label, {lx, a.bottom + 20}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
  }
  cv::putText(img, "latency (ms)", {a.left + a.w() / 2 - 45, a.bottom + 40}, kFont, 0.5, kAxis, 1,
              cv::LINE_AA);
  cv::putText(img, "frames", {8, a.top - 8}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
  return img;
}

cv::Mat PrCurvesPlot(const std::vector<contest::PrCurve>& curves) {
  cv::Mat img(kReportPlotHeight, kReportPlotWidth, CV_8UC3, kWhite);
  const PlotArea a;
  cv::putText(img, "Precision-recall per class (IoU >= 0.5)", {a.left, 22}, kFont, 0.55, kAxis, 1,
              cv::LINE_AA);
  for (int k = 0; k <= 10; ++k) {
    const int x = a.left + a.w() * k / 10, y = a.bottom - a.h() * k / 10;
    cv::line(img, {x, a.top}, {x, a.bottom}, kGrid, 1);
    cv::line(img, {a.left, y}, {a.right, y}, kGrid, 1);
    if (k % 2 == 0) {
      cv::putText(img, Fmt(k / 10.0, 1), {x - 10, a.bottom + 18}, kFont, 0.4, kAxis, 1,
                  cv::LINE_AA);
      cv::putText(img, Fmt(k / 10.0, 1), {a.left - 30, y + 4}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
    }
  }
  cv::rectangle(img, {a.left, a.top}, {a.right, a.bottom}, kAxis, 1);
  cv::putText(img, "recall", {a.left + a.w() / 2 - 25, a.bottom + 40}, kFont, 0.5, kAxis, 1,
              cv::LINE_AA);
  cv::putText(img, "precision", {4, a.top - 10}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
  int legend_y = a.top + 20;
  for (const contest::PrCurve& c : curves) {
    const cv::Scalar col = ToScalar(ReportClassColorBgr(c.class_id));
    std::vector<cv::Point> pts;
    for (const auto& [r, p] : c.points)
      pts.emplace_back(a.left + static_cast<int>(std::lround(r * a.w())),
                       a.bottom - static_cast<int>(std::lround(p * a.h())));
    if (pts.size() == 1) cv::circle(img, pts[0], 3, col, cv::FILLED, cv::LINE_AA);
    if (pts.size() > 1) cv::polylines(img, pts, false, col, 2, cv::LINE_AA);
    const std::string name =
        c.class_name.empty() ? "class " + std::to_string(c.class_id) : c.class_name;
    cv::line(img, {a.right - 225, legend_y - 4}, {a.right - 200, legend_y - 4}, col, 3);
    cv::putText(img, name, {a.right - 193, legend_y}, kFont, 0.45, kAxis, 1, cv::LINE_AA);
    legend_y += 20;
  }
  if (curves.empty())
    cv::putText(img, "no classes with ground truth", {a.left + 150, a.top + a.h() / 2}, kFont, 0.6,
                kAxis, 1, cv::LINE_AA);
  return img;
}

cv::Rect ScaledBox(double x, double y, double w, double h, int s) {
  return cv::Rect(static_cast<int>(std::lround(x * s)), static_cast<int>(std::lround(y * s)),
                  std::max(1, static_cast<int>(std::lround(w * s))),
                  std::max(1, static_cast<int>(std::lround(h * s))));
}

// Draws one sample frame: GT green, detections in class colour with labels, legend strip below.
cv::Mat SampleFrame(const harness::FrameRef& f, const std::vector<const scoring::GtBox*>& gt_boxes,
                    const std::vector<harness::Detection>& dets, const scoring::GroundTruth* gt) {
  cv::Mat src(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.data), f.stride);
  cv::Mat bgr;
  if (f.pixel_format == 2)
    cv::cvtColor(src, bgr, cv::COLOR_RGB2BGR);
  else
    bgr = src;
  const int s = ReportFrameScale(f.width);
  cv::Mat scaled;
  cv::resize(bgr, scaled, cv::Size(f.width * s, f.height * s), 0, 0, cv::INTER_NEAREST);
  cv::Mat img(scaled.rows + kReportLegendHeight, scaled.cols, CV_8UC3, kWhite);
  scaled.copyTo(img(cv::Rect(0, 0, scaled.cols, scaled.rows)));
  cv::Mat canvas = img(cv::Rect(0, 0, scaled.cols, scaled.rows));
  for (const scoring::GtBox* b : gt_boxes)
    cv::rectangle(canvas, ScaledBox(b->bbox[0], b->bbox[1], b->bbox[2], b->bbox[3], s),
                  ToScalar(kReportGtColorBgr), 2, cv::LINE_8);
  std::map<int64_t, bool> classes_drawn;
  for (const harness::Detection& d : dets) {
    if (d.score < kReportMinScore) continue;
    const cv::Scalar col = ToScalar(ReportClassColorBgr(d.class_id));
    const cv::Rect r = ScaledBox(d.x, d.y, d.w, d.h, s);
    cv::rectangle(canvas, r, col, 2, cv::LINE_8);
    const std::string label = ClassName(gt, d.class_id) + " " + Fmt(d.score, 2);
    int base = 0;
    const cv::Size ts = cv::getTextSize(label, kFont, 0.4, 1, &base);
    const int ly = std::max(ts.height + 3, r.y);
    cv::rectangle(canvas, {r.x, ly - ts.height - 3}, {r.x + ts.width + 2, ly}, col, cv::FILLED);
    cv::putText(canvas, label, {r.x + 1, ly - 2}, kFont, 0.4, kWhite, 1, cv::LINE_AA);
    classes_drawn[d.class_id] = true;
  }
  // Legend strip.
  int x = 6;
  const int y = scaled.rows + kReportLegendHeight / 2;
  auto item = [&](const cv::Scalar& col, const std::string& text) {
    cv::rectangle(img, {x, y - 6}, {x + 14, y + 6}, col, 2);
    cv::putText(img, text, {x + 18, y + 5}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
    int base = 0;
    x += 18 + cv::getTextSize(text, kFont, 0.4, 1, &base).width + 12;
  };
  item(ToScalar(kReportGtColorBgr), "ground truth");
  for (const auto& [cls, unused] : classes_drawn)
    item(ToScalar(ReportClassColorBgr(cls)), ClassName(gt, cls));
  return img;
}

std::string Num(const J& j, int digits, const std::string& unit = "") {
  if (!j.is_number()) return "&mdash;";
  return Fmt(j.get<double>(), digits) + unit;
}

const J& At(const J& j, std::initializer_list<const char*> path) {
  static const J kNull;
  const J* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return kNull;
    cur = &(*cur)[k];
  }
  return *cur;
}

}  // namespace
}  // namespace internal

std::array<uint8_t, 3> ReportClassColorBgr(int64_t class_id) {
  // BGR; no green (green is the ground truth).
  static constexpr std::array<std::array<uint8_t, 3>, 6> kPalette = {{
      {255, 90, 0},   // blue
      {0, 0, 230},    // red
      {200, 0, 200},  // magenta
      {0, 140, 255},  // orange
      {130, 0, 75},   // indigo
      {0, 200, 230},  // yellow-ish
  }};
  const int64_t n = static_cast<int64_t>(kPalette.size());
  return kPalette[static_cast<size_t>(((class_id % n) + n) % n)];
}

int ReportFrameScale(int width) {
  if (width <= 0 || width >= 320) return 1;
  return (320 + width - 1) / width;
}

std::vector<int64_t> ReportSampleFrames(const harness::RunRecord& record,
                                        const scoring::GroundTruth* gt) {
  std::unordered_map<int64_t, int> gt_count;
  if (gt)
    for (const scoring::GtBox& b : gt->boxes) gt_count[b.image_id]++;
  std::vector<std::pair<int, int64_t>> ranked;  // (count, id)
  for (size_t i = 0; i < record.frame_ids.size(); ++i) {
    const int64_t id = record.frame_ids[i];
    int count = 0;
    if (gt) {
      auto it = gt_count.find(id);
      count = it == gt_count.end() ? 0 : it->second;
    } else if (i < record.detections.size()) {
      count = static_cast<int>(record.detections[i].size());
    }
    ranked.emplace_back(count, id);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  ranked.erase(std::unique(ranked.begin(), ranked.end()), ranked.end());
  std::vector<int64_t> out;
  for (const auto& [count, id] : ranked) {
    if (static_cast<int>(out.size()) == kReportMaxFrames) break;
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

Status WriteSubmissionReport(const std::filesystem::path& dir, const ReportInput& in) {
  namespace fs = std::filesystem;
  using namespace internal;
  if (!in.record) return Status::InvalidArgument(dir.string(), "report: no run record");
  const harness::RunRecord& rec = *in.record;
  std::error_code ec;
  fs::create_directories(dir / "frames", ec);
  if (ec) return Status::IOError((dir / "frames").string(), "cannot create: " + ec.message());
  // Sample frames of an earlier report in the same folder must not linger.
  for (const auto& e : fs::directory_iterator(dir / "frames", ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("frame_", 0) == 0 && e.path().extension() == ".png") fs::remove(e.path(), ec);
  }

  if (Status st = WritePng(dir / "latency_histogram.png", LatencyHistogram(rec.latency_ns));
      !st.ok())
    return st;

  bool have_pr = false;
  std::ostringstream pr_note;
  if (rec.ok() && in.gt) {
    if (Status st = WritePng(dir / "pr_curves.png", PrCurvesPlot(in.pr_curves)); !st.ok())
      return st;
    have_pr = true;
  } else {
    fs::remove(dir / "pr_curves.png", ec);  // a stale plot from an earlier run must not show
    pr_note << (rec.ok() ? "No ground truth: no precision-recall curves."
                         : "The run failed: no precision-recall curves.");
  }

  // Sample frames.
  struct Sample {
    int64_t id;
    size_t gt_boxes, dets_drawn, dets_total;
    std::string file;
  };
  std::vector<Sample> samples;
  if (in.frames) {
    std::unordered_map<int64_t, size_t> source_index;
    for (size_t i = 0; i < in.frames->size(); ++i)
      source_index.emplace(in.frames->Get(i).frame_id, i);
    std::unordered_map<int64_t, size_t> record_index;
    for (size_t i = 0; i < rec.frame_ids.size(); ++i) record_index.emplace(rec.frame_ids[i], i);
    for (int64_t id : ReportSampleFrames(rec, in.gt)) {
      auto src = source_index.find(id);
      if (src == source_index.end()) continue;
      const harness::FrameRef f = in.frames->Get(src->second);
      std::vector<const scoring::GtBox*> boxes;
      if (in.gt)
        for (const scoring::GtBox& b : in.gt->boxes)
          if (b.image_id == id) boxes.push_back(&b);
      static const std::vector<harness::Detection> kNone;
      const size_t ri = record_index.at(id);
      const std::vector<harness::Detection>& dets =
          ri < rec.detections.size() ? rec.detections[ri] : kNone;
      Sample s{id, boxes.size(), 0, dets.size(), "frames/frame_" + std::to_string(id) + ".png"};
      for (const harness::Detection& d : dets) s.dets_drawn += d.score >= kReportMinScore;
      if (Status st = WritePng(dir / s.file, SampleFrame(f, boxes, dets, in.gt)); !st.ok())
        return st;
      samples.push_back(s);
    }
  }

  // The page.
  const J& sm = in.summary;
  const std::string status = harness::RunStatusName(rec.status);
  std::ostringstream h;
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    << "<title>maskbench report: " << HtmlEscape(in.name) << "</title>\n"
    << "<style>body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}"
       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px "
       "10px;text-align:left}"
       ".ok{color:#060}.bad{color:#a00}figure{display:inline-block;margin:8px;vertical-align:top}"
       "figcaption{font-size:13px;color:#444}img{border:1px solid #ddd;max-width:100%}</style>\n"
    << "</head><body>\n"
    << "<h1>" << HtmlEscape(in.name) << "</h1>\n"
    << "<p>team <b>" << HtmlEscape(in.team) << "</b> &middot; version <b>" << HtmlEscape(in.version)
    << "</b> &middot; plugin <code>" << HtmlEscape(rec.plugin_path) << "</code> ("
    << HtmlEscape(rec.mode) << ")</p>\n"
    << "<p>status: <b class=\"" << (rec.ok() ? "ok" : "bad") << "\" id=\"status\">"
    << HtmlEscape(status) << "</b>";
  if (!rec.message.empty()) h << " &mdash; " << HtmlEscape(rec.message);
  if (rec.failing_frame >= 0) h << " (measured frame " << rec.failing_frame << ")";
  h << "</p>\n<h2>Summary</h2>\n<table id=\"summary\">\n";
  auto row = [&](const std::string& k, const std::string& v) {
    h << "<tr><th>" << k << "</th><td>" << v << "</td></tr>\n";
  };
  row("frames measured", std::to_string(rec.frames()));
  row("latency p50 / p90 / p99", Num(At(sm, {"latency_ms", "p50"}), 3) + " / " +
                                     Num(At(sm, {"latency_ms", "p90"}), 3) + " / " +
                                     Num(At(sm, {"latency_ms", "p99"}), 3) + " ms");
  row("modeled latency", Num(At(sm, {"modeled_latency_ms"}), 3, " ms"));
  row("latency kind (speedup)", At(sm, {"latency_kind"}).is_string()
                                    ? HtmlEscape(At(sm, {"latency_kind"}).get<std::string>())
                                    : "&mdash;");
  row("mAP@0.5", Num(At(sm, {"accuracy", "mAP50"}), 4));
  row("AP@[.5:.95]", Num(At(sm, {"accuracy", "AP"}), 4));
  row("violation recall", Num(At(sm, {"accuracy", "violation_recall"}), 4));
  row("speedup", Num(At(sm, {"speedup"}), 2, "&times;"));
  const J& gate = At(sm, {"gate_passed"});
  row("accuracy gate", gate.is_boolean()
                           ? (gate.get<bool>() ? "passed" : "<span class=\"bad\">failed</span>")
                           : "&mdash;");
  h << "</table>\n<h2>Plots</h2>\n"
    << "<figure><img src=\"latency_histogram.png\" width=\"" << kReportPlotWidth << "\" height=\""
    << kReportPlotHeight << "\" alt=\"latency histogram\"><figcaption>Latency histogram, "
    << rec.frames() << " measured frames</figcaption></figure>\n";
  if (have_pr)
    h << "<figure><img src=\"pr_curves.png\" width=\"" << kReportPlotWidth << "\" height=\""
      << kReportPlotHeight
      << "\" alt=\"precision-recall curves\"><figcaption>Precision-recall curves per "
         "class</figcaption></figure>\n";
  else
    h << "<p>" << HtmlEscape(pr_note.str()) << "</p>\n";
  h << "<h2>Sample frames</h2>\n<p>Ground truth in green; detections with score &ge; "
    << Fmt(kReportMinScore, 1)
    << " in their class colour. Frames with the most ground-truth boxes.</p>\n";
  if (samples.empty()) h << "<p>No sample frames.</p>\n";
  for (const Sample& s : samples)
    h << "<figure><img src=\"" << s.file << "\" alt=\"frame " << s.id << "\"><figcaption>frame "
      << s.id << " &middot; " << s.gt_boxes << " GT &middot; " << s.dets_drawn
      << " detections drawn (" << s.dets_total << " returned)</figcaption></figure>\n";
  h << "</body></html>\n";
  return WriteFileAtomic(dir / "report.html", h.str());
}

}  // namespace maskbench::web_export
