// The Slurm executor of `maskbench judge` (docs/cluster.md): the head plans
// the judge (PlanJudge), submits one job array with a task per entry, and
// imports each task's results bundle (bundle.h) into the store as it lands;
// it is the store's only writer, and it can be killed and run again at any
// time. Each of the rules' references has a task of its own (submitted first);
// a task judges its entry with the local executor's own Judge() into a
// node-local file (plus the references, on a machine no reference task has
// claimed), and publishes it whole into the shared results folder. A task that fails or
// disappears (node failure, preemption, time limit, scancel, SIGKILL) is
// submitted again, up to a limit; then its entry is recorded as harness_error
// with Slurm's reason.
//
// The results folder (on a file system the head and every node share):
//   plan-<hash>.json      what each array index judges (written by the head)
//   task.sh               the batch script: `maskbench judge --task-plan … --task-index
//   $SLURM_ARRAY_TASK_ID` state.json            the head's record of each entry's attempts (job
//   ids, states, reasons) bundles/<team id>/    results.sqlite + task.json, each put in place whole
//   references/<machine>/<ref>[.claimed]  a reference's task started / landed there
//   logs/<job>_<index>.out the tasks' own output
//
// Not thread-safe; one head per results store (the writer lock enforces it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "maskbench/contest/judge.h"
#include "maskbench/core/status.h"

namespace maskbench::contest {

struct SlurmOptions {
  JudgeOptions judge;                    // what to judge, exactly as the local executor
  std::filesystem::path results;         // the shared folder; "" = <db>.slurm next to the store
  std::filesystem::path maskbench;       // the executable tasks run; "" = this one
  std::string partition;                 // "" = the cluster's default partition
  std::vector<std::string> sbatch_args;  // passed to every sbatch, after ours
  int max_attempts = 3;                  // per entry: the first submission and the retries
  int max_parallel = 0;                  // tasks running at once (sbatch --array=…%N); 0 = any
  double poll_seconds = 2;               // how often the head looks at the queue
  std::string job_name;                  // "" = "mbj-" + the plan's hash
};

// Judges through Slurm; returns the same report as Judge() (entries and
// skipped folders), with each entry's outcome from its task. Fails only when the
// judge itself cannot work (its inputs, the store, sbatch refusing the job).
Result<std::vector<JudgedEntry>> JudgeOnSlurm(const SlurmOptions& options);

// One array task: judges entry `index` of the plan into a node-local results
// file, then publishes it as bundles/<team id>/ in the plan's results folder.
Status RunSlurmTask(const std::filesystem::path& plan, int index);

// The state of each entry of the results folder's latest plan, from the head's
// state.json, the bundles present and squeue.
struct SlurmEntryState {
  std::string team_id;
  std::string state;  // "planned", "queued", "running", "done", "retrying", "failed"
  int attempts = 0;
  std::string job;      // the latest attempt's "<job>_<index>"
  std::string node;     // where it ran or runs
  std::string message;  // Slurm's reason, or the task's outcome
};
Result<std::vector<SlurmEntryState>> SlurmStatus(const std::filesystem::path& results);

// The results folder a store's Slurm judge uses by default: "<db>.slurm".
std::filesystem::path DefaultSlurmResults(const std::filesystem::path& db);

}  // namespace maskbench::contest
