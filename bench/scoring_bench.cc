// Scoring speed on a COCO-val-sized workload: 5,000 images, ~35,000 ground-truth
// boxes in 80 classes, 100 detections per image, generated deterministically.
//
//   scoring_bench                          # Google Benchmark figures
//   scoring_bench --write_workload=DIR     # also writes DIR/gt.json and DIR/dets.json, so
//                                          # `maskbench score --gt DIR/gt.json --detections
//                                          DIR/dets.json` # can be timed end to end
// Targets (issue 3): COCO evaluation proper <= 1.0 s single-threaded; the
// whole command <= 4 s. Published figures for this size: pycocotools ~18.5 s,
// faster-coco-eval ~7.3 s.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/core/files.h"
#include "maskbench/scoring/coco_eval.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"
#include "maskbench/scoring/voc_eval.h"

namespace {

using namespace maskbench;
using namespace maskbench::scoring;

// splitmix64: the same numbers on every platform and standard library.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double Uniform() { return double(Next() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  double Uniform(double a, double b) { return a + (b - a) * Uniform(); }
  int Int(int n) { return int(Next() % uint64_t(n)); }
};

double Round2(double v) { return std::round(v * 100.0) / 100.0; }

struct Workload {
  GroundTruth gt;
  std::vector<Detection> dets;
  std::string gt_json, dets_json;
};

Workload MakeWorkload() {
  constexpr int kImages = 5000, kClasses = 80, kDetsPerImage = 100;
  constexpr double kW = 640, kH = 480;
  Rng rng{20240531};
  Workload w;
  GroundTruth& gt = w.gt;
  for (int k = 0; k < kClasses; ++k)
    gt.categories.push_back({int64_t(k + 1 + k / 10), "class" + std::to_string(k)});
  int64_t ann_id = 1;
  for (int i = 0; i < kImages; ++i) {
    int64_t image_id = 100000 + int64_t(i) * 37 % 99991;  // unordered, sparse ids like COCO
    gt.image_ids.push_back(image_id);
    int nclasses = 1 + rng.Int(4);
    int classes[4];
    for (int c = 0; c < nclasses; ++c) classes[c] = rng.Int(kClasses);
    int nboxes = 1 + rng.Int(13);  // mean 7: ~35,000 boxes
    size_t first_box = gt.boxes.size();
    for (int b = 0; b < nboxes; ++b) {
      GtBox box;
      box.id = ann_id++;
      box.image_id = image_id;
      box.category_id = gt.categories[classes[rng.Int(nclasses)]].id;
      double bw = std::exp(rng.Uniform(std::log(6.0), std::log(400.0)));
      double bh = bw * rng.Uniform(0.5, 2.0);
      bh = std::min(bh, kH - 1);
      box.bbox[0] = Round2(rng.Uniform(0, kW - bw));
      box.bbox[1] = Round2(rng.Uniform(0, kH - bh));
      box.bbox[2] = Round2(bw);
      box.bbox[3] = Round2(bh);
      box.area = Round2(box.bbox[2] * box.bbox[3] *
                        rng.Uniform(0.6, 0.95));  // like a segment inside its box
      box.iscrowd = rng.Int(100) == 0;
      gt.boxes.push_back(box);
    }
    // Detections: 1-3 jittered hits per box (sometimes the wrong class), then clutter.
    int made = 0;
    for (size_t b = first_box; b < gt.boxes.size() && made < kDetsPerImage; ++b) {
      const GtBox& box = gt.boxes[b];
      int copies = 1 + rng.Int(3);
      for (int c = 0; c < copies && made < kDetsPerImage; ++c, ++made) {
        Detection d;
        d.image_id = image_id;
        d.category_id = rng.Int(10) == 0 ? gt.categories[rng.Int(kClasses)].id : box.category_id;
        double j = c == 0 ? 0.08 : 0.3;
        for (int k = 0; k < 2; ++k)
          d.bbox[k] = Round2(box.bbox[k] + rng.Uniform(-j, j) * box.bbox[2 + k]);
        for (int k = 2; k < 4; ++k) d.bbox[k] = Round2(box.bbox[k] * (1 + rng.Uniform(-j, j)));
        d.score = std::round(rng.Uniform(c == 0 ? 0.5 : 0.2, 1.0) * 1e4) / 1e4;  // ties happen
        w.dets.push_back(d);
      }
    }
    for (; made < kDetsPerImage; ++made) {
      Detection d;
      d.image_id = image_id;
      d.category_id = rng.Int(10) < 7 ? gt.categories[classes[rng.Int(nclasses)]].id
                                      : gt.categories[rng.Int(kClasses)].id;
      double bw = std::exp(rng.Uniform(std::log(4.0), std::log(300.0)));
      double bh = bw * rng.Uniform(0.5, 2.0);
      d.bbox[0] = Round2(rng.Uniform(0, kW - bw));
      d.bbox[1] = Round2(rng.Uniform(0, std::max(1.0, kH - bh)));
      d.bbox[2] = Round2(bw);
      d.bbox[3] = Round2(bh);
      d.score = std::round(rng.Uniform(0.0, 0.6) * 1e4) / 1e4;
      w.dets.push_back(d);
    }
  }
  gt.BuildIndex();

  // The same data as files, formatted like real COCO files.
  std::string& g = w.gt_json;
  char buf[256];
  g = "{\"info\": {\"description\": \"maskbench scoring_bench workload\"}, \"images\": [";
  for (size_t i = 0; i < gt.image_ids.size(); ++i) {
    std::snprintf(
        buf, sizeof buf,
        "%s{\"id\": %lld, \"width\": 640, \"height\": 480, \"file_name\": \"%012lld.jpg\"}",
        i ? ", " : "", static_cast<long long>(gt.image_ids[i]),
        static_cast<long long>(gt.image_ids[i]));
    g += buf;
  }
  g += "], \"annotations\": [";
  for (size_t i = 0; i < gt.boxes.size(); ++i) {
    const GtBox& b = gt.boxes[i];
    std::snprintf(buf, sizeof buf,
                  "%s{\"id\": %lld, \"image_id\": %lld, \"category_id\": %lld, \"bbox\": [%.17g, "
                  "%.17g, %.17g, %.17g], "
                  "\"area\": %.17g, \"iscrowd\": %d}",
                  i ? ",\n" : "\n", static_cast<long long>(b.id),
                  static_cast<long long>(b.image_id), static_cast<long long>(b.category_id),
                  b.bbox[0], b.bbox[1], b.bbox[2], b.bbox[3], b.area, b.iscrowd ? 1 : 0);
    g += buf;
  }
  g += "], \"categories\": [";
  for (size_t k = 0; k < gt.categories.size(); ++k) {
    std::snprintf(buf, sizeof buf, "%s{\"id\": %lld, \"name\": \"%s\"}", k ? ", " : "",
                  static_cast<long long>(gt.categories[k].id), gt.categories[k].name.c_str());
    g += buf;
  }
  g += "]}\n";
  w.dets_json = DetectionsToCocoJson(w.dets);
  return w;
}

const Workload& TheWorkload() {
  static const Workload w = MakeWorkload();
  return w;
}

void BM_CocoEvaluate(benchmark::State& state) {
  const Workload& w = TheWorkload();
  double ap = 0;
  for (auto _ : state) {
    Result<CocoResult> r = CocoEvaluate(w.gt, w.dets);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    ap = r->stats[kAP];
  }
  state.counters["images"] = double(w.gt.image_ids.size());
  state.counters["gt_boxes"] = double(w.gt.boxes.size());
  state.counters["dets"] = double(w.dets.size());
  state.counters["AP"] = ap;
}
BENCHMARK(BM_CocoEvaluate)->Unit(benchmark::kMillisecond)->MinTime(3);

void BM_VocEvaluate(benchmark::State& state) {
  const Workload& w = TheWorkload();
  for (auto _ : state) {
    Result<VocResult> r = VocEvaluate(w.gt, w.dets);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r->map);
  }
}
BENCHMARK(BM_VocEvaluate)->Unit(benchmark::kMillisecond)->MinTime(2);

// Precision-recall curves as the store keeps them now: the cumulative TP/FP of
// one VOC evaluation (keep_curves) ...
void BM_PrCurvesOneEvaluation(benchmark::State& state) {
  const Workload& w = TheWorkload();
  VocOptions o;
  o.keep_curves = true;
  size_t points = 0;
  for (auto _ : state) {
    Result<VocResult> r = VocEvaluate(w.gt, w.dets, o);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    points = 0;
    for (const auto& c : r->per_class) points += c.curve.size();
  }
  state.counters["curve_points"] = double(points);
}
BENCHMARK(BM_PrCurvesOneEvaluation)->Unit(benchmark::kMillisecond)->MinTime(2);

// ... and as they were made before: one full evaluation per score threshold
// (41 thresholds 0.00, 0.025, ..., 1.00), precision and recall read off each.
void BM_PrCurvesPerThreshold(benchmark::State& state) {
  const Workload& w = TheWorkload();
  for (auto _ : state) {
    for (int t = 0; t <= 40; ++t) {
      const double threshold = t / 40.0;
      std::vector<Detection> kept;
      for (const Detection& d : w.dets)
        if (d.score >= threshold) kept.push_back(d);
      Result<VocResult> r = VocEvaluate(w.gt, kept);
      if (!r.ok()) state.SkipWithError(r.status().message().c_str());
      benchmark::DoNotOptimize(r->map);
    }
  }
}
BENCHMARK(BM_PrCurvesPerThreshold)->Unit(benchmark::kMillisecond)->MinTime(2);

void BM_ParseDetections(benchmark::State& state) {
  const Workload& w = TheWorkload();
  for (auto _ : state) {
    Result<std::vector<Detection>> r = ParseCocoDetections(w.dets_json, "dets.json");
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r->data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(w.dets_json.size()));
}
BENCHMARK(BM_ParseDetections)->Unit(benchmark::kMillisecond)->MinTime(2);

void BM_ParseGroundTruth(benchmark::State& state) {
  const Workload& w = TheWorkload();
  for (auto _ : state) {
    Result<GroundTruth> r = ParseCocoGroundTruth(w.gt_json, "gt.json");
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r->boxes.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(w.gt_json.size()));
}
BENCHMARK(BM_ParseGroundTruth)->Unit(benchmark::kMillisecond)->MinTime(2);

// What `maskbench score` does after reading the files: parse, validate, evaluate.
void BM_ScorePipeline(benchmark::State& state) {
  const Workload& w = TheWorkload();
  for (auto _ : state) {
    Result<GroundTruth> gt = ParseCocoGroundTruth(w.gt_json, "gt.json");
    Result<std::vector<Detection>> dets = ParseCocoDetections(w.dets_json, "dets.json");
    Status s = ValidateDetections(*gt, *dets, "dets.json");
    Result<CocoResult> r = CocoEvaluate(*gt, *dets);
    if (!s.ok() || !r.ok()) state.SkipWithError("failed");
    benchmark::DoNotOptimize(r->stats[kAP]);
  }
}
BENCHMARK(BM_ScorePipeline)->Unit(benchmark::kMillisecond)->MinTime(3);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const char* flag = "--write_workload=";
    if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0) {
      std::filesystem::path dir = argv[i] + std::strlen(flag);
      const Workload& w = TheWorkload();
      for (auto [name, text] :
           {std::pair{"gt.json", &w.gt_json}, std::pair{"dets.json", &w.dets_json}}) {
        Status s = WriteFileAtomic(dir / name, *text);
        if (!s.ok()) {
          std::fprintf(stderr, "scoring_bench: %s\n", s.message().c_str());
          return 1;
        }
        std::fprintf(stderr, "wrote %s (%zu bytes)\n", (dir / name).c_str(), text->size());
      }
      continue;
    }
    args.push_back(argv[i]);
  }
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
