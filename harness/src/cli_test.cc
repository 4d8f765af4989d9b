// End to end: the real `maskbench validate` and `maskbench run` executables on
// real plugins and a real (synthesized, JPEG) data set.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "maskbench/datasets/synth.h"

namespace {

namespace fs = std::filesystem;

fs::path BuildDir() {
  const char* dir = std::getenv("MASKBENCH_BUILD_DIR");
  return dir ? fs::path(dir) : fs::path(".");
}

struct Output {
  int exit_code = -1;
  std::string out;
};

// Runs a shell command, capturing stdout (stderr goes to the test log).
Output Shell(const std::string& command) {
  Output o;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return o;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  int status = pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

std::string Maskbench() { return (BuildDir() / "maskbench").string(); }
std::string Testing(const std::string& name) {
  return (BuildDir() / "submissions/testing" / name).string();
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("mb-cli-test-" + std::to_string(getpid())));
    fs::remove_all(*dir_);
    maskbench::datasets::SynthOptions o;
    o.frames = 10;
    o.width = 320;
    o.height = 240;
    auto ds = maskbench::datasets::SynthesizeDataset(*dir_ / "ds", o);
    ASSERT_TRUE(ds.ok()) << ds.status().message();
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path* dir_;
};
fs::path* CliTest::dir_ = nullptr;

TEST_F(CliTest, ValidatePassesGoodPluginsAndNamesTheStatusOfBadOnes) {
  Output o = Shell(Maskbench() + " validate " + (BuildDir() / "submissions/template").string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("PASS  exports mb_accelerator_entry"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("validate: PASS"), std::string::npos) << o.out;
  o = Shell(Maskbench() + " validate " + Testing("echo") + "/libecho.so");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("PASS  infer_batch() (maskbench.batch/1, max_batch 4)"), std::string::npos)
      << o.out;
  // A plugin whose batch call fails is refused even though infer() works.
  const fs::path bad_batch = *dir_ / "bad-batch";
  fs::create_directories(bad_batch);
  fs::copy_file(Testing("batch") + "/libbatch.so", bad_batch / "libbatch.so",
                fs::copy_options::overwrite_existing);
  std::ofstream(bad_batch / "submission.json")
      << R"({"name": "bad-batch", "config": {"us": 0, "fail_at": 3}})";
  o = Shell(Maskbench() + " validate " + bad_batch.string() + " 2>/dev/null");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("FAIL  infer_batch()"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("validate: FAIL (infer_failed)"), std::string::npos) << o.out;
  for (const auto& [name, status] : {std::pair{"segfault", "crashed"},
                                     {"wrong-abi", "abi_mismatch"},
                                     {"nan-boxes", "invalid_output"},
                                     {"init-fails", "init_failed"},
                                     {"throws", "infer_failed"},
                                     {"writes-file", "sandbox_violation"}}) {
    o = Shell(Maskbench() + " validate " + Testing(name) + " 2>/dev/null");
    EXPECT_EQ(o.exit_code, 1) << name << "\n" << o.out;
    EXPECT_NE(o.out.find(std::string("validate: FAIL (") + status + ")"), std::string::npos)
        << name << "\n"
        << o.out;
    EXPECT_NE(o.out.find("FAIL  "), std::string::npos) << o.out;
  }
}

TEST_F(CliTest, RunJsonAndOutFiles) {
  const fs::path out = *dir_ / "out";
  Output o = Shell(Maskbench() + " run " + Testing("echo") + " --dataset " +
                   (*dir_ / "ds").string() + " --json --out " + out.string());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  nlohmann::json j = nlohmann::json::parse(o.out);  // stdout holds exactly one JSON document
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["frames"], 2);  // synth: frames 4 and 9 are "val", the default rules' split
  for (const char* k : {"min", "mean", "p50", "p90", "p99", "max"})
    EXPECT_TRUE(j["latency_ms"][k].is_number()) << k;
  EXPECT_TRUE(j["fps"].is_number());
  EXPECT_TRUE(j["modeled_latency_ms"].is_number());  // echo reports cycles
  EXPECT_DOUBLE_EQ(j["modeled_latency_ms"].get<double>(), 320.0 * 240 / 4 / 1e9 * 1e3);
  // The build holds reference-baseline and reference-fp32: `run` measures them
  // on the same frames (once, kept in the data set's run store) for the speedup
  // and the gate.
  ASSERT_TRUE(j["speedup"].is_number()) << o.out;
  EXPECT_GT(j["speedup"].get<double>(), 0);
  EXPECT_TRUE(fs::exists(*dir_ / "ds" / ".cache" / "runs.sqlite"));
  EXPECT_EQ(j["db"], (*dir_ / "ds" / ".cache" / "runs.sqlite").string());
  // echo reports cycles: in the modeled track its speedup is the baseline's
  // modeled latency over its own (echo's own latency kind is measured).
  ASSERT_EQ(j["tracks"].size(), 2u) << o.out;
  const auto& modeled = j["tracks"][1];
  EXPECT_EQ(modeled["latency_kind"], "modeled");
  ASSERT_TRUE(modeled["in_track"].get<bool>()) << o.out;
  ASSERT_TRUE(j["modeled_speedup"].is_number()) << o.out;
  EXPECT_NEAR(j["modeled_speedup"].get<double>(),
              modeled["baseline_latency_ms"].get<double>() / modeled["latency_ms"].get<double>(),
              1e-9 * j["modeled_speedup"].get<double>());
  EXPECT_GT(j["modeled_speedup"].get<double>(), 1.0);
  // In the measured track echo (a hardware model) is never ranked by wall time.
  EXPECT_NE(j["tracks"][0]["unranked_reason"].get<std::string>().find("hardware model"),
            std::string::npos);
  EXPECT_TRUE(j["gate_passed"].is_boolean()) << o.out;
  EXPECT_EQ(j["references_run"], nlohmann::json::array({"reference-baseline", "reference-fp32"}));
  // A second run replaces the first in the store; the references are not re-run.
  Output again = Shell(Maskbench() + " run " + Testing("echo") + " --dataset " +
                       (*dir_ / "ds").string() + " --json");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  nlohmann::json j2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(j2["references_run"], nlohmann::json::array());
  EXPECT_EQ(j2["accuracy"], j["accuracy"]);
  EXPECT_TRUE(j["overhead_us"]["p50"].is_number());
  EXPECT_TRUE(j["accuracy"]["mAP50"].is_number());
  EXPECT_TRUE(j["accuracy"].contains("AP"));
  EXPECT_TRUE(j["accuracy"].contains("violation_recall"));
  // Files.
  std::ifstream summary(out / "summary.json");
  ASSERT_TRUE(summary.good());
  nlohmann::json s = nlohmann::json::parse(summary);
  EXPECT_EQ(s["status"], "ok");
  std::ifstream dets(out / "detections.json");
  nlohmann::json d = nlohmann::json::parse(dets);
  ASSERT_EQ(d.size(), 2u);  // one echo box per frame
  EXPECT_EQ(d[0]["category_id"], 0);
  EXPECT_EQ(d[0]["bbox"][2], 80.0);
  std::ifstream csv(out / "latencies.csv");
  std::string header, row;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("frame,ns", 0), 0u) << header;
  int rows = 0;
  while (std::getline(csv, row)) {
    // frame,ns,image_id,...: the detections carry the same image ids, in order.
    std::stringstream fields(row);
    std::string frame, ns, image_id;
    std::getline(fields, frame, ',');
    std::getline(fields, ns, ',');
    std::getline(fields, image_id, ',');
    EXPECT_EQ(std::stoi(frame), rows);
    EXPECT_GE(std::stoll(ns), 0);
    EXPECT_EQ(d[rows]["image_id"].get<int64_t>(), std::stoll(image_id));
    ++rows;
  }
  EXPECT_EQ(rows, 2);
}

TEST_F(CliTest, RunOfflineReportsThroughputAndNoSpeedup) {
  const fs::path out = *dir_ / "out-offline";
  Output o =
      Shell(Maskbench() + " run " + Testing("batch") + " --dataset " + (*dir_ / "ds").string() +
            " --split train --scenario offline --batch 3 --json --out " + out.string());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  nlohmann::json j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["scenario"], "offline");
  EXPECT_EQ(j["frames"], 8);  // synth: 8 of 10 frames are "train"
  EXPECT_EQ(j["offline"]["batch_size"], 3);
  EXPECT_EQ(j["offline"]["batches"], 3);  // 3 + 3 + 2
  EXPECT_EQ(j["offline"]["batch_extension"], true);
  ASSERT_TRUE(j["offline"]["frames_per_s"].is_number()) << o.out;
  // One 10 ms sleep per batch: 8 frames in ~30 ms, well under 8 x 10 ms.
  EXPECT_GT(j["offline"]["frames_per_s"].get<double>(), 100.0);
  EXPECT_EQ(j["fps"], j["offline"]["frames_per_s"]);
  EXPECT_TRUE(j["headline_latency_ms"].is_null());
  EXPECT_TRUE(j["speedup"].is_null());
  EXPECT_TRUE(j["tracks"].empty()) << "an Offline run is not judged";
  EXPECT_TRUE(j["accuracy"]["mAP50"].is_number());
  std::ifstream record(out / "run_record.json");
  nlohmann::json r = nlohmann::json::parse(record);
  EXPECT_EQ(r["batch_frames"], nlohmann::json::array({3, 3, 2}));
  // Human output names the scenario; a bad --scenario is refused.
  o = Shell(Maskbench() + " run " + Testing("noop") + " --dataset " + (*dir_ / "ds").string() +
            " --scenario offline --batch 4");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("offline "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("no batch extension"), std::string::npos) << o.out;
  o = Shell(Maskbench() + " run " + Testing("noop") + " --dataset " + (*dir_ / "ds").string() +
            " --scenario burst 2>&1");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.out.find("--scenario"), std::string::npos) << o.out;
}

TEST_F(CliTest, RunExitsNonZeroWhenTheSubmissionFails) {
  Output o = Shell(Maskbench() + " run " + Testing("segfault") + " --dataset " +
                   (*dir_ / "ds").string() + " --split train --json 2>/dev/null");
  EXPECT_EQ(o.exit_code, 1);
  nlohmann::json j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["status"], "crashed");
  EXPECT_EQ(j["signal"], "SIGSEGV");
  EXPECT_TRUE(j["accuracy"]["mAP50"].is_null());
}

TEST_F(CliTest, RunRejectsBadInputWithAMessage) {
  Output o = Shell(Maskbench() + " run " + Testing("noop") + " --dataset " +
                   (*dir_ / "missing").string() + " 2>&1");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.out.find("maskbench: "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("missing"), std::string::npos) << o.out;
  o = Shell(Maskbench() + " run " + Testing("noop") + " --dataset " + (*dir_ / "ds").string() +
            " --split nope 2>&1");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.out.find("no split \"nope\""), std::string::npos) << o.out;
}

}  // namespace
