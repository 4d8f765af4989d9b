// `maskbench judge --submissions DIR --dataset DS --db RESULTS.sqlite [--split NAME]
//  [--rules RULES.json]`: judges every submission into the results store. See judge.h.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "judge.h"

namespace maskbench::app {

void AddJudgeCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<JudgeOptions>();
  auto json = std::make_shared<bool>(false);
  auto no_pin = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "judge", "Validate, run isolated, audit, score and store every submission of a folder");
  cmd->add_option("--submissions", o->submissions, "Folder whose sub-folders are submissions")
      ->required();
  cmd->add_option("--dataset", o->dataset, "Data set directory (manifest.json)")->required();
  cmd->add_option("--db", o->db, "Results SQLite file (created when missing)")->required();
  cmd->add_option("--split", o->split, "Split to score (default: the rules' split)");
  cmd->add_option("--rules", o->rules, "Rules JSON (default: the built-in rules)");
  cmd->add_option("--frames", o->max_frames,
                  "Measure at most N frames per submission (default: all)");
  cmd->add_option("--cpu", o->cpu, "Pin the runs to this CPU (default: the last CPU)");
  cmd->add_flag("--no-pin", *no_pin, "Do not pin the runs to one CPU");
  cmd->add_option("--audit-frames", o->audit_frames, "Frames re-run by each audit (default: 8)");
  cmd->add_option("--reports", o->reports,
                  "Also write a report per submission run now: DIR/<folder>/report.html (+ PNGs)");
  cmd->add_flag("--allow-unsealed", o->allow_unsealed,
                "Judge even where the full seal (namespaces) cannot be made; runs are recorded "
                "as sealed \"reduced\"");
  cmd->add_flag("--wait", o->wait,
                "When another judge holds the results file, wait for it instead of failing");
  cmd->add_option("--audit-seed", o->audit_seed,
                  "The audits' seed (default: random per judge; recorded in each audit)");
  cmd->add_flag("--json", *json, "Print the report as one JSON document on stdout");
  cmd->callback([o, json, no_pin, exit_code] {
    if (*no_pin) o->cpu = -1;
    if (o->max_frames < 0) {
      *exit_code = Fail("judge: --frames must be >= 0");
      return;
    }
    Result<std::vector<JudgedSubmission>> report = Judge(*o);
    if (!report.ok()) {
      *exit_code = Fail(report.status());
      return;
    }
    if (*json) {
      nlohmann::json doc = {{"db", o->db.string()}, {"submissions", nlohmann::json::array()}};
      for (const auto& l : *report)
        doc["submissions"].push_back(
            {{"folder", l.folder},
             {"name", l.name},
             {"status", l.status},
             {"message", l.message},
             {"reused", l.reused},
             {"run_id", l.run_id},
             {"report", l.report.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.report)}});
      std::printf("%s\n", doc.dump(2).c_str());
    } else {
      std::printf("%-24s %-16s %-6s %s\n", "submission", "status", "run", "message");
      for (const auto& l : *report)
        std::printf("%-24s %-16s %-6lld %s%s\n", l.folder.c_str(), l.status.c_str(),
                    static_cast<long long>(l.run_id), l.reused ? "(already judged) " : "",
                    l.message.c_str());
      std::printf("results in %s (maskbench leaderboard --db %s --out leaderboard.json)\n",
                  o->db.c_str(), o->db.c_str());
    }
    *exit_code = 0;
  });
}

}  // namespace maskbench::app
