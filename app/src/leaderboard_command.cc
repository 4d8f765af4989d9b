// `maskbench leaderboard --db RESULTS.sqlite --out leaderboard.json [--html DIR]
//  [--rules RULES.json | --rules-sha PREFIX] [--dataset SHA] [--split NAME]
//  [--include-partial] [--json]`: derives the judgements (speedup, gate, ranks per
// track) from the stored facts under the rules given now, and exports them as
// leaderboard JSON and, with --html, as a static page. Nothing is re-run: new
// rules re-rank what is stored. See docs/leaderboard.md and docs/contest.md.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/contest/rules.h"
#include "maskbench/contest/store.h"
#include "maskbench/web_export/leaderboard.h"

namespace maskbench::app {
namespace {

namespace c = maskbench::contest;

struct LeaderboardFlags {
  std::string db, out, html, dataset, split, rules, rules_sha;
  bool include_partial = false;
  bool json = false;
};

int RunLeaderboard(const LeaderboardFlags& f) {
  namespace we = maskbench::web_export;
  if (!f.rules.empty() && !f.rules_sha.empty())
    return Fail("leaderboard: give --rules or --rules-sha, not both");
  c::StoreOptions so;
  so.create_if_missing = false;
  auto store = c::Store::Open(f.db, so);
  if (!store.ok()) return Fail(store.status());
  c::Rules rules = c::DefaultRules();
  if (!f.rules.empty()) {
    Result<c::Rules> r = c::LoadRules(f.rules);
    if (!r.ok()) return Fail(r.status());
    rules = *r;
  } else if (!f.rules_sha.empty()) {
    Result<std::string> text = (*store)->LoadRulesJson(f.rules_sha);
    if (!text.ok()) return Fail(text.status());
    Result<c::Rules> r = c::ParseRules(*text, "rules " + f.rules_sha + " (stored)");
    if (!r.ok()) return Fail(r.status());
    rules = *r;
  }
  we::LeaderboardOptions o;
  o.board.dataset_sha256 = f.dataset;
  o.board.split = f.split;
  o.board.include_partial = f.include_partial;
  if (!f.html.empty()) {
    // Reports written by `judge --reports DIR/reports` sit beside the page.
    const std::filesystem::path reports = std::filesystem::path(f.html) / "reports";
    o.report_link = [reports](const std::string& team) -> std::optional<std::string> {
      std::error_code ec;
      if (std::filesystem::exists(reports / team / "report.html", ec))
        return "reports/" + team + "/report.html";
      return std::nullopt;
    };
  }
  auto doc = we::BuildLeaderboard(**store, rules, o);
  if (!doc.ok()) return Fail(doc.status());
  Status s = we::WriteLeaderboardJson(*doc, f.out);
  if (!s.ok()) return Fail(s);
  if (!f.html.empty()) {
    s = we::WriteLeaderboardPage(*doc, f.html);
    if (!s.ok()) return Fail(s);
  }
  const auto& ctx = (*doc)["context"];
  nlohmann::ordered_json tracks = nlohmann::ordered_json::array();
  for (const auto& t : (*doc)["tracks"]) {
    int64_t ranked = 0;
    for (const auto& e : t["entries"]) ranked += e["rank"].is_null() ? 0 : 1;
    tracks.push_back({{"name", t["name"]},
                      {"latency_kind", t["latency_kind"]},
                      {"entries", t["entries"].size()},
                      {"ranked", ranked}});
  }
  if (f.json) {
    nlohmann::ordered_json j = {
        {"leaderboard", f.out},
        {"html", f.html.empty() ? nlohmann::ordered_json(nullptr)
                                : nlohmann::ordered_json(f.html + "/index.html")},
        {"tracks", tracks},
        {"dataset_manifest_sha256", ctx["dataset"]["manifest_sha256"]},
        {"split", ctx["dataset"]["split"]},
        {"rules_sha256", ctx["rules_sha256"]},
        {"rules_source", ctx["rules_source"]},
        {"notes", ctx["notes"]}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("leaderboard: %s (data set %s split %s; rules %s, %s)\n", f.out.c_str(),
                ctx["dataset"]["manifest_sha256"].get<std::string>().substr(0, 12).c_str(),
                ctx["dataset"]["split"].get<std::string>().c_str(),
                ctx["rules_source"].get<std::string>().c_str(),
                ctx["rules_sha256"].get<std::string>().substr(0, 12).c_str());
    for (const auto& t : tracks)
      std::printf("  track %-12s (%s): %lld entries, %lld ranked\n",
                  t["name"].get<std::string>().c_str(),
                  t["latency_kind"].get<std::string>().c_str(),
                  static_cast<long long>(t["entries"].get<int64_t>()),
                  static_cast<long long>(t["ranked"].get<int64_t>()));
    for (const auto& n : ctx["notes"]) std::printf("  note: %s\n", n.get<std::string>().c_str());
    if (!f.html.empty()) std::printf("page: %s/index.html\n", f.html.c_str());
  }
  return 0;
}

}  // namespace

void AddLeaderboardCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "leaderboard",
      "Rank the stored runs under the rules given now; export leaderboard JSON (+ a page)");
  auto f = std::make_shared<LeaderboardFlags>();
  cmd->add_option("--db", f->db, "The results database written by `judge`")->required();
  cmd->add_option("--out", f->out, "The leaderboard JSON to write")->required();
  cmd->add_option("--html", f->html,
                  "Also write a self-contained page (index.html, app.js, style.css) here");
  cmd->add_option("--rules", f->rules,
                  "Rank under this rules file (default: the built-in rules); re-ranks the stored "
                  "runs without running anything");
  cmd->add_option("--rules-sha", f->rules_sha,
                  "Rank under a rules file stored by `judge` (its SHA-256)");
  cmd->add_option(
      "--dataset", f->dataset,
      "Manifest SHA-256 (or unique prefix) of the data set (default: the most recently judged)");
  cmd->add_option("--split", f->split,
                  "The split (default: the rules' split when judged, else the latest)");
  cmd->add_flag("--include-partial", f->include_partial,
                "Show partial runs (fewer frames than the split), never ranked");
  cmd->add_flag("--json", f->json, "Print a JSON summary (paths, counts per track) on stdout");
  cmd->callback([=] { *exit_code = RunLeaderboard(*f); });
}

}  // namespace maskbench::app
