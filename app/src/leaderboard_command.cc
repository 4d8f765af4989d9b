// `maskbench leaderboard`: export the results store as leaderboard JSON and,
// with --html, as a static page. See docs/leaderboard.md.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/web_export/leaderboard.h"
#include "maskbench/web_export/store.h"

namespace maskbench::app {
namespace {

struct LeaderboardFlags {
  std::string db, out, html, dataset, rules;
  bool json = false;
};

int RunLeaderboard(const LeaderboardFlags& f) {
  namespace we = maskbench::web_export;
  we::StoreOptions so;
  so.create_if_missing = false;
  auto store = we::Store::Open(f.db, so);
  if (!store.ok()) return Fail(store.status());
  we::LeaderboardOptions o;
  o.dataset_sha256 = f.dataset;
  o.rules_sha256 = f.rules;
  auto doc = we::BuildLeaderboard(**store, o);
  if (!doc.ok()) return Fail(doc.status());
  Status s = we::WriteLeaderboardJson(*doc, f.out);
  if (!s.ok()) return Fail(s);
  if (!f.html.empty()) {
    s = we::WriteLeaderboardPage(*doc, f.html);
    if (!s.ok()) return Fail(s);
  }
  int64_t ranked = 0;
  for (const auto& e : (*doc)["entries"]) ranked += e["rank"].is_null() ? 0 : 1;
  const auto& ctx = (*doc)["context"];
  if (f.json) {
    nlohmann::ordered_json j = {
        {"leaderboard", f.out},
        {"html", f.html.empty() ? nlohmann::ordered_json(nullptr)
                                : nlohmann::ordered_json(f.html + "/index.html")},
        {"entries", (*doc)["entries"].size()},
        {"ranked", ranked},
        {"dataset_manifest_sha256", ctx["dataset"]["manifest_sha256"]},
        {"rules_sha256", ctx["rules_sha256"]}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("leaderboard: %s (%zu entries, %lld ranked; data set %s, rules %s)\n",
                f.out.c_str(), (*doc)["entries"].size(), static_cast<long long>(ranked),
                ctx["dataset"]["manifest_sha256"].get<std::string>().substr(0, 12).c_str(),
                ctx["rules_sha256"].get<std::string>().substr(0, 12).c_str());
    if (!f.html.empty()) std::printf("page: %s/index.html\n", f.html.c_str());
  }
  return 0;
}

}  // namespace

void AddLeaderboardCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "leaderboard", "Export the results database as leaderboard JSON (+ a static page)");
  auto f = std::make_shared<LeaderboardFlags>();
  cmd->add_option("--db", f->db, "The results database written by `judge`")->required();
  cmd->add_option("--out", f->out, "The leaderboard JSON to write")->required();
  cmd->add_option("--html", f->html,
                  "Also write a self-contained page (index.html, app.js, style.css) here");
  cmd->add_option(
      "--dataset", f->dataset,
      "Manifest SHA-256 (or unique prefix) of the data set (default: the most recently judged)");
  cmd->add_option(
      "--rules", f->rules,
      "Rules SHA-256 (or unique prefix) (default: the most recently judged for the data set)");
  cmd->add_flag("--json", f->json, "Print a JSON summary (paths, counts) on stdout");
  cmd->callback([=] { *exit_code = RunLeaderboard(*f); });
}

}  // namespace maskbench::app
