// Results bundles: the facts one judging task made on one node (an SQLite
// results file of the same schema, docs/results-db.md), imported into the
// contest's store by its single writer. The Slurm executor (slurm.h) writes one
// bundle per task; the head imports each as it lands.
//
// Importing is idempotent: a run whose key (submission, data set split,
// machine, frames, scenario, warm-up, harness version, trial) is already final
// in the store is left alone, so a bundle may be imported any number of times,
// and a head killed half-way through an import is simply run again.
// Thread-safety: as Store (one per thread).
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "maskbench/contest/store.h"
#include "maskbench/core/status.h"

namespace maskbench::contest {

struct BundleImport {
  int64_t runs_imported = 0;          // runs written into the store now
  int64_t runs_present = 0;           // runs the store already held as final
  std::vector<std::string> team_ids;  // the entries the bundle holds
};

// Imports every complete run of the results file `bundle` (with its
// submission, data set split, machine, rules, entry, frames, metrics, audits
// and curves) into `dest`, which should hold the writer lock. The bundle is
// only read; a damaged or foreign file is refused naming it, nothing written.
// With `allowed_teams`, a bundle that holds an entry of any other team id, or a
// run of a submission no allowed entry names, is refused before anything is
// written (a task brings its own entry's runs and the references', no more).
Result<BundleImport> ImportBundle(Store& dest, const std::filesystem::path& bundle,
                                  const std::set<std::string>* allowed_teams = nullptr);

}  // namespace maskbench::contest
