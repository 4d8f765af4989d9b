// Renders the leaderboard page in headless Chromium (--dump-dom after the page's
// JavaScript ran) and checks that it shows every entry, draws the scatter with
// its Pareto front, and the detail view of one entry. Skips without chromium.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include "maskbench/core/files.h"
#include "maskbench/web_export/leaderboard.h"
#include "test_fixture.h"

namespace maskbench::web_export {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The element with id `id` (from its opening tag to the matching close tag).
std::string ElementById(const std::string& dom, const std::string& tag, const std::string& id) {
  size_t a = dom.find("<" + tag + " id=\"" + id + "\"");
  if (a == std::string::npos) return "";
  size_t b = dom.find("</" + tag + ">", a);
  return b == std::string::npos ? "" : dom.substr(a, b - a);
}

// Pareto front size as the page computes it: ranked entries, maximise speedup and mAP50.
size_t ExpectedParetoPoints(const json& doc) {
  std::vector<std::pair<double, double>> pts;
  for (const json& e : doc["entries"]) {
    if (e["rank"].is_null() || !e["speedup"].is_number() || !e["accuracy"]["mAP50"].is_number()) {
      continue;
    }
    pts.emplace_back(e["speedup"].get<double>(), e["accuracy"]["mAP50"].get<double>());
  }
  std::sort(pts.begin(), pts.end(), [](auto a, auto b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  });
  size_t n = 0;
  double best = -1e300;
  for (auto [x, y] : pts) {
    if (y > best) {
      ++n;
      best = y;
    }
  }
  return n;
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = MASKBENCH_CHROMIUM;
    if (chromium_.empty() || access(chromium_.c_str(), X_OK) != 0) {
      GTEST_SKIP() << "chromium not found at configure time (Debian package 'chromium', "
                      "installed by ./setup.sh); the page test needs it";
    }
    dir_ = fs::temp_directory_path() / ("mb_browser_test_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Loads `url` in a fresh headless Chromium and returns the DOM after scripts ran.
  std::string DumpDom(const std::string& url) {
    fs::path profile = dir_ / ("profile" + std::to_string(++runs_));
    fs::path out = dir_ / "dom.html";
    fs::path err = dir_ / "chromium.log";
    std::string cmd = "timeout 90 '" + chromium_ +
                      "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                      "--disable-background-networking --disable-component-update --disable-sync "
                      "--disable-dev-shm-usage --user-data-dir='" +
                      profile.string() + "' --virtual-time-budget=5000 --dump-dom '" + url +
                      "' > '" + out.string() + "' 2> '" + err.string() + "'";
    int rc = std::system(cmd.c_str());
    auto dom = ReadFile(out);
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0)
        << "chromium failed (" << rc << "): " << (ReadFile(err).ok() ? *ReadFile(err) : "");
    return dom.ok() ? *dom : "";
  }

  std::string chromium_;
  fs::path dir_;
  int runs_ = 0;
};

TEST_F(BrowserTest, PageShowsEveryEntryScatterParetoAndDetail) {
  auto store = Store::Open(dir_ / "results.sqlite");
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE(testing::FillFixtureStore(**store).ok());
  auto doc = BuildLeaderboard(**store);
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  fs::path page = dir_ / "page";
  ASSERT_TRUE(WriteLeaderboardPage(*doc, page).ok());
  const json& entries = (*doc)["entries"];
  ASSERT_GE(entries.size(), 6u);

  std::string dom = DumpDom("file://" + (page / "index.html").string() + "#entry-0");
  ASSERT_FALSE(dom.empty());
  EXPECT_NE(dom.find("data-rendered=\"true\""), std::string::npos) << "app.js did not finish";

  // One table row per entry, each with its team and name.
  std::string body = ElementById(dom, "tbody", "leaderboard-body");
  EXPECT_EQ(Count(body, "<tr data-entry="), entries.size());
  for (const json& e : entries) {
    EXPECT_NE(body.find(">" + e["name"].get<std::string>() + "<"), std::string::npos) << e["name"];
  }
  EXPECT_EQ(Count(body, "class=\"status-bad\""),
            static_cast<size_t>(std::count_if(entries.begin(), entries.end(),
                                              [](const json& e) { return e["status"] != "ok"; })));

  // The scatter: one circle per entry with speedup and mAP, and the Pareto path.
  size_t plotted = std::count_if(entries.begin(), entries.end(), [](const json& e) {
    return e["speedup"].is_number() && e["accuracy"]["mAP50"].is_number();
  });
  std::string scatter = ElementById(dom, "svg", "scatter");
  ASSERT_FALSE(scatter.empty()) << "no <svg id=\"scatter\">";
  EXPECT_EQ(Count(scatter, "<circle"), plotted);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(scatter, m,
                        std::regex("<path id=\"pareto-front\" class=\"pareto\" d=\"(M[^\"]+)\" "
                                   "data-points=\"(\\d+)\"")))
      << "no Pareto path in the scatter";
  size_t front = ExpectedParetoPoints(*doc);
  EXPECT_GE(front, 2u);
  EXPECT_EQ(std::stoul(m[2]), front);
  EXPECT_EQ(Count(m[1].str(), "L") + 1, front);
  EXPECT_EQ(Count(scatter, "pareto-point"), front);

  // The detail of entry 0 (#entry-0): histogram bars and one curve per class.
  std::string histogram = ElementById(dom, "svg", "histogram");
  size_t bins = entries[0]["latency_histogram"]["counts"].size();
  EXPECT_EQ(Count(histogram, "<rect class=\"bar\""), bins);
  std::string pr = ElementById(dom, "svg", "pr-curves");
  EXPECT_EQ(Count(pr, "<polyline"), entries[0]["pr_curves"].size());
  EXPECT_NE(dom.find(entries[0]["team"].get<std::string>() + " / " +
                     entries[0]["name"].get<std::string>()),
            std::string::npos);
}

TEST_F(BrowserTest, HeaderClickSortsRowsWithMissingValuesLast) {
  auto store = Store::Open(dir_ / "results.sqlite");
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE(testing::FillFixtureStore(**store).ok());
  auto doc = BuildLeaderboard(**store);
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  fs::path page = dir_ / "page";
  ASSERT_TRUE(WriteLeaderboardPage(*doc, page).ok());
  const json& entries = (*doc)["entries"];

  for (const char* dir : {"asc", "desc"}) {
    SCOPED_TRACE(dir);
    bool asc = std::string(dir) == "asc";
    // ?sort=speedup:DIR clicks the "Speedup" header once or twice.
    std::string dom = DumpDom("file://" + (page / "index.html").string() + "?sort=speedup:" + dir);
    EXPECT_NE(dom.find(std::string("data-key=\"speedup\" scope=\"col\" class=\"\" aria-sort=\"") +
                       (asc ? "ascending" : "descending") + "\""),
              std::string::npos);
    std::vector<size_t> shown;
    std::string body = ElementById(dom, "tbody", "leaderboard-body");
    std::regex row("<tr data-entry=\"(\\d+)\"");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), row);
         it != std::sregex_iterator(); ++it) {
      shown.push_back(std::stoul((*it)[1]));
    }
    std::vector<size_t> expected(entries.size());
    for (size_t i = 0; i < expected.size(); ++i) expected[i] = i;
    std::stable_sort(expected.begin(), expected.end(), [&](size_t a, size_t b) {
      const json &va = entries[a]["speedup"], &vb = entries[b]["speedup"];
      if (va.is_null() || vb.is_null()) return !va.is_null() && vb.is_null();
      return asc ? va.get<double>() < vb.get<double>() : va.get<double>() > vb.get<double>();
    });
    EXPECT_EQ(shown, expected);
  }
}

}  // namespace
}  // namespace maskbench::web_export
