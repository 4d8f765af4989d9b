#include "maskbench/web_export/pr_curves.h"

#include <algorithm>
#include <functional>

#include "maskbench/scoring/voc_eval.h"

namespace maskbench::web_export {

Result<std::vector<PrCurve>> ComputePrCurves(const scoring::GroundTruth& gt,
                                             const std::vector<scoring::Detection>& dets,
                                             int max_points) {
  std::vector<double> scores;
  scores.reserve(dets.size());
  for (const scoring::Detection& d : dets) scores.push_back(d.score);
  std::sort(scores.begin(), scores.end(), std::greater<>());
  scores.erase(std::unique(scores.begin(), scores.end()), scores.end());
  std::vector<double> thresholds;
  if (max_points < 2) max_points = 2;
  if (scores.size() <= static_cast<size_t>(max_points)) {
    thresholds = scores;
  } else {
    for (int i = 0; i < max_points; ++i) {
      size_t at =
          (scores.size() - 1) * static_cast<size_t>(i) / static_cast<size_t>(max_points - 1);
      thresholds.push_back(scores[at]);
    }
  }
  std::vector<PrCurve> curves;
  for (const scoring::GtCategory& c : gt.categories) curves.push_back({c.id, c.name, {}});
  std::vector<scoring::Detection> subset;
  for (double t : thresholds) {  // descending: recall never decreases
    subset.clear();
    for (const scoring::Detection& d : dets) {
      if (d.score >= t) subset.push_back(d);
    }
    Result<scoring::VocResult> r = scoring::VocEvaluate(gt, subset);
    if (!r.ok()) return r.status();
    for (const scoring::VocClassResult& k : r->per_class) {
      if (k.num_gt == 0 || k.tp + k.fp == 0) continue;
      for (PrCurve& c : curves) {
        if (c.class_id != k.category_id) continue;
        if (!c.points.empty() && c.points.back() == std::make_pair(k.recall, k.precision)) break;
        c.points.emplace_back(k.recall, k.precision);
        break;
      }
    }
  }
  std::erase_if(curves, [](const PrCurve& c) { return c.points.empty(); });
  return curves;
}

}  // namespace maskbench::web_export
