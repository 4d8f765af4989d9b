// Shared helpers of the evaluators (see internal.h).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "internal.h"

namespace maskbench::scoring::internal {

std::string FormatNumber(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

namespace {
// numpy's pairwise_sum for float64: blocks of <= 128 summed with 8
// accumulators, larger arrays split in two at a multiple of 8.
double Pairwise(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return Pairwise(a, n2) + Pairwise(a + n2, n - n2);
}
}  // namespace

double PairwiseSum(const double* a, size_t n) {
  // np.add.reduce hands its inner loop at most its buffer size (8192) of
  // elements at a time: pairwise within each block, the blocks added in order.
  constexpr size_t kBlock = 8192;
  if (n <= kBlock) return Pairwise(a, n);
  double sum = 0;
  for (size_t i = 0; i < n; i += kBlock) sum += Pairwise(a + i, std::min(kBlock, n - i));
  return sum;
}

namespace {
// numpy.linspace(start, stop, num): (i * ((stop - start) / (num - 1))) + start, last = stop.
std::vector<double> Linspace(double start, double stop, int num) {
  std::vector<double> v(num);
  double step = (stop - start) / double(num - 1);
  for (int i = 0; i < num; ++i) v[i] = double(i) * step + start;
  v[num - 1] = stop;
  return v;
}
}  // namespace

std::vector<double> CocoIouThresholds() { return Linspace(0.5, 0.95, 10); }
std::vector<double> CocoRecallThresholds() { return Linspace(0.0, 1.0, 101); }

double CocoIou(const double* d, const double* g, bool gt_crowd) {
  // Same operations in the same order as pycocotools' bbIou (maskApi.c).
  double ga = g[2] * g[3];
  double da = d[2] * d[3];
  double w = std::fmin(d[2] + d[0], g[2] + g[0]) - std::fmax(d[0], g[0]);
  if (w <= 0) return 0;
  double h = std::fmin(d[3] + d[1], g[3] + g[1]) - std::fmax(d[1], g[1]);
  if (h <= 0) return 0;
  double i = w * h;
  double u = gt_crowd ? da : da + ga - i;
  return i / u;
}

double VocIou(const double* d, const double* g) {
  // VOCevaldet.m: boxes [x1 y1 x2 y2] with x2 = x + w, inclusive pixel coordinates.
  double bx1 = d[0], by1 = d[1], bx2 = d[0] + d[2], by2 = d[1] + d[3];
  double gx1 = g[0], gy1 = g[1], gx2 = g[0] + g[2], gy2 = g[1] + g[3];
  double iw = std::min(bx2, gx2) - std::max(bx1, gx1) + 1;
  double ih = std::min(by2, gy2) - std::max(by1, gy1) + 1;
  if (!(iw > 0 && ih > 0)) return -1;
  double ua = (bx2 - bx1 + 1) * (by2 - by1 + 1) + (gx2 - gx1 + 1) * (gy2 - gy1 + 1) - iw * ih;
  return iw * ih / ua;
}

Status IndexDetections(const GroundTruth& gt, const std::vector<Detection>& dets,
                       const std::string& where, std::vector<int64_t>* image_index,
                       std::vector<int>* category_index) {
  image_index->resize(dets.size());
  category_index->resize(dets.size());
  // Results files list an image's detections together, and category ids are
  // small: remember the last image and use a dense table for categories.
  int64_t min_cat = 0, max_cat = -1;
  for (const GtCategory& c : gt.categories) {
    if (max_cat < min_cat) min_cat = max_cat = c.id;
    min_cat = std::min(min_cat, c.id);
    max_cat = std::max(max_cat, c.id);
  }
  std::vector<int> dense;
  if (max_cat >= min_cat && max_cat - min_cat < 65536) {
    dense.assign(size_t(max_cat - min_cat + 1), -1);
    for (size_t k = 0; k < gt.categories.size(); ++k)
      dense[size_t(gt.categories[k].id - min_cat)] = int(k);
  }
  int64_t last_image_id = 0, last_image = -1;
  for (size_t i = 0; i < dets.size(); ++i) {
    const Detection& d = dets[i];
    auto bad = [&](const std::string& what) {
      return Status::InvalidArgument(where, "record " + std::to_string(i) + ": " + what);
    };
    int64_t im =
        last_image >= 0 && d.image_id == last_image_id ? last_image : gt.ImageIndex(d.image_id);
    if (im < 0) return bad("unknown image_id " + std::to_string(d.image_id));
    last_image_id = d.image_id;
    last_image = im;
    int k = -1;
    if (!dense.empty()) {
      if (d.category_id >= min_cat && d.category_id <= max_cat)
        k = dense[size_t(d.category_id - min_cat)];
    } else {
      k = gt.CategoryIndex(d.category_id);
    }
    if (k < 0) return bad("unknown category_id " + std::to_string(d.category_id));
    for (double v : d.bbox)
      if (!std::isfinite(v)) return bad("bbox values must be finite");
    if (d.bbox[2] < 0 || d.bbox[3] < 0) return bad("bbox w and h must be >= 0");
    if (std::isnan(d.score)) return bad("score is NaN");
    if (!std::isfinite(d.score)) return bad("score must be finite");
    (*image_index)[i] = im;
    (*category_index)[i] = k;
  }
  return Status::Ok();
}

std::vector<int> CategoriesById(const GroundTruth& gt) {
  std::vector<int> order(gt.categories.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return gt.categories[a].id < gt.categories[b].id; });
  return order;
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, ptr);
  // Keep a decimal point so readers see a float, as Python's json does ("1.0").
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

}  // namespace maskbench::scoring::internal
