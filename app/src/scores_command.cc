// `maskbench scores import --db RESULTS.sqlite FILE.csv [--rules RULES.json]`:
// stores scores from outside the harness (a jury's presentation score) per
// team, for composite formulas and the page's Score column. `scores list`
// prints them. Format: docs/contest.md, "Outside scores".
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/contest/rules.h"
#include "maskbench/contest/scores.h"
#include "maskbench/contest/store.h"
#include "maskbench/core/files.h"

namespace maskbench::app {
namespace {

namespace c = maskbench::contest;

struct ScoresFlags {
  std::string db, file, rules;
};

int Import(const ScoresFlags& f) {
  c::Rules rules = c::DefaultRules();
  if (!f.rules.empty()) {
    Result<c::Rules> r = c::LoadRules(f.rules);
    if (!r.ok()) return Fail(r.status());
    rules = *r;
  }
  Result<std::string> text = ReadFile(f.file);
  if (!text.ok()) return Fail(text.status());
  Result<std::vector<c::OutsideScore>> scores =
      c::ParseScoresCsv(*text, f.file, rules.outside_scores);
  if (!scores.ok()) return Fail(scores.status());
  c::StoreOptions so;
  so.writer_lock = true;
  so.wait_for_lock = true;
  auto store = c::Store::Open(f.db, so);
  if (!store.ok()) return Fail(store.status());
  if (Status s = (*store)->ImportScores(*scores); !s.ok()) return Fail(s);
  std::printf("scores: %zu imported from %s into %s\n", scores->size(), f.file.c_str(),
              f.db.c_str());
  return 0;
}

int List(const ScoresFlags& f) {
  c::StoreOptions so;
  so.create_if_missing = false;
  auto store = c::Store::Open(f.db, so);
  if (!store.ok()) return Fail(store.status());
  Result<std::vector<c::OutsideScore>> scores = (*store)->ListScores();
  if (!scores.ok()) return Fail(scores.status());
  std::printf("team_id,metric,value\n");
  for (const c::OutsideScore& s : *scores)
    std::printf("%s,%s,%.17g\n", s.team_id.c_str(), s.metric.c_str(), s.value);
  return 0;
}

}  // namespace

void AddScoresCommand(CLI::App& app, int* exit_code) {
  CLI::App* scores = app.add_subcommand("scores", "Scores from outside the harness (presentation)");
  scores->require_subcommand(1);
  auto f = std::make_shared<ScoresFlags>();
  CLI::App* imp = scores->add_subcommand(
      "import", "Store a CSV of team_id,metric,value (a pair already stored is replaced)");
  imp->add_option("file", f->file, "The CSV file")->required();
  imp->add_option("--db", f->db, "The results database")->required();
  imp->add_option("--rules", f->rules,
                  "Rules JSON whose outside_scores name the allowed metrics (default: the "
                  "built-in rules)");
  imp->callback([f, exit_code] { *exit_code = Import(*f); });
  auto g = std::make_shared<ScoresFlags>();
  CLI::App* list = scores->add_subcommand("list", "Print the stored outside scores as CSV");
  list->add_option("--db", g->db, "The results database")->required();
  list->callback([g, exit_code] { *exit_code = List(*g); });
}

}  // namespace maskbench::app
