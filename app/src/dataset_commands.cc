// `maskbench dataset import|verify|stats|export-coco`. See docs/datasets.md.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "maskbench/core/files.h"
#include "maskbench/datasets/export_coco.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/datasets/stats.h"
#include "maskbench/datasets/verify.h"

namespace maskbench::app {

namespace {

namespace ds = maskbench::datasets;

// Flags shared by the importers; the CLI11 callbacks read them after parsing.
struct ImportFlags {
  std::vector<std::string> splits;
  std::string classes, out, name;
  bool json = false;
  bool allow_outside_images = false;
  ds::ImageLimits limits;
};

// --max-image-side / --max-image-pixels (import and verify).
void AddImageLimitFlags(CLI::App* cmd, ds::ImageLimits* limits) {
  cmd->add_option("--max-image-side", limits->max_side,
                  "Largest image side decoded, checked from the header first")
      ->capture_default_str();
  cmd->add_option("--max-image-pixels", limits->max_pixels,
                  "Most pixels of an image decoded, checked from the header first")
      ->capture_default_str();
}

void AddCommonImportFlags(CLI::App* cmd, ImportFlags* f, bool with_splits, bool classes_required) {
  if (with_splits)
    cmd->add_option(
        "--split", f->splits,
        "NAME=FILE: FILE lists image names (no extension) of split NAME, one a line; repeatable");
  auto* c = cmd->add_option("--classes", f->classes,
                            "File with one class name a line (ids 0..n-1 in order)");
  if (classes_required) c->required();
  cmd->add_option("--out", f->out, "Data set directory to write (manifest.json)")->required();
  cmd->add_option("--name", f->name,
                  "Data set name in the manifest (default: the --out folder name)");
  cmd->add_flag("--json", f->json, "Print a JSON summary on stdout");
  AddImageLimitFlags(cmd, &f->limits);
}

Result<ds::ImportOptions> MakeOptions(const ImportFlags& f) {
  ds::ImportOptions o;
  auto splits = ds::ParseSplitFlags(f.splits);
  if (!splits.ok()) return splits.status();
  o.splits = *splits;
  o.out = f.out;
  o.classes_file = f.classes;
  o.name = f.name;
  o.progress = true;  // only shown when stderr is a terminal
  o.image_limits = f.limits;
  o.allow_outside_images = f.allow_outside_images;
  return o;
}

int ReportImport(const std::string& kind, const Result<ds::ImportReport>& r, const ImportFlags& f) {
  if (!r.ok()) return Fail(r.status());
  if (r->clipped_boxes > 0)
    std::fprintf(stderr, "maskbench: import %s: clipped %lld boxes that ended past the frame\n",
                 kind.c_str(), static_cast<long long>(r->clipped_boxes));
  if (f.json) {
    nlohmann::ordered_json j = {{"frames", r->frames},
                                {"boxes", r->boxes},
                                {"clipped_boxes", r->clipped_boxes},
                                {"manifest", r->manifest_path.string()},
                                {"manifest_sha256", r->manifest_sha256}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("imported %lld frames, %lld boxes into %s\nmanifest sha256 %s\n",
                static_cast<long long>(r->frames), static_cast<long long>(r->boxes),
                r->manifest_path.string().c_str(), r->manifest_sha256.c_str());
  }
  return 0;
}

void AddImport(CLI::App& dataset, int* exit_code) {
  CLI::App* import =
      dataset.add_subcommand("import", "Build a data set from VOC, COCO, YOLO or video labels");
  import->require_subcommand(1);

  {
    auto* cmd = import->add_subcommand("voc", "PASCAL VOC XML: one .xml per image");
    auto f = std::make_shared<ImportFlags>();
    auto images = std::make_shared<std::string>();
    auto ann = std::make_shared<std::string>();
    cmd->add_option("--images", *images, "Folder of the images")->required();
    cmd->add_option("--annotations", *ann, "Folder of the .xml files")->required();
    cmd->add_flag("--allow-outside-images", f->allow_outside_images,
                  "Let <filename> lead outside --images (absolute or through ..)");
    AddCommonImportFlags(cmd, f.get(), true, false);
    cmd->callback([=] {
      auto o = MakeOptions(*f);
      if (!o.ok()) {
        *exit_code = Fail(o.status());
        return;
      }
      *exit_code = ReportImport("voc", ds::ImportVoc(*images, *ann, *o), *f);
    });
  }
  {
    auto* cmd = import->add_subcommand("coco", "COCO ground-truth JSON");
    auto f = std::make_shared<ImportFlags>();
    auto gt = std::make_shared<std::string>();
    auto images = std::make_shared<std::string>();
    cmd->add_option("--gt", *gt, "COCO JSON with images, annotations, categories")->required();
    cmd->add_option("--images", *images, "Folder that file_name is relative to")->required();
    cmd->add_flag("--allow-outside-images", f->allow_outside_images,
                  "Let file_name lead outside --images (absolute or through ..; export-coco "
                  "writes such names for media outside the data set folder)");
    AddCommonImportFlags(cmd, f.get(), true, false);
    cmd->callback([=] {
      auto o = MakeOptions(*f);
      if (!o.ok()) {
        *exit_code = Fail(o.status());
        return;
      }
      *exit_code = ReportImport("coco", ds::ImportCoco(*gt, *images, *o), *f);
    });
  }
  {
    auto* cmd = import->add_subcommand("yolo", "YOLO txt labels (class cx cy w h, relative)");
    auto f = std::make_shared<ImportFlags>();
    auto images = std::make_shared<std::string>();
    auto labels = std::make_shared<std::string>();
    cmd->add_option("--images", *images, "Folder of the images")->required();
    cmd->add_option("--labels", *labels, "Folder of the <image name>.txt files")->required();
    AddCommonImportFlags(cmd, f.get(), true, true);
    cmd->callback([=] {
      auto o = MakeOptions(*f);
      if (!o.ok()) {
        *exit_code = Fail(o.status());
        return;
      }
      *exit_code = ReportImport("yolo", ds::ImportYolo(*images, *labels, *o), *f);
    });
  }
  {
    auto* cmd =
        import->add_subcommand("video", "A video plus a CSV frame,class,x,y,w,h[,difficult]");
    auto f = std::make_shared<ImportFlags>();
    auto video = std::make_shared<std::string>();
    auto ann = std::make_shared<std::string>();
    cmd->add_option("--video", *video, "Any video file OpenCV decodes")->required();
    cmd->add_option("--annotations", *ann, "The CSV of boxes (docs/dataset-format.md)")->required();
    AddCommonImportFlags(cmd, f.get(), false, false);
    cmd->callback([=] {
      auto o = MakeOptions(*f);
      if (!o.ok()) {
        *exit_code = Fail(o.status());
        return;
      }
      *exit_code = ReportImport("video", ds::ImportVideo(*video, *ann, *o), *f);
    });
  }
}

void AddVerify(CLI::App& dataset, int* exit_code) {
  auto* cmd =
      dataset.add_subcommand("verify", "Recompute every hash, decode every frame, check every box");
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto max_problems = std::make_shared<size_t>(100);
  cmd->add_option("DS", *dir, "The data set directory (or its manifest.json)")->required();
  cmd->add_option("--max-problems", *max_problems, "Problems listed at most (all are counted)")
      ->capture_default_str();
  cmd->add_flag("--json", *json, "Print the report as JSON on stdout");
  auto limits = std::make_shared<ds::ImageLimits>();
  AddImageLimitFlags(cmd, limits.get());
  cmd->callback([=] {
    auto d = ds::LoadDataset(*dir);
    if (!d.ok()) {
      *exit_code = Fail(d.status());
      return;
    }
    ds::VerifyOptions o;
    o.max_problems = *max_problems;
    o.progress = true;
    o.image_limits = *limits;
    ds::VerifyReport r;
    Status s = ds::VerifyDataset(*d, o, &r);
    if (*json) {
      nlohmann::ordered_json j = {{"ok", r.ok()},
                                  {"manifest_sha256", d->manifest_sha256},
                                  {"media", r.media_checked},
                                  {"frames", r.frames_checked},
                                  {"boxes", r.boxes_checked},
                                  {"problem_count", r.problem_count},
                                  {"problems", r.problems}};
      std::printf("%s\n", j.dump(2).c_str());
    }
    if (!s.ok()) {
      for (const auto& p : r.problems) std::fprintf(stderr, "maskbench: %s\n", p.c_str());
      if (r.problem_count > static_cast<int64_t>(r.problems.size()))
        std::fprintf(
            stderr, "maskbench: … and %lld more problems\n",
            static_cast<long long>(r.problem_count - static_cast<int64_t>(r.problems.size())));
      std::fprintf(stderr, "maskbench: verify %s: FAILED, %lld problems\n", dir->c_str(),
                   static_cast<long long>(r.problem_count));
      *exit_code = 1;
      return;
    }
    if (!*json)
      std::printf("ok: %lld media files, %lld frames, %lld boxes verified\nmanifest sha256 %s\n",
                  static_cast<long long>(r.media_checked), static_cast<long long>(r.frames_checked),
                  static_cast<long long>(r.boxes_checked), d->manifest_sha256.c_str());
    *exit_code = 0;
  });
}

void AddStats(CLI::App& dataset, int* exit_code) {
  auto* cmd =
      dataset.add_subcommand("stats", "Images, boxes, per-class counts and box sizes, per split");
  auto dir = std::make_shared<std::string>();
  auto split = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("DS", *dir, "The data set directory (or its manifest.json)")->required();
  cmd->add_option("--split", *split, "Only this split (default: all, with a row per split)");
  cmd->add_flag("--json", *json, "Print one JSON document on stdout");
  cmd->callback([=] {
    auto d = ds::LoadDataset(*dir);
    if (!d.ok()) {
      *exit_code = Fail(d.status());
      return;
    }
    auto st = ds::ComputeStats(*d, *split);
    if (!st.ok()) {
      *exit_code = Fail(st.status());
      return;
    }
    std::string text = *json ? ds::StatsToJson(*st) : ds::StatsToText(*st);
    std::fwrite(text.data(), 1, text.size(), stdout);
    *exit_code = 0;
  });
}

void AddExportCoco(CLI::App& dataset, int* exit_code) {
  auto* cmd = dataset.add_subcommand("export-coco", "Write the ground truth as COCO JSON");
  auto dir = std::make_shared<std::string>();
  auto split = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("DS", *dir, "The data set directory (or its manifest.json)")->required();
  cmd->add_option("--split", *split, "Only this split (default: every frame)");
  cmd->add_option("--out", *out, "The COCO JSON file to write")->required();
  cmd->callback([=] {
    auto d = ds::LoadDataset(*dir);
    if (!d.ok()) {
      *exit_code = Fail(d.status());
      return;
    }
    auto text = ds::ExportCocoJson(*d, *split);
    if (!text.ok()) {
      *exit_code = Fail(text.status());
      return;
    }
    Status s = WriteFileAtomic(*out, *text);
    if (!s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    std::fprintf(stderr, "wrote %s\n", out->c_str());
    *exit_code = 0;
  });
}

}  // namespace

void AddDatasetCommands(CLI::App& dataset, int* exit_code) {
  AddImport(dataset, exit_code);
  AddVerify(dataset, exit_code);
  AddStats(dataset, exit_code);
  AddExportCoco(dataset, exit_code);
}

}  // namespace maskbench::app
