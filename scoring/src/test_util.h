// Helpers for the scoring tests: ground truth and detections built in code.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"

namespace maskbench::scoring::testing {

struct G {
  int64_t image, category;
  double x, y, w, h;
  bool crowd = false;
  bool difficult = false;
  double area = -1;  // -1: w*h
};

inline GroundTruth MakeGt(std::vector<int64_t> images, std::vector<GtCategory> categories,
                          const std::vector<G>& boxes) {
  GroundTruth gt;
  gt.image_ids = std::move(images);
  gt.categories = std::move(categories);
  int64_t id = 1;
  for (const G& g : boxes) {
    GtBox b;
    b.id = id++;
    b.image_id = g.image;
    b.category_id = g.category;
    b.bbox[0] = g.x;
    b.bbox[1] = g.y;
    b.bbox[2] = g.w;
    b.bbox[3] = g.h;
    b.area = g.area >= 0 ? g.area : g.w * g.h;
    b.iscrowd = g.crowd;
    b.difficult = g.difficult;
    gt.boxes.push_back(b);
  }
  gt.BuildIndex();
  return gt;
}

inline Detection D(int64_t image, int64_t category, double x, double y, double w, double h,
                   double score) {
  Detection d;
  d.image_id = image;
  d.category_id = category;
  d.bbox[0] = x;
  d.bbox[1] = y;
  d.bbox[2] = w;
  d.bbox[3] = h;
  d.score = score;
  return d;
}

}  // namespace maskbench::scoring::testing
