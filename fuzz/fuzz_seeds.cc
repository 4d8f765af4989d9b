// Writes the fuzz targets' seed corpora: DIR/<target>/seed-N, a few valid
// inputs of each format and a few broken ones. Run by the ctest fixture
// `fuzz_corpus` before the fuzz tests. Usage: fuzz_seeds DIR
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "maskbench/contest/rules.h"
#include "maskbench/core/files.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  int written = 0;
  auto seed = [&](const std::string& target, const std::string& bytes) {
    const fs::path p = root / target / ("seed-" + std::to_string(written++));
    if (!maskbench::WriteFileAtomic(p, bytes).ok()) {
      std::fprintf(stderr, "fuzz_seeds: cannot write %s\n", p.c_str());
      std::exit(1);
    }
  };
  seed("voc",
       "<annotation><filename>a.jpg</filename><size><width>64</width><height>48</height>"
       "</size><object><name>with_mask</name><difficult>0</difficult><bndbox><xmin>1</xmin>"
       "<ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object></annotation>");
  seed("voc", "<annotation><object><name>x</name></object></annotation>");
  seed("voc", "<annotation><size><width>1e309</width></size>");
  seed("yolo", "0 0.5 0.5 0.2 0.3\n2 0.1 0.1 0.05 0.05\n");
  seed("yolo", "1 2 3\n9 0.5 0.5 0.5 0.5\n");
  seed("video_csv",
       "frame,class,x,y,w,h,difficult\n0,with_mask,1,2,30,40,0\n3,without_mask,5,5,9,9,1\n");
  seed("video_csv", "frame,class,x,y,w,h\n-1,a,b,c,d,e\n");
  seed("class_names", "with_mask\nwithout_mask\nmask_weared_incorrect\n");
  seed("class_names", "a\na\n\xff\n");
  const std::string coco =
      R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],)"
      R"( "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4],)"
      R"( "area": 12, "iscrowd": 0}], "categories": [{"id": 1, "name": "with_mask"}]})";
  seed("coco_import", coco);
  seed("coco_import",
       R"({"images": [{"id": 1, "file_name": ""}], "annotations": [], "categories": []})");
  seed("ground_truth", coco);
  seed("ground_truth", R"({"images": [], "annotations": [{"bbox": [0, 0, 1e300, 1e300]}]})");
  seed(
      "manifest",
      R"({"format": "maskbench.dataset", "format_version": 1, "name": "x", "splits": ["val"],)"
      R"( "classes": [{"id": 0, "name": "with_mask"}], "media": [{"kind": "image", "path": "a.jpg",)"
      R"( "sha256": "00", "bytes": 1}], "frames": [{"id": 0, "name": "a", "media": 0, "width": 64,)"
      R"( "height": 48, "split": "val", "annotations": [{"bbox": [1, 2, 3, 4], "class_id": 0}]}]})");
  seed("detections", R"([{"image_id": 1, "category_id": 1, "bbox": [1.5, 2, 3, 4], "score": 0.9}, )"
                     R"({"image_id": 2, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 1e-3}])");
  seed("detections", R"([{"image_id": 1, "bbox": [NaN, 0, 1, 1], "score": 2}])");
  seed("rules", std::string(maskbench::contest::DefaultRulesJson()));
  seed("rules", R"({"format_version": 1, "ranking": {"composite": "mAP50 * speedup ^ 0.5"}})");
  cv::Mat img(24, 32, CV_8UC3, cv::Scalar(10, 120, 240));
  for (const char* ext : {".jpg", ".png", ".bmp"}) {
    std::vector<uint8_t> buf;
    cv::imencode(ext, img, buf);
    seed("image", std::string(buf.begin(), buf.end()));
  }
  std::printf("fuzz_seeds: %d seeds in %s\n", written, root.c_str());
  return 0;
}
