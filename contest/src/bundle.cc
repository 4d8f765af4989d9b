#include "maskbench/contest/bundle.h"

#include <cmath>
#include <limits>
#include <map>

namespace maskbench::contest {

Result<BundleImport> ImportBundle(Store& dest, const std::filesystem::path& bundle,
                                  const std::set<std::string>* allowed_teams) {
  StoreOptions so;
  so.create_if_missing = false;
  Result<std::unique_ptr<Store>> opened = Store::Open(bundle, so);
  if (!opened.ok()) return opened.status();
  Store& src = **opened;
  BundleImport result;

  // Submissions by their row id in the bundle -> row id in the store.
  std::map<int64_t, int64_t> submission_ids;
  auto map_submission = [&](int64_t id) -> Result<int64_t> {
    auto it = submission_ids.find(id);
    if (it != submission_ids.end()) return it->second;
    Result<SubmissionInfo> s = src.LoadSubmission(id);
    if (!s.ok()) return s.status();
    Result<int64_t> to = dest.UpsertSubmission(*s);
    if (!to.ok()) return to.status();
    submission_ids[id] = *to;
    return *to;
  };

  RunFilter all;
  all.complete_only = true;
  Result<std::vector<StoredRun>> runs = src.ListRuns(all);
  if (!runs.ok()) return runs.status();
  Result<std::vector<EntryInfo>> entries = src.ListEntries();
  if (!entries.ok()) return entries.status();
  if (allowed_teams != nullptr) {
    std::set<int64_t> allowed_subs;
    for (const EntryInfo& e : *entries) {
      if (!allowed_teams->count(e.team_id))
        return Status::InvalidArgument(bundle.string(), "holds an entry of team \"" + e.team_id +
                                                            "\", which this bundle may not bring");
      allowed_subs.insert(e.submission_id);
    }
    for (const StoredRun& r : *runs)
      if (!allowed_subs.count(r.submission_id))
        return Status::InvalidArgument(bundle.string(),
                                       "holds a run of a submission no allowed "
                                       "entry names (run " +
                                           std::to_string(r.id) + ")");
  }
  // Oldest first, so the store's "most recent" order follows the bundle's.
  for (auto r = runs->rbegin(); r != runs->rend(); ++r) {
    Result<int64_t> sub = map_submission(r->submission_id);
    if (!sub.ok()) return sub.status();
    Result<int64_t> ds = dest.UpsertDataset(r->dataset);
    if (!ds.ok()) return ds.status();
    Result<int64_t> machine = dest.UpsertMachine(r->machine);
    if (!machine.ok()) return machine.status();
    if (!r->rules_sha256.empty()) {
      Result<std::string> rules = src.LoadRulesJson(r->rules_sha256);
      if (!rules.ok()) return rules.status();
      Result<int64_t> rid = dest.UpsertRules({r->rules_sha256, *rules});
      if (!rid.ok()) return rid.status();
    }
    RunKey key = r->key;
    key.submission_id = *sub;
    key.dataset_id = *ds;
    key.machine_id = *machine;
    Result<RunTicket> ticket = dest.BeginRun(key);
    if (!ticket.ok()) return ticket.status();
    if (ticket->already_complete) {
      ++result.runs_present;
      continue;
    }
    RunOutcome out;
    out.status = r->status;
    out.message = r->message;
    out.requested_settings_json = r->requested_settings_json;
    out.effective_settings_json = r->effective_settings_json;
    out.seal_json = r->seal_json;
    out.rules_sha256 = r->rules_sha256;
    out.partial = r->partial;
    out.audits = r->audits;
    out.pr_curves_metric = r->pr_curves_metric;
    for (const auto& [name, value] : r->metrics)
      out.metrics[name] = value ? *value : std::numeric_limits<double>::quiet_NaN();
    Result<std::vector<FrameFacts>> frames = src.LoadFrames(r->id);
    if (!frames.ok()) return frames.status();
    out.frames = std::move(*frames);
    Result<std::vector<PrCurve>> curves = src.LoadPrCurves(r->id);
    if (!curves.ok()) return curves.status();
    out.pr_curves = std::move(*curves);
    if (Status s = dest.CommitRun(ticket->run_id, out); !s.ok()) return s;
    ++result.runs_imported;
  }

  for (EntryInfo e : *entries) {
    Result<int64_t> sub = map_submission(e.submission_id);
    if (!sub.ok()) return sub.status();
    e.submission_id = *sub;
    if (Status s = dest.UpsertEntry(e); !s.ok()) return s;
    result.team_ids.push_back(e.team_id);
  }
  return result;
}

}  // namespace maskbench::contest
