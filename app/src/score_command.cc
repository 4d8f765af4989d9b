// `maskbench score`: COCO or VOC evaluation of a detections file. See docs/scoring.md.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/datasets/export_coco.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/scoring/coco_eval.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"
#include "maskbench/scoring/task_metrics.h"
#include "maskbench/scoring/voc_eval.h"

namespace maskbench::app {
namespace {

namespace sc = maskbench::scoring;

struct ScoreFlags {
  std::string gt, dataset, split, detections, metric = "coco", interp = "all";
  double iou = 0.5;
  bool json = false;
};

Result<sc::GroundTruth> LoadGroundTruth(const ScoreFlags& f) {
  if (!f.gt.empty()) return sc::LoadCocoGroundTruth(f.gt);
  Result<datasets::Dataset> ds = datasets::LoadDataset(f.dataset);
  if (!ds.ok()) return ds.status();
  Result<std::string> coco = datasets::ExportCocoJson(*ds, f.split);
  if (!coco.ok()) return coco.status();
  return sc::ParseCocoGroundTruth(*coco,
                                  f.dataset + (f.split.empty() ? "" : " (split " + f.split + ")"));
}

std::string TaskMetricsText(const sc::TaskMetrics& m) {
  std::string out =
      "\n Task metrics at score >= 0.5, IoU >= 0.5\n category  name                   precision   "
      "recall       F1      tp      fp      fn\n";
  char line[200];
  auto row = [&](const std::string& id, const std::string& name, const sc::PrfCounts& c) {
    std::snprintf(line, sizeof line, " %8s  %-22s %9.4f  %7.4f  %7.4f  %6lld  %6lld  %6lld\n",
                  id.c_str(), name.empty() ? "-" : name.c_str(), c.precision, c.recall, c.f1,
                  static_cast<long long>(c.tp), static_cast<long long>(c.fp),
                  static_cast<long long>(c.fn));
    out += line;
  };
  for (const auto& c : m.per_class) row(std::to_string(c.category_id), c.name, c.counts);
  if (m.violation) row("-", "violation (pooled)", *m.violation);
  return out;
}

int RunScore(const ScoreFlags& f, bool iou_given, bool interp_given) {
  if (f.gt.empty() == f.dataset.empty())
    return Fail("score: give exactly one of --gt GT.json or --dataset DS");
  if (!f.split.empty() && f.dataset.empty()) return Fail("score: --split needs --dataset");
  if (f.metric != "voc" && (iou_given || interp_given))
    return Fail("score: --iou and --voc-interp apply to --metric voc");
  Result<sc::GroundTruth> gt = LoadGroundTruth(f);
  if (!gt.ok()) return Fail(gt.status());
  Result<std::vector<sc::Detection>> dets = sc::LoadCocoDetections(f.detections, *gt);
  if (!dets.ok()) return Fail(dets.status());
  std::string out;
  if (f.metric == "coco") {
    Result<sc::CocoResult> r = sc::CocoEvaluate(*gt, *dets);
    if (!r.ok()) return Fail(r.status());
    out = f.json ? sc::CocoResultToJson(*r) + "\n" : sc::CocoResultToText(*r);
  } else {
    sc::VocOptions o;
    o.iou_threshold = f.iou;
    o.interp = f.interp == "11" ? sc::VocInterp::kElevenPoint : sc::VocInterp::kAllPoint;
    Result<sc::VocResult> r = sc::VocEvaluate(*gt, *dets, o);
    if (!r.ok()) return Fail(r.status());
    out = f.json ? sc::VocResultToJson(*r) + "\n" : sc::VocResultToText(*r);
  }
  if (!f.json) {
    Result<sc::TaskMetrics> m = sc::ComputeTaskMetrics(*gt, *dets);
    if (!m.ok()) return Fail(m.status());
    out += TaskMetricsText(*m);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddScoreCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<ScoreFlags>();
  auto* cmd = app.add_subcommand(
      "score", "Score COCO-format detections against ground truth (COCO or VOC metric)");
  auto* gt = cmd->add_option("--gt", f->gt, "Ground truth as COCO JSON");
  auto* ds =
      cmd->add_option("--dataset", f->dataset,
                      "A data set directory (its ground truth is exported to COCO in memory)");
  gt->excludes(ds);
  cmd->add_option("--split", f->split, "With --dataset: only this split (default: every frame)");
  cmd->add_option("--detections", f->detections, "Detections in COCO results format")->required();
  cmd->add_option("--metric", f->metric,
                  "coco (pycocotools bbox, default) or voc (PASCAL VOC devkit)")
      ->check(CLI::IsMember({"coco", "voc"}));
  auto* iou =
      cmd->add_option("--iou", f->iou, "VOC: IoU threshold of a match, in (0, 1] (default 0.5)")
          ->check(CLI::Range(0.0, 1.0));
  auto* interp =
      cmd->add_option("--voc-interp", f->interp, "VOC: all (all-point, default) or 11 (11-point)")
          ->check(CLI::IsMember({"all", "11"}));
  cmd->add_flag("--json", f->json, "Print one JSON document on stdout");
  cmd->callback([=] { *exit_code = RunScore(*f, iou->count() > 0, interp->count() > 0); });
}

}  // namespace maskbench::app
