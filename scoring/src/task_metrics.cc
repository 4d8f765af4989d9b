#include "maskbench/scoring/task_metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "internal.h"

namespace maskbench::scoring {
namespace {

void Finish(PrfCounts* c) {
  c->precision = c->tp + c->fp > 0 ? double(c->tp) / double(c->tp + c->fp) : 0.0;
  c->recall = c->tp + c->fn > 0 ? double(c->tp) / double(c->tp + c->fn) : 0.0;
  c->f1 = c->precision + c->recall > 0 ? 2 * c->precision * c->recall / (c->precision + c->recall)
                                       : 0.0;
}

}  // namespace

Result<TaskMetrics> ComputeTaskMetrics(const GroundTruth& gt, const std::vector<Detection>& dets,
                                       const TaskMetricsOptions& options) {
  if (!(options.iou_threshold > 0 && options.iou_threshold <= 1))
    return Status::InvalidArgument("task metrics", "IoU threshold must be in (0, 1]");
  if (!std::isfinite(options.score_threshold))
    return Status::InvalidArgument("task metrics", "score threshold must be finite");
  std::vector<int64_t> det_image;
  std::vector<int> det_cat;
  MB_RETURN_IF_ERROR(internal::IndexDetections(gt, dets, "detections", &det_image, &det_cat));

  // Counts for the ground truth and detections whose category index passes `in_group`.
  std::vector<uint32_t> gsel, dsel;
  std::vector<char> taken;
  auto count = [&](const std::function<bool(int)>& in_group) {
    PrfCounts c;
    gsel.clear();
    dsel.clear();
    for (size_t j = 0; j < gt.boxes.size(); ++j)
      if (in_group(gt.CategoryIndex(gt.boxes[j].category_id))) gsel.push_back(uint32_t(j));
    for (size_t j = 0; j < dets.size(); ++j)
      if (in_group(det_cat[j]) && dets[j].score >= options.score_threshold)
        dsel.push_back(uint32_t(j));
    std::stable_sort(gsel.begin(), gsel.end(), [&](uint32_t a, uint32_t b) {
      return gt.ImageIndex(gt.boxes[a].image_id) < gt.ImageIndex(gt.boxes[b].image_id);
    });
    std::stable_sort(dsel.begin(), dsel.end(), [&](uint32_t a, uint32_t b) {
      if (det_image[a] != det_image[b]) return det_image[a] < det_image[b];
      return dets[a].score > dets[b].score;
    });
    taken.assign(gsel.size(), 0);
    size_t gi = 0;
    for (size_t di = 0; di < dsel.size();) {
      int64_t image = det_image[dsel[di]];
      while (gi < gsel.size() && gt.ImageIndex(gt.boxes[gsel[gi]].image_id) < image) ++gi;
      size_t g0 = gi, g1 = gi;
      while (g1 < gsel.size() && gt.ImageIndex(gt.boxes[gsel[g1]].image_id) == image) ++g1;
      for (; di < dsel.size() && det_image[dsel[di]] == image; ++di) {
        const Detection& d = dets[dsel[di]];
        double best = -1;
        size_t best_g = g1;
        bool hits_ignored = false;
        for (size_t g = g0; g < g1; ++g) {
          const GtBox& b = gt.boxes[gsel[g]];
          double iou = internal::CocoIou(d.bbox, b.bbox, b.iscrowd);
          if (iou < options.iou_threshold) continue;
          if (b.iscrowd || b.difficult) {
            hits_ignored = true;
            continue;
          }
          if (!taken[g] && iou > best) {
            best = iou;
            best_g = g;
          }
        }
        if (best_g < g1) {
          taken[best_g] = 1;
          ++c.tp;
        } else if (!hits_ignored) {
          ++c.fp;
        }
      }
    }
    for (size_t g = 0; g < gsel.size(); ++g) {
      const GtBox& b = gt.boxes[gsel[g]];
      if (!taken[g] && !b.iscrowd && !b.difficult) ++c.fn;
    }
    Finish(&c);
    return c;
  };

  TaskMetrics out;
  for (int k : internal::CategoriesById(gt)) {
    TaskClassMetrics m;
    m.category_id = gt.categories[k].id;
    m.name = gt.categories[k].name;
    m.counts = count([k](int c) { return c == k; });
    out.per_class.push_back(std::move(m));
  }
  std::vector<char> violation(gt.categories.size(), 0);
  bool any = false;
  for (size_t k = 0; k < gt.categories.size(); ++k)
    for (const std::string& name : options.violation_classes)
      if (gt.categories[k].name == name) violation[k] = any = true;
  if (any) out.violation = count([&](int c) { return violation[c] != 0; });
  return out;
}

}  // namespace maskbench::scoring
