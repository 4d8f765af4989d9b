// ImportBundle: a fixture store (every kind of run the judge makes) imported into
// an empty store gives the same facts; a second import writes nothing; two
// bundles from two machines land side by side; a damaged bundle is refused,
// naming it, with the store untouched.
#include "maskbench/contest/bundle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "test_fixture.h"

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("maskbench-bundle-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> Open(const std::string& name, bool lock = false) {
    StoreOptions so;
    so.writer_lock = lock;
    auto s = Store::Open(dir_ / name, so);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  fs::path dir_;
};

// Everything of a store but row ids and timestamps, one line per run.
std::map<std::string, std::string> Facts(Store& s) {
  std::map<std::string, std::string> out;
  RunFilter all;
  all.complete_only = false;
  auto runs = s.ListRuns(all);
  EXPECT_TRUE(runs.ok());
  for (const StoredRun& r : *runs) {
    std::string line = r.status + "|" + r.message + "|" + r.seal_json + "|" + r.rules_sha256 + "|" +
                       r.dataset.split + "|" + r.machine.node_class + "|" + r.key.frame_selection +
                       "|" + std::to_string(r.key.trial) + "|" + r.requested_settings_json + "|" +
                       r.pr_curves_metric;
    for (const auto& [k, v] : r.metrics) line += "|" + k + "=" + (v ? std::to_string(*v) : "null");
    for (const AuditResult& a : r.audits) line += "|" + a.name + (a.passed ? "+" : "-") + a.detail;
    auto frames = s.LoadFrames(r.id);
    EXPECT_TRUE(frames.ok());
    for (const FrameFacts& f : *frames) {
      line += "|f";
      line += std::to_string(f.frame_id);
      line += ":";
      line += f.latency_ns ? std::to_string(*f.latency_ns) : "-";
      line += ":";
      line += f.cycles ? std::to_string(*f.cycles) : "-";
      line += ":";
      line += std::to_string(f.detections.size());
      for (const mb_detection_t& d : f.detections) {
        line += ",";
        line += std::to_string(d.class_id);
        line += "/";
        line += std::to_string(d.score);
      }
    }
    auto curves = s.LoadPrCurves(r.id);
    EXPECT_TRUE(curves.ok());
    for (const PrCurve& c : *curves) line += "|c" + c.class_name + std::to_string(c.points.size());
    out[r.submission.team + "/" + r.submission.name + "@" + r.machine.fingerprint + "#" +
        std::to_string(r.key.trial)] = line;
  }
  auto entries = s.ListEntries();
  EXPECT_TRUE(entries.ok());
  for (const EntryInfo& e : *entries) {
    auto sub = s.LoadSubmission(e.submission_id);
    EXPECT_TRUE(sub.ok());
    out["entry " + e.team_id] = e.display_name + "|" + sub->name + "|" + sub->artifact_sha256 +
                                "|" + (e.reference ? "ref" : "team") + "|" + e.track;
  }
  return out;
}

TEST_F(BundleTest, ImportsEveryFactOnceAndIsIdempotent) {
  {
    auto bundle = Open("bundle.sqlite", true);
    ASSERT_TRUE(testing::FillFixtureStore(*bundle).ok());
  }
  auto dest = Open("dest.sqlite", true);
  auto first = ImportBundle(*dest, dir_ / "bundle.sqlite");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_GT(first->runs_imported, 5);
  EXPECT_EQ(first->runs_present, 0);
  EXPECT_FALSE(first->team_ids.empty());
  auto bundle = Open("bundle.sqlite");
  const auto expected = Facts(*bundle);
  // Complete runs only travel: the fixture's hang is a complete "timeout" run.
  EXPECT_EQ(Facts(*dest), expected);

  auto again = ImportBundle(*dest, dir_ / "bundle.sqlite");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->runs_imported, 0);
  EXPECT_EQ(again->runs_present, first->runs_imported);
  EXPECT_EQ(Facts(*dest), expected);
}

TEST_F(BundleTest, BundlesOfTwoMachinesLandSideBySide) {
  for (const char* m : {"a", "b"}) {
    auto bundle = Open(std::string(m) + ".sqlite", true);
    testing::FixtureOptions fo;
    fo.machine_fingerprint = std::string("fp-node-") + m;
    ASSERT_TRUE(testing::FillFixtureStore(*bundle, fo).ok());
  }
  auto dest = Open("dest.sqlite", true);
  auto a = ImportBundle(*dest, dir_ / "a.sqlite");
  auto b = ImportBundle(*dest, dir_ / "b.sqlite");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->runs_imported, b->runs_imported);
  RunFilter f;
  f.machine_fingerprint = "fp-node-b";
  auto runs = dest->ListRuns(f);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(static_cast<int64_t>(runs->size()), b->runs_imported);
}

TEST_F(BundleTest, ABundleMayBringOnlyTheTeamsItIsAllowed) {
  {
    auto bundle = Open("bundle.sqlite", true);
    ASSERT_TRUE(testing::FillFixtureStore(*bundle).ok());
  }
  auto dest = Open("dest.sqlite", true);
  const std::set<std::string> only = {testing::FixtureTeamIds().front()};
  auto r = ImportBundle(*dest, dir_ / "bundle.sqlite", &only);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("which this bundle may not bring"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(Facts(*dest).empty());
  std::set<std::string> all;
  for (const std::string& t : testing::FixtureTeamIds()) all.insert(t);
  auto ok = ImportBundle(*dest, dir_ / "bundle.sqlite", &all);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
}

TEST_F(BundleTest, DamagedBundleIsRefusedAndNothingIsWritten) {
  {
    std::ofstream bad(dir_ / "bad.sqlite", std::ios::binary);
    bad << "this is not an SQLite file, but it is long enough to have a header...........";
  }
  auto dest = Open("dest.sqlite", true);
  auto r = ImportBundle(*dest, dir_ / "bad.sqlite");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.sqlite"), std::string::npos) << r.status().message();
  EXPECT_TRUE(Facts(*dest).empty());
  auto missing = ImportBundle(*dest, dir_ / "missing.sqlite");
  ASSERT_FALSE(missing.ok());
  EXPECT_FALSE(fs::exists(dir_ / "missing.sqlite"));
}

}  // namespace
}  // namespace maskbench::contest
