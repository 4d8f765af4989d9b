#include "maskbench/contest/judge.h"

#include <sched.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "maskbench/contest/frames.h"
#include "maskbench/contest/identity.h"
#include "maskbench/contest/machine.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/contest/rtl_build.h"
#include "maskbench/contest/store.h"
#include "maskbench/core/archive.h"
#include "maskbench/core/files.h"
#include "maskbench/core/version.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/harness/runner.h"

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;
namespace h = maskbench::harness;

void Log(const JudgeOptions& o, const std::string& line) {
  if (!o.quiet) std::fprintf(stderr, "maskbench judge: %s\n", line.c_str());
}

bool HoldsPlugin(const fs::path& folder) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec))
    if (e.is_regular_file() && e.path().extension() == ".so") return true;
  return false;
}

// An RTL entry is built from its sources into the judge's own folder beside
// the results file (never from anything prebuilt in the entry), once per
// source content (two entries with the same sources share it); later judges
// and Slurm tasks reuse the build.
Result<fs::path> BuildRtlEntry(const JudgeOptions& o, const fs::path& folder,
                               const std::string& team_id) {
  Result<RtlSubmission> s = LoadRtlSubmission(folder);
  if (!s.ok()) return s.status();
  Result<std::string> hash = RtlSourceSha256(*s);
  if (!hash.ok()) return hash.status();
  const fs::path root = o.rtl_builds.empty() ? fs::path(o.db.string() + ".rtl") : o.rtl_builds;
  const fs::path out = root / hash->substr(0, 24);
  RtlBuildOptions bo;
  bo.sandbox =
      o.allow_unsealed ? RtlBuildOptions::Sandbox::kBestEffort : RtlBuildOptions::Sandbox::kRequire;
  Result<PreparedFolder> p = PrepareFolder(folder, out, bo);
  if (!p.ok()) return p.status();
  Log(o, team_id + ": RTL " + (p->reused ? "build reused: " : "built: ") + p->folder.string());
  return p->folder;
}

}  // namespace

Result<JudgePlan> PlanJudge(const JudgeOptions& o) {
  JudgePlan plan;
  // Rules, data set, roster, seal, store: the judge's own inputs must all be sound.
  Rules rules = DefaultRules();
  std::string rules_text(DefaultRulesJson());
  if (!o.rules.empty()) {
    Result<Rules> loaded = LoadRules(o.rules);
    if (!loaded.ok()) return loaded.status();
    rules = *loaded;
    Result<std::string> text = ReadFile(o.rules);
    if (!text.ok()) return text.status();
    rules_text = *text;
  }
  Result<datasets::Dataset> ds = datasets::LoadDataset(o.dataset);
  if (!ds.ok()) return ds.status();
  std::string split = o.split.empty() ? rules.split : o.split;
  const auto& splits = ds->manifest.splits;
  if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
    if (!o.split.empty()) {
      std::string list;
      for (const std::string& s : splits) list += (list.empty() ? "" : ", ") + s;
      return Status::InvalidArgument(o.dataset.string(), "no split \"" + split +
                                                             "\" in the manifest (it has: " +
                                                             (list.empty() ? "none" : list) + ")");
    }
    Log(o, "the data set has no split \"" + split + "\" (the rules' split): judging all frames");
    split.clear();
  }
  if (!fs::is_directory(o.submissions))
    return Status::NotFound(o.submissions.string(), "not a folder of submissions");
  std::vector<RosterTeam> roster;
  if (!o.roster.empty()) {
    Result<std::vector<RosterTeam>> r = LoadRoster(o.roster);
    if (!r.ok()) return r.status();
    roster = *r;
  }
  // The entries: the references first (from the folder, else the build's), then
  // the teams (the roster's, or every sub-folder holding a plugin).
  std::vector<PlannedEntry>& candidates = plan.entries;
  std::vector<JudgedEntry>& report = plan.skipped;
  auto skip = [&](const fs::path& folder, const std::string& why) {
    JudgedEntry line;
    line.folder = folder.filename().string();
    line.team_id = line.folder;
    line.status = "skipped";
    line.message = why;
    Log(o, line.folder + ": skipped: " + why);
    report.push_back(line);
  };
  for (const std::string& ref : {rules.references.baseline, rules.references.gate}) {
    if (std::any_of(candidates.begin(), candidates.end(),
                    [&](const PlannedEntry& c) { return c.team_id == ref; }))
      continue;
    fs::path where = o.submissions / ref;
    if (!HoldsPlugin(where) && !o.build_submissions.empty() &&
        HoldsPlugin(o.build_submissions / ref)) {
      where = o.build_submissions / ref;
      Log(o, "the folder has no " + ref + ": judging the build's own (" + where.string() + ")");
    }
    if (!HoldsPlugin(where))
      return Status::NotFound(
          (o.submissions / ref).string(),
          "the rules' reference \"" + ref +
              "\" is neither in the submissions folder nor in the build: without it no entry "
              "gets " +
              (ref == rules.references.baseline ? "a speedup" : "an accuracy gate") +
              " (add it, or name another in the rules' references)");
    if (o.references &&
        (o.only_references.empty() || std::find(o.only_references.begin(), o.only_references.end(),
                                                ref) != o.only_references.end()))
      candidates.push_back({where, ref, "", true, "", false, {}});
  }
  auto wanted = [&](const std::string& team_id) {
    return o.only.empty() || std::find(o.only.begin(), o.only.end(), team_id) != o.only.end();
  };
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(o.submissions))
    if (e.is_directory()) folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  std::set<std::string> rostered;
  for (const RosterTeam& t : roster) {
    const fs::path folder = o.submissions / t.folder;
    rostered.insert(t.folder);
    if (!wanted(t.team_id)) continue;
    if (IsRtlSubmission(folder)) {
      Result<fs::path> built = BuildRtlEntry(o, folder, t.team_id);
      if (!built.ok()) {
        skip(folder, "the RTL build failed: " + built.status().message());
        continue;
      }
      candidates.push_back({*built, t.team_id, t.display_name, false, t.track, true, folder});
      continue;
    }
    if (!HoldsPlugin(folder)) {
      skip(folder, "the roster's team " + t.team_id + " has no plugin (.so) in " + folder.string());
      continue;
    }
    candidates.push_back({folder, t.team_id, t.display_name, false, t.track, false, {}});
  }
  for (const fs::path& folder : folders) {
    const std::string name = folder.filename().string();
    if (name == rules.references.baseline || name == rules.references.gate) continue;
    if (!roster.empty()) {
      if (!rostered.count(name) && o.only.empty()) skip(folder, "not on the roster");
      continue;
    }
    if (!wanted(name)) continue;
    const bool rtl = IsRtlSubmission(folder);
    if (!rtl && !HoldsPlugin(folder)) {
      skip(folder, "no plugin (.so) in it");
      continue;
    }
    if (!ValidTeamId(name)) {
      skip(folder, "its name is not a valid team id (letters, digits, . _ -)");
      continue;
    }
    if (rtl) {
      Result<fs::path> built = BuildRtlEntry(o, folder, name);
      if (!built.ok()) {
        skip(folder, "the RTL build failed: " + built.status().message());
        continue;
      }
      candidates.push_back({*built, name, "", false, "", true, folder});
      continue;
    }
    candidates.push_back({folder, name, "", false, "", false, {}});
  }
  // Archives (`maskbench pack`): <team id>.tar.gz, verified (every file against
  // its MANIFEST.sha256) and unpacked beside the results file, once per archive
  // content; the entry is the archive's submission/ folder.
  std::vector<fs::path> archives;
  for (const auto& e : fs::directory_iterator(o.submissions))
    if (e.is_regular_file() && e.path().filename().string().size() > 7 &&
        e.path().filename().string().ends_with(".tar.gz"))
      archives.push_back(e.path());
  std::sort(archives.begin(), archives.end());
  for (const fs::path& archive : archives) {
    const std::string file = archive.filename().string();
    const std::string name = file.substr(0, file.size() - 7);
    if (!roster.empty() || !wanted(name)) {
      if (!roster.empty() && o.only.empty()) skip(archive, "archives are not judged with a roster");
      continue;
    }
    if (std::find(folders.begin(), folders.end(), o.submissions / name) != folders.end()) {
      skip(archive, "a folder of the same name (" + name + "/) is judged instead");
      continue;
    }
    if (!ValidTeamId(name) || name == rules.references.baseline || name == rules.references.gate) {
      skip(archive, "its name is not a valid team id (letters, digits, . _ -)");
      continue;
    }
    Result<std::string> hash = Sha256File(archive);
    if (!hash.ok()) {
      skip(archive, hash.status().message());
      continue;
    }
    const fs::path dest =
        fs::path(o.db.string() + ".unpacked") / (name + "-" + hash->substr(0, 16));
    std::error_code ec;
    if (!fs::is_directory(dest, ec)) {
      uint64_t nonce = 0;
      if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce) nonce = std::random_device{}();
      char suffix[32];
      std::snprintf(suffix, sizeof suffix, ".tmp-%d-%016llx", static_cast<int>(getpid()),
                    static_cast<unsigned long long>(nonce));
      const fs::path tmp = dest.string() + suffix;
      Result<std::vector<std::string>> files = ExtractArchive(archive, tmp);
      if (!files.ok()) {
        skip(archive, "archive refused: " + files.status().message());
        continue;
      }
      // Read-only once verified: what is judged later is what was checked.
      for (const auto& f : fs::recursive_directory_iterator(tmp, ec))
        fs::permissions(f.path(),
                        fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                        fs::perm_options::remove, ec);
      fs::rename(tmp, dest, ec);
      if (ec) {  // another judge unpacked it first: use its copy
        for (const auto& f : fs::recursive_directory_iterator(tmp, ec))
          fs::permissions(f.path(), fs::perms::owner_write, fs::perm_options::add, ec);
        fs::permissions(tmp, fs::perms::owner_write, fs::perm_options::add, ec);
        fs::remove_all(tmp, ec);
      }
    }
    if (IsRtlSubmission(dest / "submission")) {
      Result<fs::path> built = BuildRtlEntry(o, dest / "submission", name);
      if (!built.ok()) {
        skip(archive, "the RTL build failed: " + built.status().message());
        continue;
      }
      candidates.push_back({*built, name, "", false, "", true, dest / "submission"});
      continue;
    }
    if (!HoldsPlugin(dest / "submission")) {
      skip(archive, "the archive's submission/ folder holds no plugin (.so)");
      continue;
    }
    Log(o, name + ": from " + file + " (verified, unpacked in " + dest.string() + ")");
    candidates.push_back({dest / "submission", name, "", false, "", false, {}});
  }
  plan.rules = std::move(rules);
  plan.rules_text = std::move(rules_text);
  plan.dataset = std::move(*ds);
  plan.split = split;
  return plan;
}

Result<std::vector<JudgedEntry>> Judge(const JudgeOptions& o) {
  Result<JudgePlan> planned = PlanJudge(o);
  if (!planned.ok()) return planned.status();
  const Rules& rules = planned->rules;
  const std::string& rules_text = planned->rules_text;
  const datasets::Dataset* ds = &planned->dataset;
  const std::string& split = planned->split;
  const std::vector<PlannedEntry>& candidates = planned->entries;
  std::vector<JudgedEntry> report = planned->skipped;
  auto skip = [&](const fs::path& folder, const std::string& why) {
    JudgedEntry line;
    line.folder = folder.filename().string();
    line.team_id = line.folder;
    line.status = "skipped";
    line.message = why;
    Log(o, line.folder + ": skipped: " + why);
    report.push_back(line);
  };
  const h::SealSupport seal = h::ProbeSeal();
  if (!seal.full && !o.allow_unsealed)
    return Status::Unsupported(
        "judge", "the full seal cannot be made on this machine (" + seal.reason +
                     "): refusing to run untrusted submissions without it (--allow-unsealed "
                     "judges anyway; every run is then recorded with seal \"reduced\")");
  if (!seal.full) Log(o, "judging UNSEALED (reduced seal): " + seal.reason);

  // One judge per results file, for the whole judge: the lock comes before
  // anything is timed or written (and before the file is checked for damage).
  StoreOptions store_options;
  store_options.writer_lock = true;
  Result<std::unique_ptr<Store>> store = Store::Open(o.db, store_options);
  if (!store.ok() && o.wait && !WriterLock::Holder(o.db).empty()) {
    Log(o, "waiting for the judge that holds " + o.db.string() + ": " + WriterLock::Holder(o.db));
    store_options.wait_for_lock = true;
    store = Store::Open(o.db, store_options);
  }
  if (!store.ok()) return store.status();
  Store& db = **store;

  Log(o, "decoding frames (cached after the first run)");
  datasets::FrameCacheOptions cache_options;
  cache_options.image_limits.max_side = rules.limits.max_image_side;
  cache_options.image_limits.max_pixels = rules.limits.max_image_pixels;
  auto cache = datasets::FrameCache::Open(*ds, split, cache_options);
  if (!cache.ok()) return cache.status();
  FrameCacheSource frames(std::move(*cache));
  if (frames.size() == 0) return Status::InvalidArgument(o.dataset.string(), "no frames to judge");

  Result<StoreContext> sc =
      PrepareStore(db, *ds, split, static_cast<int64_t>(frames.size()), rules, rules_text);
  if (!sc.ok()) return sc.status();

  // Sequential runs on one CPU for fair timing (children inherit the affinity):
  // by default the last CPU this process may use (a Slurm task's own core).
  int cpu = o.cpu;
  if (cpu == -2) {
    cpu_set_t mine;
    CPU_ZERO(&mine);
    cpu = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)) - 1;
    if (sched_getaffinity(0, sizeof mine, &mine) == 0)
      for (int i = 0; i < CPU_SETSIZE; ++i)
        if (CPU_ISSET(i, &mine)) cpu = i;
  }
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
      Log(o, "could not pin to CPU " + std::to_string(cpu) + "; running unpinned");
  }

  uint64_t audit_seed = o.audit_seed;
  if (audit_seed == 0 && getrandom(&audit_seed, sizeof audit_seed, 0) != sizeof audit_seed)
    audit_seed = static_cast<uint64_t>(std::random_device{}()) << 32 | std::random_device{}();
  EvaluationContext ctx;
  ctx.dataset = &*ds;
  ctx.split = split;
  ctx.frames = &frames;
  ctx.rules = &rules;
  ctx.max_frames = o.max_frames;
  ctx.seal = o.allow_unsealed ? h::SealPolicy::kBestEffort : h::SealPolicy::kRequire;
  ctx.sample_noise = o.sample_noise;
  ctx.audit_frames = o.audit_frames;
  if (!o.build_submissions.empty()) {
    Result<h::Submission> noop = h::LoadSubmission(o.build_submissions / "testing" / "noop");
    if (noop.ok()) ctx.noop = *noop;
  }
  const int64_t trials = o.trials > 0 ? o.trials : rules.measurement.trials;

  // Duplicate identity claims: judged under their own team ids, with a warning.
  std::map<std::pair<std::string, std::string>, std::string> claims;
  std::map<std::string, std::string> artifacts;  // team id -> hash at its run
  for (const PlannedEntry& c : candidates) {
    JudgedEntry line;
    line.folder = (c.rtl ? c.source : c.folder).filename().string();
    if (c.rtl && line.folder == "submission") line.folder = c.team_id;  // from an archive
    line.team_id = c.team_id;
    line.reference = c.reference;
    ctx.rtl_built = c.rtl;
    ctx.resources.reset();
    if (c.rtl) ctx.resources = LoadResources(c.folder);
    Result<h::Submission> sub = h::LoadSubmission(c.folder);
    if (!sub.ok()) {
      skip(c.folder, sub.status().message());
      continue;
    }
    line.name = sub->name;
    if (!c.reference) {
      if (std::string why = UnchangedTemplateReason(*sub); !why.empty()) {
        skip(c.folder, why);
        continue;
      }
      auto [it, fresh] = claims.emplace(std::make_pair(sub->team, sub->name), c.team_id);
      if (!fresh)
        Log(o, c.team_id + ": WARNING: claims the same team and name (\"" + sub->team + "\", \"" +
                   sub->name + "\") as " + it->second + "; both are judged under their folders");
    }
    Result<std::string> artifact = ArtifactSha256(sub->dir);
    if (!artifact.ok()) return artifact.status();
    artifacts[c.team_id] = *artifact;
    Result<int64_t> sub_id =
        StoreEntry(db, *sub, *artifact, c.team_id, c.display_name, c.reference, c.track, c.rtl);
    if (!sub_id.ok()) return sub_id.status();
    ctx.audit_seed = audit_seed ^ std::stoull(artifact->substr(0, 15), nullptr, 16);
    for (int64_t trial = 0; trial < trials; ++trial) {
      const RunKey key = KeyFor(*sub_id, *sc, ctx, trial);
      Result<RunTicket> ticket = db.BeginRun(key);
      if (!ticket.ok()) return ticket.status();
      if (trial == 0) line.run_id = ticket->run_id;
      line.partial = key.frame_selection != "all";
      if (ticket->already_complete) {
        RunFilter f;
        f.submission_id = *sub_id;
        Result<std::vector<StoredRun>> runs = db.ListRuns(f);
        if (!runs.ok()) return runs.status();
        for (const StoredRun& r : *runs)
          if (r.id == ticket->run_id && trial == 0) {
            line.status = r.status;
            line.message = r.message;
          }
        line.reused = true;
        ++line.trials;
        continue;
      }
      Log(o,
          c.team_id + ": running" + (trials > 1 ? " trial " + std::to_string(trial + 1) : "") +
              (ticket->attempts > 1 ? " (attempt " + std::to_string(ticket->attempts) + ")" : "") +
              (line.partial ? " on " + key.frame_selection + " frames (partial)" : ""));
      ctx.audits = o.audits && trial == 0;
      ctx.log = [&](const std::string& msg) { Log(o, c.team_id + ": " + msg); };
      RunOutcome out;
      Result<Evaluation> e = EvaluateAndCommit(db, ticket->run_id, *sub, *artifact, ctx, &out);
      if (!e.ok()) return e.status();
      if (trial == 0) {
        line.status = out.status;
        line.message = out.message;
        if (o.on_run) line.report = o.on_run(line.folder, *sub, *e);
      }
      ++line.trials;
    }
    Log(o, c.team_id + ": " + line.status + (line.reused ? " (already judged)" : "") +
               (line.message.empty() ? "" : ": " + line.message));
    report.push_back(line);
  }
  // Nothing a run did may have reached another submission's files.
  for (JudgedEntry& line : report) {
    auto it = artifacts.find(line.team_id);
    if (it == artifacts.end()) continue;
    const PlannedEntry* c = nullptr;
    for (const PlannedEntry& k : candidates)
      if (k.team_id == line.team_id) c = &k;
    if (c == nullptr) continue;
    Result<h::Submission> sub = h::LoadSubmission(c->folder);
    Result<std::string> now =
        sub.ok() ? ArtifactSha256(sub->dir) : Result<std::string>(sub.status());
    if (!now.ok() || *now != it->second) {
      line.message += (line.message.empty() ? "" : "; ") +
                      std::string("WARNING: its files changed during the judge");
      Log(o, line.team_id + ": WARNING: its files changed during the judge (hash " +
                 it->second.substr(0, 12) + " at its run)");
    }
  }
  return report;
}

}  // namespace maskbench::contest
