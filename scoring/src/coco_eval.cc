// COCO bbox evaluation, step for step as pycocotools COCOeval (evaluate,
// evaluateImg, accumulate, summarize), on flat per-(category, image) buckets.
#include "maskbench/scoring/coco_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "internal.h"

namespace maskbench::scoring {
namespace {

constexpr int kT = 10;   // IoU thresholds
constexpr int kR = 101;  // recall thresholds
constexpr int kA = 4;    // area ranges: all, small, medium, large
constexpr int kM = 3;    // maxDets: 1, 10, 100
constexpr int kMaxDets[kM] = {1, 10, 100};
constexpr uint16_t kAllThresholds = (1u << kT) - 1;
constexpr double kAreaLo[kA] = {0.0, 0.0, 32.0 * 32.0, 96.0 * 96.0};
constexpr double kAreaHi[kA] = {1e5 * 1e5, 32.0 * 32.0, 96.0 * 96.0, 1e5 * 1e5};
// np.spacing(1): pycocotools adds it to the precision denominator.
constexpr double kEps = std::numeric_limits<double>::epsilon();

// One kept detection of a category after per-image matching.
struct Entry {
  double score;
  int32_t rank;     // position in its image's score order (0-based, < 100)
  uint16_t tp[kA];  // bit t: true positive at IoU threshold t
  uint16_t ig[kA];  // bit t: ignored at IoU threshold t
};

struct Buffers {
  std::vector<uint32_t> det_order;
  std::vector<double> iou;       // D x G, original gt order
  std::vector<int> gt_perm;      // gt order for an area: non-ignored first (stable)
  std::vector<char> gt_ignore;   // by original gt index
  std::vector<char> gt_matched;  // by permuted position
  std::vector<double> row_max;   // per detection: its best IoU over the bucket's gt
  std::vector<char> g_crowd;     // per gt of the bucket
  std::vector<char> g_id_zero;
  std::vector<double> g_area;
  std::vector<double> det_area;     // per detection: w * h
  std::vector<uint32_t> matchable;  // detections some box overlaps by >= .50
  // Accumulation scratch.
  std::vector<double> rc, pr, denom;
  std::vector<uint32_t> codes;
  std::vector<size_t> tp_pos;  // position of the i-th true positive
};

}  // namespace

const char* CocoStatName(int stat) {
  static const char* kNames[kNumCocoStats] = {"AP",  "AP50", "AP75",  "APs", "APm", "APl",
                                              "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
  return stat >= 0 && stat < kNumCocoStats ? kNames[stat] : "?";
}

Result<CocoResult> CocoEvaluate(const GroundTruth& gt, const std::vector<Detection>& dets) {
  std::vector<int64_t> det_image;
  std::vector<int> det_cat;
  MB_RETURN_IF_ERROR(internal::IndexDetections(gt, dets, "detections", &det_image, &det_cat));

  const std::vector<double> iou_thr = internal::CocoIouThresholds();
  const std::vector<double> rec_thr = internal::CocoRecallThresholds();
  const int64_t num_images = int64_t(gt.image_ids.size());
  const int num_cats = int(gt.categories.size());

  // pycocotools evaluates images and categories in ascending id order.
  std::vector<int64_t> image_rank(num_images);
  {
    std::vector<int64_t> order(num_images);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int64_t a, int64_t b) { return gt.image_ids[a] < gt.image_ids[b]; });
    for (int64_t r = 0; r < num_images; ++r) image_rank[order[r]] = r;
  }
  const std::vector<int> cat_order = internal::CategoriesById(gt);
  std::vector<int> cat_rank(num_cats);
  for (int r = 0; r < num_cats; ++r) cat_rank[cat_order[r]] = r;

  // Bucket key = category rank * images + image rank; stable within a bucket.
  // Two stable counting-sort passes (image rank, then category rank): O(n + images + categories).
  auto make_keys = [&](size_t n, auto image_of, auto cat_of) {
    std::vector<std::pair<uint64_t, uint32_t>> keys(n), tmp(n);
    std::vector<uint32_t> img(n), cat(n);
    for (size_t j = 0; j < n; ++j) {
      img[j] = uint32_t(image_rank[image_of(j)]);
      cat[j] = uint32_t(cat_rank[cat_of(j)]);
    }
    std::vector<size_t> count(std::max<size_t>(size_t(num_images), size_t(num_cats)) + 1);
    auto pass = [&](const std::vector<std::pair<uint64_t, uint32_t>>& in,
                    std::vector<std::pair<uint64_t, uint32_t>>& out,
                    const std::vector<uint32_t>& by, size_t buckets) {
      std::fill(count.begin(), count.begin() + buckets + 1, 0);
      for (const auto& e : in) ++count[by[e.second] + 1];
      for (size_t b = 0; b < buckets; ++b) count[b + 1] += count[b];
      for (const auto& e : in) out[count[by[e.second]]++] = e;
    };
    for (size_t j = 0; j < n; ++j)
      tmp[j] = {uint64_t(cat[j]) * uint64_t(num_images) + img[j], uint32_t(j)};
    pass(tmp, keys, img, size_t(num_images));
    pass(keys, tmp, cat, size_t(num_cats));
    return tmp;
  };
  auto gt_keys = make_keys(
      gt.boxes.size(), [&](size_t j) { return gt.ImageIndex(gt.boxes[j].image_id); },
      [&](size_t j) { return gt.CategoryIndex(gt.boxes[j].category_id); });
  auto dt_keys = make_keys(
      dets.size(), [&](size_t j) { return det_image[j]; }, [&](size_t j) { return det_cat[j]; });
  // The detections in bucket order, copied by a sequential pass over the input
  // (scattered writes) so the bucket loop below reads memory in order.
  std::vector<Detection> sorted_dets(dets.size());
  {
    std::vector<uint32_t> pos(dets.size());
    for (size_t p = 0; p < dt_keys.size(); ++p) pos[dt_keys[p].second] = uint32_t(p);
    for (size_t j = 0; j < dets.size(); ++j) sorted_dets[pos[j]] = dets[j];
  }

  // precision[a][m][t][r][k] and recall[a][m][t][k]: the numpy arrays with the
  // area and maxDet axes moved first, so (t, r, k) stays in C order.
  const size_t K = size_t(num_cats);
  std::vector<double> precision(size_t(kA) * kM * kT * kR * K, -1.0);
  std::vector<double> recall(size_t(kA) * kM * kT * K, -1.0);
  auto prec_at = [&](int a, int m, int t, int r, size_t k) -> double& {
    return precision[((((size_t(a) * kM + m) * kT + t) * kR + r) * K) + k];
  };
  auto rec_at = [&](int a, int m, int t, size_t k) -> double& {
    return recall[(((size_t(a) * kM + m) * kT + t) * K) + k];
  };

  Buffers buf;
  std::vector<Entry> entries;       // detections of the current category, image order
  int64_t npig[kA] = {0, 0, 0, 0};  // non-ignored gt of the current category per area
  double thr_start[kT];
  for (int t = 0; t < kT; ++t) thr_start[t] = std::min(iou_thr[t], 1 - 1e-10);

  // accumulate() for one category.
  // accumulate() for one category. Equivalent to pycocotools' arrays without
  // building them: recall depends only on the true-positive count, so
  // searchsorted(rc, thr) is the position of the v-th true positive, v being
  // the least count whose recall reaches thr; and the right-to-left maximum of
  // precision over a stretch of equal true-positive count is at its start, so
  // only precision at true positives is needed. Every value is computed with
  // the same operations as numpy (tp / npig, tp / (tp + fp + eps)).
  auto accumulate = [&](size_t k) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& x, const Entry& y) { return x.score > y.score; });
    buf.codes.resize(entries.size());
    buf.denom.resize(entries.size() + 1);
    for (size_t c = 0; c <= entries.size(); ++c) buf.denom[c] = double(c) + kEps;
    for (int a = 0; a < kA; ++a) {
      if (npig[a] == 0) continue;  // stays -1
      const int64_t np = npig[a];
      // rc for each true-positive count, and the least count reaching each recall threshold.
      buf.rc.resize(size_t(np) + 1);
      for (int64_t v = 0; v <= np; ++v) buf.rc[size_t(v)] = double(v) / double(np);
      int64_t need[kR];
      {
        int64_t v = 0;
        for (int r = 0; r < kR; ++r) {
          while (v <= np && buf.rc[size_t(v)] < rec_thr[r]) ++v;
          need[r] = v;  // np + 1: never reached
        }
      }
      buf.tp_pos.resize(size_t(np) + 2);
      buf.pr.resize(size_t(np) + 2);
      for (int m = 0; m < kM; ++m) {
        // This area's bits of the detections within maxDet of their image, in score order.
        const int max_det = kMaxDets[m];
        size_t ncodes = 0;
        for (const Entry& e : entries)
          if (e.rank < max_det) buf.codes[ncodes++] = uint32_t(e.tp[a]) | (uint32_t(e.ig[a]) << 16);
        for (int t = 0; t < kT; ++t) {
          const uint32_t tp_bit = 1u << t, ig_bit = 1u << (16 + t);
          size_t n = 0;
          int64_t tp = 0;
          for (size_t j = 0; j < ncodes; ++j) {
            const uint32_t c = buf.codes[j];
            if (c & ig_bit) continue;
            if (c & tp_bit) buf.tp_pos[size_t(++tp)] = n;
            ++n;
          }
          rec_at(a, m, t, k) = n ? buf.rc[size_t(tp)] : 0.0;
          // pr[i]: the maximum from the right of the precision at the i-th and later true
          // positives.
          double* pr = buf.pr.data();
          pr[size_t(tp) + 1] = 0.0;
          for (int64_t i = tp; i >= 1; --i)
            pr[i] = std::max(double(i) / buf.denom[buf.tp_pos[size_t(i)] + 1], pr[i + 1]);
          for (int r = 0; r < kR; ++r) {
            const int64_t v = need[r];
            double q = 0.0;  // beyond the curve
            // v == 0: position 0, whose own precision is 0 or that of the first true positive.
            if (v == 0)
              q = n && tp >= 1 ? pr[1] : 0.0;
            else if (v <= tp)
              q = pr[v];
            prec_at(a, m, t, r, k) = q;
          }
        }
      }
    }
  };

  size_t gi = 0, di = 0;
  int64_t current_cat = -1;
  while (gi < gt_keys.size() || di < dt_keys.size()) {
    uint64_t key = std::min(gi < gt_keys.size() ? gt_keys[gi].first : UINT64_MAX,
                            di < dt_keys.size() ? dt_keys[di].first : UINT64_MAX);
    int64_t k = int64_t(key / uint64_t(num_images));
    if (k != current_cat) {
      if (current_cat >= 0) accumulate(size_t(current_cat));
      entries.clear();
      std::fill(npig, npig + kA, 0);
      current_cat = k;
    }
    size_t g0 = gi, d0 = di;
    while (gi < gt_keys.size() && gt_keys[gi].first == key) ++gi;
    while (di < dt_keys.size() && dt_keys[di].first == key) ++di;
    const size_t G = gi - g0;
    const size_t Dall = di - d0;

    // Detections by descending score (stable), at most 100.
    buf.det_order.resize(Dall);
    const Detection* bucket_dets = sorted_dets.data() + d0;
    for (size_t j = 0; j < Dall; ++j) buf.det_order[j] = uint32_t(j);
    auto by_score = [&](uint32_t x, uint32_t y) {
      return bucket_dets[x].score > bucket_dets[y].score;
    };
    if (Dall <= 32) {
      // Stable insertion sort: small buckets are the rule, and it needs no buffer.
      for (size_t j = 1; j < Dall; ++j) {
        uint32_t v = buf.det_order[j];
        size_t p = j;
        for (; p > 0 && by_score(v, buf.det_order[p - 1]); --p)
          buf.det_order[p] = buf.det_order[p - 1];
        buf.det_order[p] = v;
      }
    } else {
      std::stable_sort(buf.det_order.begin(), buf.det_order.end(), by_score);
    }
    const size_t D = std::min<size_t>(Dall, kMaxDets[kM - 1]);

    auto gt_box = [&](size_t g) -> const GtBox& { return gt.boxes[gt_keys[g0 + g].second]; };
    buf.g_crowd.resize(G);
    buf.g_id_zero.resize(G);
    buf.g_area.resize(G);
    for (size_t g = 0; g < G; ++g) {
      const GtBox& b = gt_box(g);
      buf.g_crowd[g] = b.iscrowd;
      buf.g_id_zero[g] = b.id == 0;
      buf.g_area[g] = b.area;
    }
    buf.iou.resize(D * G);
    buf.row_max.resize(D);
    buf.det_area.resize(D);
    for (size_t d = 0; d < D; ++d) {
      const double* db = bucket_dets[buf.det_order[d]].bbox;
      double best = 0;
      for (size_t g = 0; g < G; ++g) {
        double v = internal::CocoIou(db, gt_box(g).bbox, buf.g_crowd[g]);
        buf.iou[d * G + g] = v;
        best = std::max(best, v);
      }
      buf.row_max[d] = best;
      buf.det_area[d] = db[2] * db[3];  // loadRes: area = w * h
    }

    const size_t first_entry = entries.size();
    for (size_t d = 0; d < D; ++d) {
      Entry e{};
      e.score = bucket_dets[buf.det_order[d]].score;
      e.rank = int32_t(d);
      entries.push_back(e);
    }
    Entry* ent = entries.data() + first_entry;

    buf.gt_ignore.resize(G);
    buf.gt_perm.resize(G);
    buf.gt_matched.resize(G);
    for (int a = 0; a < kA; ++a) {
      size_t non_ignored = 0;
      for (size_t g = 0; g < G; ++g) {
        bool ig = buf.g_crowd[g] || buf.g_area[g] < kAreaLo[a] || buf.g_area[g] > kAreaHi[a];
        buf.gt_ignore[g] = ig;
        if (!ig) buf.gt_perm[non_ignored++] = int(g);
      }
      size_t pos = non_ignored;
      for (size_t g = 0; g < G; ++g)
        if (buf.gt_ignore[g]) buf.gt_perm[pos++] = int(g);
      npig[a] += int64_t(non_ignored);

      // Detections no box reaches at IoU .50 stay unmatched at every threshold:
      // they are ignored throughout when their own area is outside the range.
      buf.matchable.clear();
      for (size_t d = 0; d < D; ++d) {
        if (buf.row_max[d] >= thr_start[0])
          buf.matchable.push_back(uint32_t(d));
        else if (buf.det_area[d] < kAreaLo[a] || buf.det_area[d] > kAreaHi[a])
          ent[d].ig[a] = kAllThresholds;
      }
      if (buf.matchable.empty()) continue;
      for (int t = 0; t < kT; ++t) {
        std::fill(buf.gt_matched.begin(), buf.gt_matched.end(), 0);
        const uint16_t bit = uint16_t(1u << t);
        for (uint32_t d : buf.matchable) {
          double best = thr_start[t];
          int m = -1;
          const double* row = buf.iou.data() + size_t(d) * G;
          // No box reaches the threshold: nothing to scan (same outcome as the scan).
          const size_t scan = buf.row_max[d] < best ? 0 : G;
          for (size_t p = 0; p < scan; ++p) {
            const int g = buf.gt_perm[p];
            const bool crowd = buf.g_crowd[g];
            if (buf.gt_matched[p] && !crowd) continue;
            if (m > -1 && !buf.gt_ignore[buf.gt_perm[m]] && buf.gt_ignore[g]) break;
            if (row[g] < best) continue;
            best = row[g];
            m = int(p);
          }
          bool matched = false, ignored = false;
          if (m != -1) {
            const int g = buf.gt_perm[m];
            ignored = buf.gt_ignore[g];
            matched = !buf.g_id_zero[g];  // pycocotools stores the gt id; id 0 reads as "no match"
            buf.gt_matched[m] = 1;
          }
          if (!matched && (buf.det_area[d] < kAreaLo[a] || buf.det_area[d] > kAreaHi[a]))
            ignored = true;
          if (ignored)
            ent[d].ig[a] |= bit;
          else if (matched)
            ent[d].tp[a] |= bit;
        }
      }
    }
  }
  if (current_cat >= 0) accumulate(size_t(current_cat));

  // summarize()
  CocoResult result;
  std::vector<double> sel;
  auto mean_valid = [&]() {
    if (sel.empty()) return -1.0;
    return internal::PairwiseSum(sel.data(), sel.size()) / double(sel.size());
  };
  auto ap_stat = [&](int t_only, int a) {
    sel.clear();
    for (int t = 0; t < kT; ++t) {
      if (t_only >= 0 && t != t_only) continue;
      for (int r = 0; r < kR; ++r)
        for (size_t k = 0; k < K; ++k) {
          double v = prec_at(a, kM - 1, t, r, k);
          if (v > -1) sel.push_back(v);
        }
    }
    return mean_valid();
  };
  auto ar_stat = [&](int a, int m) {
    sel.clear();
    for (int t = 0; t < kT; ++t)
      for (size_t k = 0; k < K; ++k) {
        double v = rec_at(a, m, t, k);
        if (v > -1) sel.push_back(v);
      }
    return mean_valid();
  };
  // The thresholds .50 and .75 are entries 0 and 5 of iouThrs (np.where(iouThr == p.iouThrs)).
  int t50 = -1, t75 = -1;
  for (int t = 0; t < kT; ++t) {
    if (iou_thr[t] == 0.5) t50 = t;
    if (iou_thr[t] == 0.75) t75 = t;
  }
  auto ap_at = [&](int t, int a) { return t < 0 ? -1.0 : ap_stat(t, a); };
  result.stats[kAP] = ap_stat(-1, 0);
  result.stats[kAP50] = ap_at(t50, 0);
  result.stats[kAP75] = ap_at(t75, 0);
  result.stats[kAPSmall] = ap_stat(-1, 1);
  result.stats[kAPMedium] = ap_stat(-1, 2);
  result.stats[kAPLarge] = ap_stat(-1, 3);
  result.stats[kAR1] = ar_stat(0, 0);
  result.stats[kAR10] = ar_stat(0, 1);
  result.stats[kAR100] = ar_stat(0, 2);
  result.stats[kARSmall] = ar_stat(1, 2);
  result.stats[kARMedium] = ar_stat(2, 2);
  result.stats[kARLarge] = ar_stat(3, 2);

  for (size_t k = 0; k < K; ++k) {
    const GtCategory& c = gt.categories[cat_order[k]];
    CocoClassResult cr;
    cr.category_id = c.id;
    cr.name = c.name;
    for (int pass = 0; pass < 2; ++pass) {
      sel.clear();
      for (int t = 0; t < kT; ++t) {
        if (pass == 1 && t != t50) continue;
        for (int r = 0; r < kR; ++r) {
          double v = prec_at(0, kM - 1, t, r, k);
          if (v > -1) sel.push_back(v);
        }
      }
      (pass == 0 ? cr.ap : cr.ap50) = mean_valid();
    }
    result.per_class.push_back(std::move(cr));
  }
  return result;
}

std::string CocoResultToJson(const CocoResult& r) {
  std::string out = "{\"metric\": \"coco\", \"stats\": {";
  for (int s = 0; s < kNumCocoStats; ++s) {
    if (s) out += ", ";
    out += "\"";
    out += CocoStatName(s);
    out += "\": " + internal::JsonNumber(r.stats[s]);
  }
  out += "}, \"per_class\": {";
  for (size_t i = 0; i < r.per_class.size(); ++i) {
    const CocoClassResult& c = r.per_class[i];
    if (i) out += ", ";
    out += '"';
    out += std::to_string(c.category_id);
    out += "\": {\"AP\": ";
    out += internal::JsonNumber(c.ap);
    out += ", \"AP50\": ";
    out += internal::JsonNumber(c.ap50);
    out += '}';
  }
  out += "}}";
  return out;
}

std::string CocoResultToText(const CocoResult& r) {
  struct Line {
    bool ap;
    const char* iou;
    const char* area;
    int max_dets;
  };
  static const Line kLines[kNumCocoStats] = {
      {true, "0.50:0.95", "all", 100},     {true, "0.50", "all", 100},
      {true, "0.75", "all", 100},          {true, "0.50:0.95", "small", 100},
      {true, "0.50:0.95", "medium", 100},  {true, "0.50:0.95", "large", 100},
      {false, "0.50:0.95", "all", 1},      {false, "0.50:0.95", "all", 10},
      {false, "0.50:0.95", "all", 100},    {false, "0.50:0.95", "small", 100},
      {false, "0.50:0.95", "medium", 100}, {false, "0.50:0.95", "large", 100}};
  std::string out;
  char line[160];
  for (int s = 0; s < kNumCocoStats; ++s) {
    const Line& l = kLines[s];
    std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", l.iou,
                  l.area, l.max_dets, r.stats[s]);
    out += line;
  }
  out += "\n category  name                     AP      AP50\n";
  for (const CocoClassResult& c : r.per_class) {
    std::snprintf(line, sizeof line, " %8lld  %-22s %7.3f  %7.3f\n",
                  static_cast<long long>(c.category_id), c.name.empty() ? "-" : c.name.c_str(),
                  c.ap, c.ap50);
    out += line;
  }
  return out;
}

}  // namespace maskbench::scoring
