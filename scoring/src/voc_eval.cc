// PASCAL VOC devkit evaluation (VOCevaldet.m matching, VOCap.m / 11-point AP).
#include "maskbench/scoring/voc_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "internal.h"

namespace maskbench::scoring {

const char* VocInterpName(VocInterp interp) {
  return interp == VocInterp::kAllPoint ? "all" : "11";
}

namespace internal {

// AP of one class from its per-detection outcomes in score order
// (+1 true positive, -1 false positive, 0 ignored) and its number of
// non-difficult ground truth boxes (npos > 0).
double VocAveragePrecision(const std::vector<int8_t>& outcome, int64_t npos, VocInterp interp) {
  const size_t nd = outcome.size();
  std::vector<double> rec(nd), prec(nd);
  std::vector<int64_t> tps(nd);
  int64_t tp = 0, fp = 0;
  for (size_t d = 0; d < nd; ++d) {
    if (outcome[d] > 0) ++tp;
    if (outcome[d] < 0) ++fp;
    tps[d] = tp;
    rec[d] = double(tp) / double(npos);
    // 0/0 (only ignored detections so far) is NaN in MATLAB, which max() skips; 0 is equivalent.
    prec[d] = tp + fp > 0 ? double(tp) / double(tp + fp) : 0.0;
  }
  if (interp == VocInterp::kElevenPoint) {
    // for t = 0:0.1:1, p = max(prec(rec >= t)), 0 when empty; ap += p / 11.
    // rec >= t/10 is decided exactly on integers: 10 * tp >= t * npos.
    double ap = 0;
    for (int t = 0; t <= 10; ++t) {
      double p = 0;
      for (size_t d = 0; d < nd; ++d)
        if (10 * tps[d] >= int64_t(t) * npos) p = std::max(p, prec[d]);
      ap += p / 11;
    }
    return ap;
  }
  // VOCap: mrec = [0; rec; 1], mpre = [0; prec; 0], envelope from the right,
  // sum of (mrec(i) - mrec(i-1)) * mpre(i) where the recall changes.
  std::vector<double> mrec(nd + 2), mpre(nd + 2);
  mrec[0] = 0;
  mpre[0] = 0;
  for (size_t d = 0; d < nd; ++d) {
    mrec[d + 1] = rec[d];
    mpre[d + 1] = prec[d];
  }
  mrec[nd + 1] = 1;
  mpre[nd + 1] = 0;
  for (size_t i = nd + 1; i-- > 0;) mpre[i] = std::max(mpre[i], mpre[i + 1]);
  double ap = 0;
  for (size_t i = 1; i < nd + 2; ++i)
    if (mrec[i] != mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  return ap;
}

}  // namespace internal

Result<VocResult> VocEvaluate(const GroundTruth& gt, const std::vector<Detection>& dets,
                              const VocOptions& options) {
  if (!(options.iou_threshold > 0 && options.iou_threshold <= 1))
    return Status::InvalidArgument("--iou", "the IoU threshold must be in (0, 1], got " +
                                                internal::JsonNumber(options.iou_threshold));
  std::vector<int64_t> det_image;
  std::vector<int> det_cat;
  MB_RETURN_IF_ERROR(internal::IndexDetections(gt, dets, "detections", &det_image, &det_cat));
  const int64_t num_images = int64_t(gt.image_ids.size());
  const int num_cats = int(gt.categories.size());

  // Ground truth per (category, image), in file order.
  std::vector<std::pair<uint64_t, uint32_t>> gt_keys(gt.boxes.size());
  for (size_t j = 0; j < gt.boxes.size(); ++j)
    gt_keys[j] = {uint64_t(gt.CategoryIndex(gt.boxes[j].category_id)) * uint64_t(num_images) +
                      uint64_t(gt.ImageIndex(gt.boxes[j].image_id)),
                  uint32_t(j)};
  std::sort(gt_keys.begin(), gt_keys.end());
  // Detections per category, in input order.
  std::vector<std::vector<uint32_t>> cat_dets(num_cats);
  for (size_t j = 0; j < dets.size(); ++j) cat_dets[det_cat[j]].push_back(uint32_t(j));

  VocResult result;
  result.iou_threshold = options.iou_threshold;
  result.interp = options.interp;
  std::vector<char> taken(gt_keys.size(), 0);
  std::vector<int8_t> outcome;
  double ap_sum = 0;
  int ap_count = 0;
  for (int k : internal::CategoriesById(gt)) {
    VocClassResult cr;
    cr.category_id = gt.categories[k].id;
    cr.name = gt.categories[k].name;
    auto key_bound = [&](uint64_t key) {
      return size_t(
          std::lower_bound(gt_keys.begin(), gt_keys.end(), std::make_pair(key, uint32_t(0))) -
          gt_keys.begin());
    };
    auto range_of = [&](int64_t image) {
      uint64_t key = uint64_t(k) * uint64_t(num_images) + uint64_t(image);
      return std::make_pair(key_bound(key), key_bound(key + 1));
    };
    const size_t class_lo = key_bound(uint64_t(k) * uint64_t(num_images));
    const size_t class_hi = key_bound(uint64_t(k + 1) * uint64_t(num_images));
    for (size_t j = class_lo; j < class_hi; ++j) {
      const GtBox& b = gt.boxes[gt_keys[j].second];
      if (!(b.difficult || b.iscrowd)) ++cr.num_gt;
      taken[j] = 0;
    }
    std::vector<uint32_t>& order = cat_dets[k];
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t x, uint32_t y) { return dets[x].score > dets[y].score; });
    outcome.assign(order.size(), 0);
    for (size_t n = 0; n < order.size(); ++n) {
      const Detection& d = dets[order[n]];
      auto [lo, hi] = range_of(det_image[order[n]]);
      double ovmax = -std::numeric_limits<double>::infinity();
      size_t jmax = 0;
      for (size_t j = lo; j < hi; ++j) {
        double ov = internal::VocIou(d.bbox, gt.boxes[gt_keys[j].second].bbox);
        if (ov < 0) continue;  // iw <= 0 or ih <= 0
        if (ov > ovmax) {
          ovmax = ov;
          jmax = j;
        }
      }
      if (ovmax >= options.iou_threshold) {
        const GtBox& b = gt.boxes[gt_keys[jmax].second];
        if (b.difficult || b.iscrowd) {
          outcome[n] = 0;
        } else if (!taken[jmax]) {
          outcome[n] = 1;
          taken[jmax] = 1;
        } else {
          outcome[n] = -1;
        }
      } else {
        outcome[n] = -1;
      }
      if (outcome[n] > 0) ++cr.tp;
      if (outcome[n] < 0) ++cr.fp;
    }
    cr.num_dets = int64_t(order.size());
    cr.precision = cr.tp + cr.fp > 0 ? double(cr.tp) / double(cr.tp + cr.fp) : 0.0;
    if (options.keep_curves && cr.num_gt > 0) {
      int64_t tp = 0, fp = 0;
      for (int8_t o : outcome) {
        if (o == 0) continue;
        (o > 0 ? tp : fp) += 1;
        cr.curve.emplace_back(double(tp) / double(cr.num_gt), double(tp) / double(tp + fp));
      }
    }
    if (cr.num_gt > 0) {
      cr.recall = double(cr.tp) / double(cr.num_gt);
      cr.ap = internal::VocAveragePrecision(outcome, cr.num_gt, options.interp);
      ap_sum += cr.ap;
      ++ap_count;
    }
    result.per_class.push_back(std::move(cr));
  }
  result.map = ap_count ? ap_sum / ap_count : -1.0;
  return result;
}

std::string VocResultToJson(const VocResult& r) {
  std::string out = "{\"metric\": \"voc\", \"iou\": " + internal::JsonNumber(r.iou_threshold) +
                    ", \"interp\": \"" + VocInterpName(r.interp) +
                    "\", \"mAP\": " + internal::JsonNumber(r.map) + ", \"per_class\": {";
  for (size_t i = 0; i < r.per_class.size(); ++i) {
    const VocClassResult& c = r.per_class[i];
    if (i) out += ", ";
    out += '"';
    out += std::to_string(c.category_id);
    out += "\": {\"AP\": ";
    out += internal::JsonNumber(c.ap);
    out += ", \"precision\": ";
    out += internal::JsonNumber(c.precision);
    out += ", \"recall\": ";
    out += internal::JsonNumber(c.recall);
    out += '}';
  }
  out += "}}";
  return out;
}

std::string VocResultToText(const VocResult& r) {
  char line[200];
  std::snprintf(line, sizeof line, " VOC mAP @[ IoU>=%.2f | %s ] = %0.4f\n\n", r.iou_threshold,
                r.interp == VocInterp::kAllPoint ? "all-point AP" : "11-point AP", r.map);
  std::string out = line;
  out +=
      " category  name                       AP  precision   recall      gt    dets      tp      "
      "fp\n";
  for (const VocClassResult& c : r.per_class) {
    std::snprintf(
        line, sizeof line, " %8lld  %-22s %7.4f  %9.4f  %7.4f  %6lld  %6lld  %6lld  %6lld\n",
        static_cast<long long>(c.category_id), c.name.empty() ? "-" : c.name.c_str(), c.ap,
        c.precision, c.recall, static_cast<long long>(c.num_gt), static_cast<long long>(c.num_dets),
        static_cast<long long>(c.tp), static_cast<long long>(c.fp));
    out += line;
  }
  return out;
}

}  // namespace maskbench::scoring
