// `maskbench dataset synth`: the embedded default data set. See docs/synth.md.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "maskbench/datasets/synth.h"

namespace maskbench::app {

namespace {

struct SynthFlags {
  std::string out;
  int frames = 200;
  uint64_t seed = 1;
  bool video = false;
};

// One line per fact: what was written and how many faces of each class.
void PrintSummary(const datasets::Dataset& ds) {
  const auto& m = ds.manifest;
  int64_t boxes = 0, small = 0, difficult = 0;
  std::vector<int64_t> per_class(m.classes.size(), 0);
  std::map<std::string, int64_t> per_split;
  for (const auto& f : m.frames) {
    ++per_split[f.split];
    for (const auto& a : f.annotations) {
      ++boxes;
      small += a.h < 20;
      difficult += a.difficult;
      for (size_t c = 0; c < m.classes.size(); ++c)
        if (m.classes[c].id == a.class_id) ++per_class[c];
    }
  }
  std::printf("wrote %s (%s)\n", ds.dir.string().c_str(), m.source.c_str());
  std::printf("frames: %zu", m.frames.size());
  for (const auto& s : m.splits)
    std::printf(", %s %lld", s.c_str(), static_cast<long long>(per_split[s]));
  std::printf("\nfaces: %lld (", static_cast<long long>(boxes));
  for (size_t c = 0; c < m.classes.size(); ++c)
    std::printf("%s%s %lld", c ? ", " : "", m.classes[c].name.c_str(),
                static_cast<long long>(per_class[c]));
  std::printf("); under 20 px high: %lld; difficult: %lld\n", static_cast<long long>(small),
              static_cast<long long>(difficult));
  std::printf("manifest sha256: %s\n", ds.manifest_sha256.c_str());
}

}  // namespace

void AddDatasetSynthCommand(CLI::App& dataset, int* exit_code) {
  auto flags = std::make_shared<SynthFlags>();
  auto* cmd = dataset.add_subcommand(
      "synth",
      "Generate the embedded default data set: CCTV-like scenes of masked and unmasked faces");
  cmd->add_option("--out", flags->out,
                  "Data set folder to write (new, empty, or an earlier synth output)")
      ->required();
  cmd->add_option("--frames", flags->frames, "Number of images (or video frames with --video)")
      ->default_val(200)
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--seed", flags->seed, "Random seed; the same seed gives byte-identical files")
      ->default_val(1);
  cmd->add_flag(
      "--video", flags->video,
      "Write one MJPEG .avi clip of people walking (640x480, 10 fps) instead of JPEG stills");
  cmd->callback([flags, exit_code] {
    datasets::SynthOptions o;
    o.frames = flags->frames;
    o.seed = flags->seed;
    o.video = flags->video;
    o.progress = ::isatty(STDERR_FILENO) != 0;
    auto ds = datasets::SynthesizeDataset(flags->out, o);
    if (!ds.ok()) {
      *exit_code = Fail(ds.status());
      return;
    }
    PrintSummary(*ds);
    *exit_code = 0;
  });
}

}  // namespace maskbench::app
