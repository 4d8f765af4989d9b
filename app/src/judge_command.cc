// `maskbench judge --submissions DIR --dataset DS --db RESULTS.sqlite [--split NAME]
//  [--rules RULES.json] [--roster teams.json] [--trials N] [--frames N] [--reports DIR] …`:
//  judges every entry of a folder into the results store (contest/judge.h).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "maskbench/contest/judge.h"
#include "maskbench/contest/slurm.h"
#include "run_document.h"

namespace maskbench::app {

void AddJudgeCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<contest::JudgeOptions>();
  auto json = std::make_shared<bool>(false);
  auto no_pin = std::make_shared<bool>(false);
  auto no_references = std::make_shared<bool>(false);
  auto reports = std::make_shared<std::string>();
  auto slurm = std::make_shared<contest::SlurmOptions>();
  auto executor = std::make_shared<std::string>("local");
  auto status = std::make_shared<bool>(false);
  auto task_plan = std::make_shared<std::string>();
  auto task_index = std::make_shared<int>(-1);
  CLI::App* cmd = app.add_subcommand(
      "judge", "Validate, run sealed, audit, score and store every entry of a folder");
  cmd->add_option("--submissions", o->submissions, "Folder whose sub-folders are submissions");
  cmd->add_option("--dataset", o->dataset, "Data set directory (manifest.json)");
  cmd->add_option("--db", o->db, "Results SQLite file (created when missing)");
  cmd->add_option("--split", o->split, "Split to score (default: the rules' split)");
  cmd->add_option("--rules", o->rules, "Rules JSON (default: the built-in rules)");
  cmd->add_option("--roster", o->roster,
                  "teams.json: the entries (team id, folder, display name, track); default: one "
                  "entry per sub-folder, its name the team id");
  cmd->add_option("--frames", o->max_frames,
                  "Measure at most N frames per entry (default: all; fewer is a partial run, "
                  "never on a leaderboard)");
  cmd->add_option("--trials", o->trials,
                  "Timed runs per entry; the median trial ranks (default: the rules' "
                  "measurement.trials)");
  cmd->add_option("--cpu", o->cpu, "Pin the runs to this CPU (default: the last CPU)");
  cmd->add_flag("--no-pin", *no_pin, "Do not pin the runs to one CPU");
  cmd->add_option("--audit-frames", o->audit_frames, "Frames re-run by each audit (default: 8)");
  cmd->add_option("--reports", *reports,
                  "Also write a report per run made now: DIR/<folder>/report.html (+ PNGs)");
  cmd->add_flag("--no-build-references", *no_references,
                "Never judge the build's own references: refuse when the folder lacks them");
  cmd->add_flag(
      "--no-noise-check", [o](int64_t) { o->sample_noise = false; },
      "Do not sample the host's noise before each timed run");
  cmd->add_flag("--allow-unsealed", o->allow_unsealed,
                "Judge even where the full seal (namespaces) cannot be made; runs are recorded "
                "as sealed \"reduced\"");
  cmd->add_flag("--wait", o->wait,
                "When another judge holds the results file, wait for it instead of failing");
  cmd->add_option("--audit-seed", o->audit_seed,
                  "The audits' seed (default: random per judge; recorded in each audit)");
  cmd->add_flag("--json", *json, "Print the report as one JSON document on stdout");
  cmd->add_flag("--quiet", o->quiet, "No progress lines on stderr");
  cmd->add_option("--executor", *executor,
                  "Where the runs happen: local (this process, one at a time) or slurm (a job "
                  "array, one task per entry; docs/cluster.md). Default: local")
      ->check(CLI::IsMember({"local", "slurm"}));
  cmd->add_option("--partition", slurm->partition, "slurm: the partition (default: the cluster's)");
  cmd->add_option("--sbatch-arg", slurm->sbatch_args,
                  "slurm: an argument for every sbatch, e.g. --sbatch-arg=--exclusive "
                  "(repeatable)");
  cmd->add_option("--results", slurm->results,
                  "slurm: the shared results folder (plan, bundles, logs; default: <db>.slurm)");
  cmd->add_option("--max-attempts", slurm->max_attempts,
                  "slurm: tries per entry before it is recorded harness_error (default: 3)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--max-parallel", slurm->max_parallel,
                  "slurm: tasks running at once (default: as many as Slurm allows)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--poll", slurm->poll_seconds, "slurm: seconds between looks at the queue")
      ->check(CLI::Range(0.05, 600.0));
  cmd->add_option("--job-name", slurm->job_name,
                  "slurm: the array's job name, by which the head finds its tasks (default: "
                  "mbj-<plan hash>)");
  cmd->add_flag("--status", *status,
                "slurm: print each entry's state (planned, queued, running, done, retrying, "
                "failed) and exit; needs --db or --results");
  cmd->add_option("--task-plan", *task_plan, "slurm: run one array task of this plan (internal)")
      ->group("");
  cmd->add_option("--task-index", *task_index, "slurm: the task's index (internal)")->group("");
  cmd->callback([o, json, no_pin, no_references, reports, slurm, executor, status, task_plan,
                 task_index, exit_code] {
    if (!task_plan->empty()) {
      Status s = contest::RunSlurmTask(*task_plan, *task_index);
      *exit_code = s.ok() ? 0 : Fail(s);
      return;
    }
    if (*status) {
      if (slurm->results.empty() && o->db.empty()) {
        *exit_code = Fail("judge --status: give --db (or --results) of the Slurm judge");
        return;
      }
      const auto dir =
          slurm->results.empty() ? contest::DefaultSlurmResults(o->db) : slurm->results;
      auto states = contest::SlurmStatus(dir);
      if (!states.ok()) {
        *exit_code = Fail(states.status());
        return;
      }
      if (*json) {
        nlohmann::json doc = nlohmann::json::array();
        for (const auto& e : *states)
          doc.push_back({{"team_id", e.team_id},
                         {"state", e.state},
                         {"attempts", e.attempts},
                         {"job", e.job},
                         {"node", e.node},
                         {"message", e.message}});
        std::printf("%s\n", doc.dump(2).c_str());
      } else {
        std::printf("%-24s %-9s %-8s %-12s %-10s %s\n", "entry", "state", "attempts", "job", "node",
                    "message");
        for (const auto& e : *states)
          std::printf("%-24s %-9s %-8d %-12s %-10s %s\n", e.team_id.c_str(), e.state.c_str(),
                      e.attempts, e.job.c_str(), e.node.c_str(), e.message.c_str());
      }
      *exit_code = 0;
      return;
    }
    for (const auto& [flag, value] :
         {std::pair<const char*, const std::filesystem::path*>{"--submissions", &o->submissions},
          {"--dataset", &o->dataset},
          {"--db", &o->db}})
      if (value->empty()) {
        *exit_code = Fail(std::string("judge: ") + flag + " is required");
        return;
      }
    if (*no_pin) o->cpu = -1;
    if (o->max_frames < 0 || o->trials < 0) {
      *exit_code = Fail("judge: --frames and --trials must be >= 0");
      return;
    }
    if (!*no_references) o->build_submissions = ExeDir() / "submissions";
    if (!reports->empty()) {
      o->on_run = ReportOnRun(*reports);
    }
    slurm->judge = *o;
    Result<std::vector<contest::JudgedEntry>> report =
        *executor == "slurm" ? contest::JudgeOnSlurm(*slurm) : contest::Judge(*o);
    if (!report.ok()) {
      *exit_code = Fail(report.status());
      return;
    }
    if (*json) {
      nlohmann::json doc = {{"db", o->db.string()}, {"entries", nlohmann::json::array()}};
      for (const auto& l : *report)
        doc["entries"].push_back(
            {{"folder", l.folder},
             {"team_id", l.team_id},
             {"name", l.name},
             {"reference", l.reference},
             {"status", l.status},
             {"message", l.message},
             {"reused", l.reused},
             {"partial", l.partial},
             {"run_id", l.run_id},
             {"trials", l.trials},
             {"report", l.report.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.report)}});
      std::printf("%s\n", doc.dump(2).c_str());
    } else {
      std::printf("%-24s %-16s %-6s %s\n", "entry", "status", "run", "message");
      for (const auto& l : *report) {
        std::string tags;
        if (l.reference) tags += "(reference) ";
        if (l.partial) tags += "(partial: never on a leaderboard) ";
        if (l.reused) tags += "(already judged) ";
        std::printf("%-24s %-16s %-6lld %s%s\n", l.team_id.c_str(), l.status.c_str(),
                    static_cast<long long>(l.run_id), tags.c_str(), l.message.c_str());
      }
      std::printf("results in %s (maskbench leaderboard --db %s --out leaderboard.json)\n",
                  o->db.c_str(), o->db.c_str());
    }
    *exit_code = 0;
  });
}

}  // namespace maskbench::app
