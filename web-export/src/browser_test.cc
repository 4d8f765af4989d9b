// Renders the leaderboard page in headless Chromium (--dump-dom after the page's
// JavaScript ran) and checks what a reader sees: one view per track, switched by
// its button; the latency-kind column; reference rows without a rank; unranked
// reasons; the tie marker; report links; the seal column; the notes; the scatter
// with its Pareto front; the detail charts; sorting; and, at 390 px, a table that
// scrolls inside its own box while the page never scrolls sideways. Clicks and
// layout are driven from a wrapper page that frames the page (same origin under
// --allow-file-access-from-files). Skips without chromium.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "maskbench/contest/rules.h"
#include "maskbench/contest/store.h"
#include "maskbench/core/files.h"
#include "maskbench/web_export/leaderboard.h"
#include "test_fixture.h"

namespace maskbench::web_export {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
namespace fixture = contest::testing;

constexpr const char* kTieTitle = "intervals overlap: statistically tied; ranks unchanged";
// A display name that would run script if the page ever parsed JSON text as HTML.
constexpr const char* kHostileName = "<img src=x onerror=alert(1)>lightning";

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

bool Has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Text as Chromium serializes it inside an element.
std::string HtmlText(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// The opening tag of the element with id `id`, or "".
std::string OpenTag(const std::string& dom, const std::string& id) {
  size_t at = dom.find(" id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  size_t a = dom.rfind('<', at), b = dom.find('>', at);
  return a == std::string::npos || b == std::string::npos ? "" : dom.substr(a, b - a + 1);
}

// The element <tag …id="id"…> up to its first closing tag (for tags not nested in themselves).
std::string Element(const std::string& dom, const std::string& tag, const std::string& id) {
  const std::string open = OpenTag(dom, id);
  if (open.rfind("<" + tag, 0) != 0) return "";
  size_t a = dom.find(open);
  size_t b = dom.find("</" + tag + ">", a);
  return b == std::string::npos ? "" : dom.substr(a, b - a);
}

bool IsHidden(const std::string& open_tag) { return Has(open_tag, " hidden"); }

// The <tr> elements of a table body, in order.
std::vector<std::string> Rows(const std::string& tbody) {
  std::vector<std::string> rows;
  for (size_t a = tbody.find("<tr "); a != std::string::npos; a = tbody.find("<tr ", a + 1)) {
    size_t b = tbody.find("</tr>", a);
    rows.push_back(tbody.substr(a, b == std::string::npos ? std::string::npos : b - a));
  }
  return rows;
}

// The cell of column `key` in a row (its class holds "col-KEY").
std::string Cell(const std::string& row, const std::string& key) {
  size_t at = row.find("col-" + key + "\"");
  if (at == std::string::npos) return "";
  size_t a = row.rfind("<td", at), b = row.find("</td>", at);
  return a == std::string::npos || b == std::string::npos ? "" : row.substr(a, b - a);
}

std::string Attr(const std::string& tag, const std::string& name) {
  std::smatch m;
  if (std::regex_search(tag, m, std::regex(" " + name + "=\"([^\"]*)\""))) return m[1];
  return "";
}

std::string Unescape(std::string s) {
  for (auto [from, to] : {std::pair<const char*, const char*>{"&quot;", "\""},
                          {"&lt;", "<"},
                          {"&gt;", ">"},
                          {"&#39;", "'"},
                          {"&amp;", "&"}}) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + 1))
      s.replace(at, std::string(from).size(), to);
  }
  return s;
}

// Pareto front size as the page computes it: ranked entries, maximise speedup and mAP50.
size_t ExpectedParetoPoints(const json& track) {
  std::vector<std::pair<double, double>> pts;
  for (const json& e : track["entries"]) {
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

// Frames index.html at a phone's width, clicks through the track buttons (the last
// first, then the first, then the last again), opens a row's detail, and writes what it
// saw after each step as JSON into <body data-probe>.
// clang-format off
constexpr const char* kPhoneProbe = R"js(<!doctype html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="f" src="index.html" style="width:390px;height:800px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument, steps = [];
  if (!d) {
    document.body.setAttribute("data-probe", "{\"error\": \"no access to the framed page\"}");
    return;
  }
  function look(action) {
    var root = d.documentElement;
    var shown = d.querySelectorAll(".track-view:not([hidden])");
    var wrap = shown.length === 1 ? shown[0].querySelector(".table-wrap") : null;
    var selected = d.querySelector("#track-tabs .tab[aria-selected=\"true\"]");
    steps.push({
      action: action,
      rendered: d.body.getAttribute("data-rendered"),
      shown: Array.prototype.map.call(shown, function (s) { return s.getAttribute("data-track"); }),
      selected_tab: selected ? selected.getAttribute("data-track") : null,
      hash: d.location.hash,
      detail_hidden: d.getElementById("detail").hidden,
      viewport_width: root.clientWidth,
      page_width: root.scrollWidth,
      body_width: d.body.scrollWidth,
      wrap_width: wrap ? wrap.clientWidth : -1,
      wrap_scroll_width: wrap ? wrap.scrollWidth : -1,
      wrap_overflow_x: wrap ? getComputedStyle(wrap).overflowX : ""
    });
  }
  look("load");
  var tabs = d.querySelectorAll("#track-tabs .tab");
  var order = [tabs.length - 1, 0, tabs.length - 1];
  order.forEach(function (i) {
    tabs[i].click();
    look("click tab " + i);
  });
  tabs[0].click();
  var row = d.querySelector("#board-body-0 tr");
  if (row) row.click();
  look("click row");
  if (tabs.length > 1) {
    tabs[1].click();
    look("click tab 1 with a detail open");
  }
  document.body.setAttribute("data-probe", JSON.stringify({ tabs: tabs.length, steps: steps }));
});
</script></body></html>
)js";
// clang-format on

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = MASKBENCH_CHROMIUM;
    if (chromium_.empty() || access(chromium_.c_str(), X_OK) != 0) {
      GTEST_SKIP() << "chromium not found at configure time (Debian package 'chromium', "
                      "installed by ./setup.sh); the page test needs it";
    }
    dir_ = fs::temp_directory_path() /
           ("mb_browser_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Fills a store with the fixture, gives "lightning" a hostile display name and
  // "quantized-int8" an outside score, and builds the document with report links for
  // every entry but "hang". Writes the page into dir_/page.
  json BuildPage(const fixture::FixtureOptions& fill = {}) {
    auto store = contest::Store::Open(dir_ / "results.sqlite");
    EXPECT_TRUE(store.ok()) << store.status().message();
    if (!store.ok()) return json();
    auto filled = fixture::FillFixtureStore(**store, fill);
    EXPECT_TRUE(filled.ok()) << filled.status().message();
    auto entries = (*store)->ListEntries();
    EXPECT_TRUE(entries.ok()) << entries.status().message();
    if (entries.ok()) {
      for (contest::EntryInfo e : *entries) {
        if (e.team_id != "lightning") continue;
        e.display_name = kHostileName;
        EXPECT_TRUE((*store)->UpsertEntry(e).ok());
      }
    }
    EXPECT_TRUE(
        (*store)->ImportScores({{"quantized-int8", "presentation", 9, "scores.csv", ""}}).ok());
    LeaderboardOptions o;
    o.generated_at = "2026-11-25T08:30:00.123Z";
    o.report_link = [](const std::string& team_id) -> std::optional<std::string> {
      if (team_id == "hang") return std::nullopt;
      return "reports/" + team_id + "/report.html";
    };
    auto doc = BuildLeaderboard(**store, contest::DefaultRules(), o);
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    if (!doc.ok()) return json();
    page_ = dir_ / "page";
    EXPECT_TRUE(WriteLeaderboardPage(*doc, page_).ok());
    return *doc;
  }

  std::string PageUrl(const std::string& suffix = "") {
    return "file://" + (page_ / "index.html").string() + suffix;
  }

  // Loads `url` in a fresh headless Chromium and returns the DOM after scripts ran
  // (checking that app.js finished, unless `page` is false: another top document).
  std::string DumpDom(const std::string& url, const std::string& extra_flags = "",
                      bool page = true) {
    fs::path profile = dir_ / ("profile" + std::to_string(++runs_));
    fs::path out = dir_ / "dom.html";
    fs::path err = dir_ / "chromium.log";
    std::string cmd = "timeout 90 '" + chromium_ +
                      "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                      "--disable-background-networking --disable-component-update --disable-sync "
                      "--disable-dev-shm-usage --window-size=1280,900 " +
                      extra_flags + " --user-data-dir='" + profile.string() +
                      "' --virtual-time-budget=5000 --dump-dom '" + url + "' > '" + out.string() +
                      "' 2> '" + err.string() + "'";
    int rc = std::system(cmd.c_str());
    auto dom = ReadFile(out);
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0)
        << "chromium failed (" << rc << "): " << (ReadFile(err).ok() ? *ReadFile(err) : "");
    std::string text = dom.ok() ? *dom : "";
    if (page) {
      EXPECT_TRUE(Has(text, "data-rendered=\"true\"")) << "app.js did not finish: " << url;
    }
    return text;
  }

  std::string chromium_;
  fs::path dir_, page_;
  int runs_ = 0;
};

TEST_F(BrowserTest, EveryTrackHasAViewWithItsTableAndTheFirstIsShown) {
  json doc = BuildPage();
  ASSERT_TRUE(doc.is_object());
  const json& tracks = doc["tracks"];
  ASSERT_EQ(tracks.size(), 2u) << "the default rules have a measured and a modeled track";
  std::string dom = DumpDom(PageUrl());
  ASSERT_FALSE(dom.empty());
  EXPECT_NE(dom.find("data-visible-track=\"measured\""), std::string::npos);

  // The context header.
  std::string context = Element(dom, "dl", "context");
  EXPECT_TRUE(Has(context, "facemask-synth / test · 40 frames")) << context;
  EXPECT_TRUE(Has(context, ">0.1.0<")) << context;
  EXPECT_TRUE(Has(context, "&lt;default&gt;")) << context;  // rules_source, as text
  EXPECT_TRUE(Has(context, doc["context"]["rules_sha256"].get<std::string>().substr(0, 12)));
  EXPECT_TRUE(Has(context, "Test CPU @ 2.0GHz · 2 cores")) << context;
  EXPECT_TRUE(IsHidden(OpenTag(dom, "notes"))) << "no notes: the notes box stays hidden";

  // Hostile text is text: escaped in the DOM, never an element.
  EXPECT_FALSE(Has(dom, "<img")) << "a team name became markup";
  EXPECT_TRUE(Has(dom, HtmlText(kHostileName)));

  size_t ties = 0;
  for (size_t ti = 0; ti < tracks.size(); ++ti) {
    const json& t = tracks[ti];
    const std::string id = std::to_string(ti);
    const std::string name = t["name"], kind = t["latency_kind"];
    SCOPED_TRACE("track " + name);
    // Its button and its view; only the first view is shown.
    std::string tab = OpenTag(dom, "tab-" + id);
    ASSERT_FALSE(tab.empty());
    EXPECT_EQ(Attr(tab, "aria-selected"), ti == 0 ? "true" : "false");
    std::string button = Element(dom, "button", "tab-" + id);
    EXPECT_TRUE(Has(button, ">" + name + "<")) << button;
    EXPECT_TRUE(Has(button, ">" + kind + "<")) << button;
    std::string open = OpenTag(dom, "track-" + id);
    ASSERT_TRUE(open.rfind("<section", 0) == 0) << open;
    EXPECT_EQ(IsHidden(open), ti != 0) << open;
    std::string view = Element(dom, "section", "track-" + id);
    EXPECT_TRUE(Has(view, ">" + kind + " latency<")) << "the heading shows the latency kind";

    // The header: the score column only where there are scores; reports where linked.
    std::string head = Element(dom, "tr", "board-head-" + id);
    for (const char* key : {"rank", "team", "kind", "latency", "speedup", "mAP50",
                            "violation_recall", "gate", "seal", "report"})
      EXPECT_TRUE(Has(head, std::string("data-key=\"") + key + "\"")) << key;
    bool any_outside = false;
    for (const json& e : t["entries"]) any_outside = any_outside || !e["outside_scores"].empty();
    EXPECT_EQ(Has(head, "data-key=\"score\""), any_outside || !t["composite"].is_null());

    // One row per entry, in the document's order.
    std::vector<std::string> rows = Rows(Element(dom, "tbody", "board-body-" + id));
    ASSERT_EQ(rows.size(), t["entries"].size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const json& e = t["entries"][i];
      const std::string& row = rows[i];
      const std::string team_id = e["team_id"];
      SCOPED_TRACE(team_id);
      EXPECT_EQ(Attr(row, "data-team-id"), team_id);
      EXPECT_EQ(Attr(row, "data-entry"), std::to_string(i));
      std::string team = Cell(row, "team");
      EXPECT_TRUE(Has(team, ">" + HtmlText(e["display_name"]) + "<")) << team;
      EXPECT_TRUE(Has(team, ">" + team_id + "<")) << team;

      // Rank: a number; a "reference" badge and never a number; or "—" and the reason.
      std::string rank = Cell(row, "rank");
      const bool reference = e["reference"].get<bool>();
      EXPECT_EQ(Has(Attr(row, "class"), "reference"), reference) << row;
      if (reference) {
        EXPECT_TRUE(e["rank"].is_null());
        EXPECT_TRUE(Has(rank, ">reference<")) << rank;
        EXPECT_FALSE(Has(rank, "rank-num")) << rank;
        EXPECT_FALSE(std::regex_search(rank, std::regex(">[0-9]+<"))) << rank;
      } else if (e["rank"].is_null()) {
        EXPECT_TRUE(Has(rank, ">—<")) << rank;
        EXPECT_TRUE(Has(team, "class=\"reason\">" + HtmlText(e["unranked_reason"]) + "<")) << team;
      } else {
        EXPECT_TRUE(Has(rank, "class=\"rank-num\">" + std::to_string(e["rank"].get<int>()) + "<"))
            << rank;
      }
      // The tie marker on every entry of a tie group, and on no other.
      const bool tied = e["tie_group"].is_number();
      EXPECT_EQ(Has(rank, "class=\"tie"), tied) << rank;
      if (tied) {
        ++ties;
        EXPECT_TRUE(Has(rank, std::string("title=\"") + kTieTitle + "\"")) << rank;
        EXPECT_EQ(Attr(rank, "data-tie-group"), std::to_string(e["tie_group"].get<int>()));
      }
      // The latency kind, and where cycles come from.
      std::string kind_cell = Cell(row, "kind");
      EXPECT_TRUE(Has(kind_cell, ">" + kind + "<")) << kind_cell;
      if (e["cycles"].is_string()) {
        EXPECT_TRUE(Has(kind_cell, ">cycles: " + e["cycles"].get<std::string>() + "<"))
            << kind_cell;
      } else {
        EXPECT_FALSE(Has(kind_cell, "cycles:")) << kind_cell;
      }
      // The seal level, its reason on hover.
      std::string seal = Cell(row, "seal");
      EXPECT_TRUE(Has(seal, "class=\"seal seal-")) << seal;
      EXPECT_TRUE(Has(seal, ">" + e["seal"]["level"].get<std::string>())) << seal;
      EXPECT_TRUE(Has(seal, "title=\"")) << seal;
      // The report link, where there is one.
      std::string report = Cell(row, "report");
      if (e["report"].is_string()) {
        EXPECT_TRUE(Has(report, "href=\"" + e["report"].get<std::string>() + "\"")) << report;
        EXPECT_TRUE(Has(report, ">report</a>")) << report;
      } else {
        EXPECT_FALSE(Has(report, "<a ")) << report;
      }
    }
  }
  // The fixture's twins tie (overlapping speedup intervals), and the legend explains the mark.
  EXPECT_GE(ties, 2u);
  EXPECT_TRUE(Has(Element(dom, "ul", "legend-0"), "statistically tied"));

  // The outside score shows in the measured track's score column.
  std::vector<std::string> rows = Rows(Element(dom, "tbody", "board-body-0"));
  for (size_t i = 0; i < rows.size(); ++i) {
    if (tracks[0]["entries"][i]["team_id"] != "quantized-int8") continue;
    EXPECT_TRUE(Has(Cell(rows[i], "score"), ">presentation 9<")) << rows[i];
  }
  // The reasons for the hardware model and a reference in the measured track are the document's.
  EXPECT_TRUE(Has(Element(dom, "tbody", "board-body-0"), "a hardware model (it reports cycles)"));
}

TEST_F(BrowserTest, TrackButtonsSwitchTheViewAndAPhoneScrollsOnlyTheTable) {
  json doc = BuildPage();
  ASSERT_TRUE(doc.is_object());
  ASSERT_TRUE(WriteFileAtomic(page_ / "phone.html", kPhoneProbe).ok());
  std::string dom =
      DumpDom("file://" + (page_ / "phone.html").string(), "--allow-file-access-from-files", false);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-probe=\"([^\"]*)\""))) << dom;
  json probe = json::parse(Unescape(m[1]), nullptr, false);
  ASSERT_TRUE(probe.is_object()) << m[1];
  ASSERT_FALSE(probe.contains("error")) << probe["error"];
  const json& tracks = doc["tracks"];
  ASSERT_EQ(probe["tabs"], tracks.size());
  const std::string first = tracks[0]["name"], last = tracks.back()["name"];
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"load", first},       {"click tab 1", last}, {"click tab 0", first},
      {"click tab 1", last}, {"click row", first},  {"click tab 1 with a detail open", last}};
  ASSERT_EQ(probe["steps"].size(), expected.size()) << probe.dump(1);
  for (size_t i = 0; i < expected.size(); ++i) {
    const json& s = probe["steps"][i];
    SCOPED_TRACE(s.dump());
    EXPECT_EQ(s["action"], expected[i].first);
    EXPECT_EQ(s["rendered"], "true");
    // Exactly one view shown: the one whose button was clicked, and that button is selected.
    EXPECT_EQ(s["shown"], json::array({expected[i].second}));
    EXPECT_EQ(s["selected_tab"], expected[i].second);
    // 390 px (less the frame's scrollbar): the page is no wider than the viewport ...
    EXPECT_GE(s["viewport_width"].get<int>(), 360);
    EXPECT_LE(s["viewport_width"].get<int>(), 390);
    EXPECT_LE(s["page_width"].get<int>(), s["viewport_width"].get<int>());
    EXPECT_LE(s["body_width"].get<int>(), s["viewport_width"].get<int>());
    // ... while the table, wider than the phone, scrolls inside its own box.
    EXPECT_EQ(s["wrap_overflow_x"], "auto");
    EXPECT_LE(s["wrap_width"].get<int>(), s["viewport_width"].get<int>());
    EXPECT_GT(s["wrap_scroll_width"].get<int>(), s["wrap_width"].get<int>());
  }
  // The address follows: a track button links its view, a row its entry.
  EXPECT_EQ(probe["steps"][1]["hash"], "#track-1");
  EXPECT_EQ(probe["steps"][2]["hash"], "#track-0");
  EXPECT_EQ(probe["steps"][4]["hash"], "#entry-0-0");
  EXPECT_EQ(probe["steps"][4]["detail_hidden"], false);
  // Another track's view closes the detail of an entry of the first.
  EXPECT_EQ(probe["steps"][5]["detail_hidden"], true);
}

TEST_F(BrowserTest, DetailShowsTheEntrysChartsInItsTrack) {
  json doc = BuildPage();
  ASSERT_TRUE(doc.is_object());
  const json& modeled = doc["tracks"][1];
  ASSERT_EQ(modeled["latency_kind"], "modeled");
  ASSERT_FALSE(modeled["entries"].empty());
  const json& e = modeled["entries"][0];
  ASSERT_EQ(e["team_id"], "systolic-sim");

  std::string dom = DumpDom(PageUrl("#entry-1-0"));
  EXPECT_FALSE(IsHidden(OpenTag(dom, "track-1")));
  EXPECT_TRUE(IsHidden(OpenTag(dom, "track-0")));
  EXPECT_FALSE(IsHidden(OpenTag(dom, "detail")));
  EXPECT_TRUE(Has(Element(dom, "h2", "detail-title"), "systolic-sim")) << "no detail title";
  EXPECT_TRUE(Has(Element(dom, "h2", "detail-title"), "track modeled"));
  EXPECT_TRUE(Has(Element(dom, "p", "detail-summary"), "Rank 1 in track modeled"));
  std::vector<std::string> rows = Rows(Element(dom, "tbody", "board-body-1"));
  ASSERT_EQ(rows.size(), modeled["entries"].size());
  EXPECT_TRUE(Has(Attr(rows[0], "class"), "selected")) << rows[0];
  // The histogram of the track's latency kind, and one curve per class under its metric.
  EXPECT_TRUE(Has(Element(dom, "figcaption", "histogram-caption"), "Per-frame modeled latency"));
  std::string histogram = Element(dom, "svg", "histogram");
  EXPECT_EQ(Count(histogram, "<rect class=\"bar\""), e["latency_histogram"]["counts"].size());
  std::string pr = Element(dom, "svg", "pr-curves");
  EXPECT_EQ(Count(pr, "<polyline"), e["pr_curves"].size());
  EXPECT_GE(e["pr_curves"].size(), 1u);
  std::string metric = "(";  // built up: GCC 12 warns falsely on "(" + std::string
  metric += e["pr_curves_metric"].get<std::string>();
  metric += ")";
  EXPECT_TRUE(Has(Element(dom, "figcaption", "pr-caption"), metric));
  // The audits.
  std::string audits = Element(dom, "ul", "detail-audits");
  EXPECT_EQ(Count(audits, "<li>"), e["audits"].size());
}

TEST_F(BrowserTest, ScatterPlotsTheTracksEntriesAndItsParetoFront) {
  json doc = BuildPage();
  ASSERT_TRUE(doc.is_object());
  const json& t = doc["tracks"][0];
  std::string dom = DumpDom(PageUrl());
  size_t plotted = std::count_if(t["entries"].begin(), t["entries"].end(), [](const json& e) {
    return e["speedup"].is_number() && e["accuracy"]["mAP50"].is_number();
  });
  std::string scatter = Element(dom, "svg", "scatter-0");
  ASSERT_FALSE(scatter.empty()) << "no <svg id=\"scatter-0\">";
  EXPECT_EQ(Count(scatter, "<circle"), plotted);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(scatter, m,
                        std::regex("<path id=\"pareto-front-0\" class=\"pareto\" d=\"(M[^\"]+)\" "
                                   "data-points=\"(\\d+)\"")))
      << "no Pareto path in the scatter";
  size_t front = ExpectedParetoPoints(t);
  EXPECT_GE(front, 2u);
  EXPECT_EQ(std::stoul(m[2]), front);
  EXPECT_EQ(Count(m[1].str(), "L") + 1, front);
  EXPECT_EQ(Count(scatter, "pareto-point"), front);
  size_t references = std::count_if(t["entries"].begin(), t["entries"].end(), [](const json& e) {
    return e["reference"] == true && e["speedup"].is_number() && e["accuracy"]["mAP50"].is_number();
  });
  EXPECT_EQ(Count(scatter, "class=\"point reference"), references);
}

TEST_F(BrowserTest, NotesAreShownAsWarnings) {
  fixture::FixtureOptions late;
  late.without_baseline = true;  // no baseline run: no speedups, and a note per track
  json doc = BuildPage(late);
  ASSERT_TRUE(doc.is_object());
  const json& notes = doc["context"]["notes"];
  ASSERT_FALSE(notes.empty());
  std::string dom = DumpDom(PageUrl());
  EXPECT_FALSE(IsHidden(OpenTag(dom, "notes")));
  std::string list = Element(dom, "ul", "notes-list");
  EXPECT_EQ(Count(list, "<li>"), notes.size());
  for (const json& n : notes)
    EXPECT_TRUE(Has(list, "<li>" + HtmlText(n.get<std::string>()) + "</li>")) << list;
  // Nothing is ranked, and every row says why.
  std::vector<std::string> rows = Rows(Element(dom, "tbody", "board-body-0"));
  ASSERT_EQ(rows.size(), doc["tracks"][0]["entries"].size());
  for (const std::string& row : rows) EXPECT_FALSE(Has(row, "rank-num")) << row;
}

TEST_F(BrowserTest, HeaderClickSortsRowsWithMissingValuesLast) {
  json doc = BuildPage();
  ASSERT_TRUE(doc.is_object());
  const json& entries = doc["tracks"][0]["entries"];

  for (const char* dir : {"asc", "desc"}) {
    SCOPED_TRACE(dir);
    bool asc = std::string(dir) == "asc";
    // ?sort=speedup:DIR clicks the "Speedup" header button once or twice.
    std::string dom = DumpDom(PageUrl(std::string("?sort=speedup:") + dir));
    std::string head = Element(dom, "tr", "board-head-0");
    EXPECT_TRUE(std::regex_search(
        head, std::regex(std::string("<th data-key=\"speedup\"[^>]*") + "aria-sort=\"" +
                         (asc ? "ascending" : "descending") + "\"")))
        << head;
    std::vector<size_t> shown;
    for (const std::string& row : Rows(Element(dom, "tbody", "board-body-0")))
      shown.push_back(std::stoul(Attr(row, "data-entry")));
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
