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

#include "maskbench/contest/facts.h"
#include "maskbench/core/files.h"
#include "maskbench/scoring/coco_eval.h"
#include "maskbench/scoring/task_metrics.h"

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

// Per-frame latency against the frame's position in the run (warm-up excluded).
cv::Mat LatencyOverTime(const std::vector<int64_t>& latency_ns) {
  cv::Mat img(kReportPlotHeight, kReportPlotWidth, CV_8UC3, kWhite);
  const PlotArea a;
  cv::putText(img, "Latency over the run (each measured frame, in order)", {a.left, 22}, kFont,
              0.55, kAxis, 1, cv::LINE_AA);
  double hi = 0;
  for (int64_t v : latency_ns) hi = std::max(hi, v / 1e6);
  if (hi <= 0) hi = 1;
  hi *= 1.05;
  for (int k = 0; k <= 4; ++k) {
    const int y = a.bottom - a.h() * k / 4;
    cv::line(img, {a.left, y}, {a.right, y}, kGrid, 1);
    cv::putText(img, Fmt(hi * k / 4, hi < 4 ? 2 : 1), {4, y + 4}, kFont, 0.4, kAxis, 1,
                cv::LINE_AA);
  }
  const size_t n = latency_ns.size();
  cv::Point prev;
  for (size_t i = 0; i < n; ++i) {
    const int x = a.left + static_cast<int>(n > 1 ? a.w() * static_cast<double>(i) / (n - 1) : 0);
    const int y = a.bottom - static_cast<int>(std::lround(a.h() * (latency_ns[i] / 1e6) / hi));
    const cv::Point pt(x, y);
    if (i > 0) cv::line(img, prev, pt, cv::Scalar(200, 120, 40), 1, cv::LINE_AA);
    if (n <= 200) cv::circle(img, pt, 2, cv::Scalar(200, 120, 40), cv::FILLED, cv::LINE_AA);
    prev = pt;
  }
  cv::line(img, {a.left, a.bottom}, {a.right, a.bottom}, kAxis, 1);
  cv::line(img, {a.left, a.top}, {a.left, a.bottom}, kAxis, 1);
  cv::putText(img, "frame 1", {a.left, a.bottom + 20}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
  const std::string last = "frame " + std::to_string(n);
  int base = 0;
  const int tw = cv::getTextSize(last, kFont, 0.4, 1, &base).width;
  cv::putText(img, last, {a.right - tw, a.bottom + 20}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
  cv::putText(img, "ms", {8, a.top - 8}, kFont, 0.4, kAxis, 1, cv::LINE_AA);
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
  std::map<int64_t, bool> classes_drawn;
  // Ground truth: a thin box in its class colour, "GT" under its bottom-left corner.
  for (const scoring::GtBox* b : gt_boxes) {
    const cv::Scalar col = ToScalar(ReportClassColorBgr(b->category_id));
    const cv::Rect r = ScaledBox(b->bbox[0], b->bbox[1], b->bbox[2], b->bbox[3], s);
    cv::rectangle(canvas, r, col, 1, cv::LINE_8);
    const int ty = std::min(canvas.rows - 2, r.y + r.height + 10);
    cv::putText(canvas, "GT", {r.x + 1, ty}, kFont, 0.3, col, 1, cv::LINE_AA);
    classes_drawn[b->category_id] = true;
  }
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

std::vector<FrameErrors> ReportFrameErrors(const harness::RunRecord& record,
                                           const scoring::GroundTruth& gt) {
  std::unordered_map<int64_t, std::vector<size_t>> by_image;
  for (size_t i = 0; i < gt.boxes.size(); ++i) by_image[gt.boxes[i].image_id].push_back(i);
  auto iou = [](const double* a, double x, double y, double w, double h) {
    const double ix = std::max(0.0, std::min(a[0] + a[2], x + w) - std::max(a[0], x));
    const double iy = std::max(0.0, std::min(a[1] + a[3], y + h) - std::max(a[1], y));
    const double inter = ix * iy, uni = a[2] * a[3] + w * h - inter;
    return uni > 0 ? inter / uni : 0.0;
  };
  std::vector<FrameErrors> out;
  for (size_t f = 0; f < record.frame_ids.size(); ++f) {
    FrameErrors e;
    e.frame_id = record.frame_ids[f];
    const std::vector<size_t>& boxes = by_image[e.frame_id];
    std::vector<bool> matched(boxes.size(), false);
    std::vector<harness::Detection> dets;
    if (f < record.detections.size())
      for (const harness::Detection& d : record.detections[f])
        if (d.score >= kReportCountScore) dets.push_back(d);
    std::stable_sort(dets.begin(), dets.end(),
                     [](const auto& a, const auto& b) { return a.score > b.score; });
    for (const harness::Detection& d : dets) {
      int best = -1;
      double best_iou = 0.5;
      for (size_t k = 0; k < boxes.size(); ++k) {
        const scoring::GtBox& g = gt.boxes[boxes[k]];
        if (matched[k] || g.category_id != d.class_id) continue;
        const double v = iou(g.bbox, d.x, d.y, d.w, d.h);
        if (v >= best_iou) {
          best_iou = v;
          best = static_cast<int>(k);
        }
      }
      if (best >= 0)
        matched[static_cast<size_t>(best)] = true;
      else
        ++e.false_positives;
    }
    for (size_t k = 0; k < boxes.size(); ++k)
      if (!matched[k]) {
        ++e.missed;
        e.missed_boxes.push_back(boxes[k]);
      }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::pair<int64_t, std::string>> ReportWorstFrames(const harness::RunRecord& record,
                                                               const scoring::GroundTruth* gt) {
  std::vector<std::pair<int64_t, std::string>> out;
  auto have = [&](int64_t id) {
    return std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == id; });
  };
  if (gt != nullptr) {
    std::vector<FrameErrors> errors = ReportFrameErrors(record, *gt);
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<FrameErrors> sorted = errors;
      std::stable_sort(sorted.begin(), sorted.end(), [&](const auto& a, const auto& b) {
        const int va = pass == 0 ? a.missed : a.false_positives;
        const int vb = pass == 0 ? b.missed : b.false_positives;
        return va != vb ? va > vb : a.frame_id < b.frame_id;
      });
      int taken = 0;
      for (const FrameErrors& e : sorted) {
        if (taken == 3) break;
        if ((pass == 0 ? e.missed : e.false_positives) == 0) break;
        if (have(e.frame_id)) continue;
        out.push_back({e.frame_id, pass == 0 ? "most missed" : "most false positives"});
        ++taken;
      }
    }
  }
  for (int64_t id : ReportSampleFrames(record, gt)) {
    if (static_cast<int>(out.size()) >= kReportMaxFrames) break;
    if (!have(id)) out.push_back({id, gt ? "most ground truth" : "most detections"});
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
  // Images of an earlier report in the same folder must not linger.
  for (const auto& e : fs::directory_iterator(dir / "frames", ec)) {
    const std::string n = e.path().filename().string();
    if ((n.rfind("frame_", 0) == 0 || n.rfind("missed_", 0) == 0) && e.path().extension() == ".png")
      fs::remove(e.path(), ec);
  }
  for (const char* stale : {"latency_histogram.png", "latency_over_time.png", "pr_curves.png"})
    fs::remove(dir / stale, ec);

  const bool have_latency = !rec.latency_ns.empty();
  if (have_latency) {
    if (Status st = WritePng(dir / "latency_histogram.png", LatencyHistogram(rec.latency_ns));
        !st.ok())
      return st;
    if (Status st = WritePng(dir / "latency_over_time.png", LatencyOverTime(rec.latency_ns));
        !st.ok())
      return st;
  }

  bool have_pr = false;
  std::ostringstream pr_note;
  if (rec.ok() && in.gt) {
    if (Status st = WritePng(dir / "pr_curves.png", PrCurvesPlot(in.pr_curves)); !st.ok())
      return st;
    have_pr = true;
  } else {
    pr_note << (rec.ok() ? "No ground truth: no precision-recall curves."
                         : "The run failed: no precision-recall curves.");
  }

  auto frame_name = [&](int64_t id) {
    auto it = in.frame_names.find(id);
    return it == in.frame_names.end() ? "frame " + std::to_string(id) : it->second;
  };
  std::unordered_map<int64_t, size_t> source_index;
  if (in.frames)
    for (size_t i = 0; i < in.frames->size(); ++i)
      source_index.emplace(in.frames->Get(i).frame_id, i);
  std::unordered_map<int64_t, size_t> record_index;
  for (size_t i = 0; i < rec.frame_ids.size(); ++i) record_index.emplace(rec.frame_ids[i], i);
  std::unordered_map<int64_t, FrameErrors> errors;
  if (in.gt)
    for (FrameErrors& e : ReportFrameErrors(rec, *in.gt)) errors[e.frame_id] = std::move(e);

  // The worst frames.
  struct Sample {
    int64_t id;
    std::string why;
    size_t gt_boxes, dets_drawn, dets_total;
    int missed = 0, false_positives = 0;
    std::string file;
  };
  std::vector<Sample> samples;
  if (in.frames) {
    for (const auto& [id, why] : ReportWorstFrames(rec, in.gt)) {
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
      Sample s{id,
               why,
               boxes.size(),
               0,
               dets.size(),
               0,
               0,
               "frames/frame_" + std::to_string(id) + ".png"};
      if (auto e = errors.find(id); e != errors.end()) {
        s.missed = e->second.missed;
        s.false_positives = e->second.false_positives;
      }
      for (const harness::Detection& d : dets) s.dets_drawn += d.score >= kReportMinScore;
      if (Status st = WritePng(dir / s.file, SampleFrame(f, boxes, dets, in.gt)); !st.ok())
        return st;
      samples.push_back(s);
    }
  }

  // Crops of missed objects, from the frames with the most missed first.
  struct Crop {
    std::string file, caption;
  };
  std::vector<Crop> crops;
  if (in.frames && in.gt && rec.ok()) {
    std::vector<const FrameErrors*> order;
    for (const auto& [id, e] : errors)
      if (e.missed > 0) order.push_back(&e);
    std::sort(order.begin(), order.end(), [](const FrameErrors* a, const FrameErrors* b) {
      return a->missed != b->missed ? a->missed > b->missed : a->frame_id < b->frame_id;
    });
    for (const FrameErrors* e : order) {
      auto src = source_index.find(e->frame_id);
      if (src == source_index.end()) continue;
      const harness::FrameRef f = in.frames->Get(src->second);
      cv::Mat frame(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.data), f.stride);
      for (size_t k : e->missed_boxes) {
        if (static_cast<int>(crops.size()) >= kReportMaxCrops) break;
        const scoring::GtBox& b = in.gt->boxes[k];
        cv::Rect r(static_cast<int>(std::floor(b.bbox[0])), static_cast<int>(std::floor(b.bbox[1])),
                   static_cast<int>(std::ceil(b.bbox[2])), static_cast<int>(std::ceil(b.bbox[3])));
        r &= cv::Rect(0, 0, f.width, f.height);
        if (r.width < 1 || r.height < 1) continue;
        cv::Mat crop = frame(r).clone();
        if (f.pixel_format == 2) cv::cvtColor(crop, crop, cv::COLOR_RGB2BGR);
        const double scale = 64.0 / r.height;
        cv::resize(crop, crop,
                   cv::Size(std::max(1, static_cast<int>(std::lround(r.width * scale))), 64), 0, 0,
                   scale > 1 ? cv::INTER_NEAREST : cv::INTER_AREA);
        Crop c{"frames/missed_" + std::to_string(crops.size()) + ".png",
               ClassName(in.gt, b.category_id) + " in " + frame_name(e->frame_id)};
        if (Status st = WritePng(dir / c.file, crop); !st.ok()) return st;
        crops.push_back(c);
      }
    }
  }

  // The page.
  const J& sm = in.summary;
  const std::string status = harness::RunStatusName(rec.status);
  auto text = [&](std::initializer_list<const char*> path) {
    const J& v = At(sm, path);
    return v.is_string() ? HtmlEscape(v.get<std::string>()) : std::string("&mdash;");
  };
  std::ostringstream h;
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>maskbench report: " << HtmlEscape(in.name) << "</title>\n"
    << "<style>body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}"
       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px "
       "10px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
       ".ok{color:#060}.bad{color:#a00}figure{display:inline-block;margin:8px;vertical-align:top}"
       "figcaption{font-size:13px;color:#444;max-width:640px;overflow-wrap:anywhere}"
       "img{border:1px solid #ddd;max-width:100%}.wrap{overflow-x:auto}</style>\n"
    << "</head><body>\n"
    << "<h1>" << HtmlEscape(in.name) << "</h1>\n"
    << "<p>team <b>" << HtmlEscape(in.team) << "</b> &middot; version <b>" << HtmlEscape(in.version)
    << "</b> &middot; plugin <code>" << HtmlEscape(rec.plugin_path) << "</code> ("
    << HtmlEscape(rec.mode) << ")</p>\n"
    << "<p>status: <b class=\"" << (rec.ok() ? "ok" : "bad") << "\" id=\"status\">"
    << HtmlEscape(status) << "</b>";
  if (!rec.message.empty()) h << " &mdash; " << HtmlEscape(rec.message);
  if (rec.failing_frame >= 0) h << " (measured frame " << rec.failing_frame << ")";
  h << "</p>\n<table id=\"context\">\n";
  auto row = [&](const std::string& k, const std::string& v) {
    h << "<tr><th>" << k << "</th><td>" << v << "</td></tr>\n";
  };
  row("data set",
      text({"context", "dataset"}) + " (manifest " + text({"context", "dataset_sha256"}) + ")");
  row("split", text({"context", "split"}));
  row("rules", text({"context", "rules"}) + " (" + text({"context", "rules_sha256"}) + ")");
  row("harness",
      text({"context", "harness_version"}) + " (" + text({"context", "harness_commit"}) + ")");
  h << "</table>\n<h2>Summary</h2>\n<table id=\"summary\">\n";
  row("frames measured", std::to_string(rec.frames()));
  if (have_latency && rec.ok()) {
    row("latency p50 / p90 / p99", Num(At(sm, {"latency_ms", "p50"}), 3) + " / " +
                                       Num(At(sm, {"latency_ms", "p90"}), 3) + " / " +
                                       Num(At(sm, {"latency_ms", "p99"}), 3) + " ms");
  } else {
    row("latency p50 / p90 / p99",
        "&mdash; (the run ended " + HtmlEscape(status) + ": no latency is given)");
  }
  row("modeled latency", Num(At(sm, {"modeled_latency_ms"}), 3, " ms"));
  if (At(sm, {"cycles_source"}).is_string())
    row("cycles", HtmlEscape(At(sm, {"cycles_source"}).get<std::string>()));
  if (At(sm, {"energy_uj"}).is_number())
    row("energy per frame", Num(At(sm, {"energy_uj"}), 1, " &micro;J") + " (EDP " +
                                Num(At(sm, {"edp_uj_ms"}), 1, " &micro;J&middot;ms") + ")");
  if (At(sm, {"resources"}).is_object())
    row("FPGA resources (Yosys)", Num(At(sm, {"resources", "lut"}), 0, " LUT, ") +
                                      Num(At(sm, {"resources", "ff"}), 0, " FF, ") +
                                      Num(At(sm, {"resources", "dsp"}), 0, " DSP, ") +
                                      Num(At(sm, {"resources", "bram36"}), 0, " BRAM36"));
  row("latency kind (speedup)", At(sm, {"latency_kind"}).is_string()
                                    ? HtmlEscape(At(sm, {"latency_kind"}).get<std::string>())
                                    : "&mdash;");
  row("mAP@0.5", Num(At(sm, {"accuracy", "mAP50"}), 4));
  row("AP@[.5:.95]", Num(At(sm, {"accuracy", "AP"}), 4));
  row("violation recall", Num(At(sm, {"accuracy", "violation_recall"}), 4));
  row("speedup", rec.ok() ? Num(At(sm, {"speedup"}), 2, "&times;") : "&mdash;");
  if (At(sm, {"modeled_speedup"}).is_number())
    row("modeled speedup", Num(At(sm, {"modeled_speedup"}), 2, "&times;"));
  const J& gate = At(sm, {"gate_passed"});
  row("accuracy gate", gate.is_boolean()
                           ? (gate.get<bool>() ? "passed" : "<span class=\"bad\">failed</span>")
                           : "&mdash;");
  // The gate of each track, with its numbers.
  const J& tracks = At(sm, {"tracks"});
  if (tracks.is_array())
    for (const J& t : tracks) {
      if (!t.is_object() || !t.value("in_track", false) || !t.contains("gate")) continue;
      const J& g = t["gate"];
      std::string v = "off";
      if (g.is_object()) {
        const std::string metric = g.value("metric", std::string());
        const J& passed = t.contains("gate_passed") ? t["gate_passed"] : J();
        v = (passed.is_boolean()
                 ? (passed.get<bool>() ? std::string("passed: ")
                                       : std::string("<span class=\"bad\">failed</span>: "))
                 : std::string("n/a: ")) +
            HtmlEscape(metric) + " " + Num(g.value("value", J()), 4) + " vs threshold " +
            Num(g.value("threshold", J()), 4) + " = " + Num(g.value("min_ratio", J()), 2) +
            " &times; " + HtmlEscape(g.value("reference", std::string())) + "'s " +
            Num(g.value("reference_value", J()), 4);
      }
      h << "<tr><th>gate, track " << HtmlEscape(t.value("name", std::string()))
        << "</th><td class=\"gate\">" << v << "</td></tr>\n";
    }
  h << "</table>\n";

  // Per class.
  if (rec.ok() && in.gt) {
    const std::vector<scoring::Detection> dets = contest::RunDetections(rec);
    Result<scoring::CocoResult> coco = scoring::CocoEvaluate(*in.gt, dets);
    scoring::TaskMetricsOptions to;
    to.score_threshold = kReportCountScore;
    Result<scoring::TaskMetrics> task = scoring::ComputeTaskMetrics(*in.gt, dets, to);
    h << "<h2>Per class</h2>\n<p>AP over IoU .50:.95 and AP50 (COCO, every score); precision, "
         "recall and F1 at score &ge; "
      << Fmt(kReportCountScore, 1) << ", IoU &ge; 0.5.</p>\n";
    if (coco.ok() && task.ok()) {
      h << "<div class=\"wrap\"><table id=\"per-class\">\n<tr><th>class</th><th>AP</th><th>AP50</"
           "th><th>precision</th><th>recall</th><th>F1</th><th>TP</th><th>FP</th><th>FN</th></"
           "tr>\n";
      for (const scoring::CocoClassResult& c : coco->per_class) {
        const scoring::TaskClassMetrics* m = nullptr;
        for (const auto& k : task->per_class)
          if (k.category_id == c.category_id) m = &k;
        auto cell = [&](double v, int digits) {
          return "<td class=\"n\">" + (v < 0 ? std::string("&mdash;") : Fmt(v, digits)) + "</td>";
        };
        h << "<tr><td>" << HtmlEscape(c.name) << "</td>" << cell(c.ap, 4) << cell(c.ap50, 4);
        if (m != nullptr)
          h << cell(m->counts.precision, 4) << cell(m->counts.recall, 4) << cell(m->counts.f1, 4)
            << "<td class=\"n\">" << m->counts.tp << "</td><td class=\"n\">" << m->counts.fp
            << "</td><td class=\"n\">" << m->counts.fn << "</td>";
        else
          h << "<td colspan=\"6\">&mdash;</td>";
        h << "</tr>\n";
      }
      h << "</table></div>\n";
    } else {
      h << "<p>" << HtmlEscape(!coco.ok() ? coco.status().message() : task.status().message())
        << "</p>\n";
    }
  }

  h << "<h2>Plots</h2>\n";
  if (have_latency)
    h << "<figure><img src=\"latency_histogram.png\" width=\"" << kReportPlotWidth << "\" height=\""
      << kReportPlotHeight << "\" alt=\"latency histogram\"><figcaption>Latency histogram, "
      << rec.frames() << " measured frames</figcaption></figure>\n"
      << "<figure><img src=\"latency_over_time.png\" width=\"" << kReportPlotWidth << "\" height=\""
      << kReportPlotHeight
      << "\" alt=\"latency over the run\"><figcaption>Latency of each measured frame, in "
         "order</figcaption></figure>\n";
  else
    h << "<p id=\"no-latency\">No latency plots: the run ended " << HtmlEscape(status)
      << " before any frame was timed.</p>\n";
  if (have_pr)
    h << "<figure><img src=\"pr_curves.png\" width=\"" << kReportPlotWidth << "\" height=\""
      << kReportPlotHeight
      << "\" alt=\"precision-recall curves\"><figcaption>Precision-recall curves per "
         "class</figcaption></figure>\n";
  else
    h << "<p>" << HtmlEscape(pr_note.str()) << "</p>\n";
  h << "<h2>Worst frames</h2>\n<p>Ground truth thin with &ldquo;GT&rdquo;, detections with "
       "score &ge; "
    << Fmt(kReportMinScore, 1)
    << " thick with their class and score, both in the class colour. Chosen: the frames with the "
       "most missed ground truth, then the most false positives (score &ge; "
    << Fmt(kReportCountScore, 1) << ", IoU &ge; 0.5), then the busiest.</p>\n";
  if (samples.empty()) h << "<p>No sample frames.</p>\n";
  for (const Sample& s : samples) {
    h << "<figure class=\"sample\"><img src=\"" << s.file << "\" alt=\""
      << HtmlEscape(frame_name(s.id)) << "\"><figcaption><b>" << HtmlEscape(frame_name(s.id))
      << "</b> (id " << s.id << ", " << HtmlEscape(s.why) << ") &middot; " << s.gt_boxes
      << " GT &middot; ";
    if (in.gt)
      h << s.missed << " missed &middot; " << s.false_positives << " false positives &middot; ";
    h << s.dets_drawn << " detections drawn (" << s.dets_total
      << " returned)</figcaption></figure>\n";
  }
  if (!crops.empty()) {
    h << "<h2>Missed objects</h2>\n<p>Ground truth no detection matched (up to " << kReportMaxCrops
      << ").</p>\n";
    for (const Crop& c : crops)
      h << "<figure class=\"crop\"><img src=\"" << c.file << "\" alt=\"" << HtmlEscape(c.caption)
        << "\"><figcaption>" << HtmlEscape(c.caption) << "</figcaption></figure>\n";
  }
  h << "</body></html>\n";
  return WriteFileAtomic(dir / "report.html", h.str());
}

}  // namespace maskbench::web_export
