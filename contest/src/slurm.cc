#include "maskbench/contest/slurm.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "maskbench/contest/bundle.h"
#include "maskbench/contest/machine.h"
#include "maskbench/contest/pipeline.h"
#include "maskbench/core/files.h"
#include "maskbench/core/process.h"
#include "maskbench/core/version.h"
#include "maskbench/harness/submission.h"

extern char** environ;

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPlanFormat = "maskbench-slurm-plan/1";
constexpr const char* kStateFormat = "maskbench-slurm-state/1";
constexpr const char* kTaskFormat = "maskbench-slurm-task/1";

void Log(const JudgeOptions& o, const std::string& line) {
  if (!o.quiet) std::fprintf(stderr, "maskbench judge (slurm): %s\n", line.c_str());
}

int64_t NowUnix() { return static_cast<int64_t>(std::time(nullptr)); }

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string LastLine(const std::string& text) {
  std::string t = Trim(text);
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// The plan: what each array index judges, and the judge options every task uses.
struct Plan {
  fs::path path;
  fs::path results;
  JudgeOptions judge;
  std::string job_name;
  struct Entry {
    std::string team_id;
    std::string folder;
    bool reference = false;  // a task of its own for each of the rules' references
    std::string artifact;    // the folder's content hash when planned
  };
  std::vector<Entry> entries;
  std::vector<std::string> references;  // the rules' references' team ids
};

json JudgeOptionsJson(const JudgeOptions& o) {
  return {{"submissions", o.submissions.string()},
          {"dataset", o.dataset.string()},
          {"split", o.split},
          {"rules", o.rules.string()},
          {"roster", o.roster.string()},
          {"build_submissions", o.build_submissions.string()},
          {"rtl_builds", o.rtl_builds.string()},
          {"max_frames", o.max_frames},
          {"trials", o.trials},
          {"audit_frames", o.audit_frames},
          {"audits", o.audits},
          {"allow_unsealed", o.allow_unsealed},
          {"sample_noise", o.sample_noise},
          {"pin", o.cpu != -1}};
}

fs::path Absolute(const fs::path& p) { return p.empty() ? p : fs::absolute(p).lexically_normal(); }

Result<Plan> LoadPlan(const fs::path& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  Plan plan;
  plan.path = path;
  try {
    json j = json::parse(*text);
    if (j.value("format", "") != kPlanFormat)
      return Status::InvalidArgument(
          path.string(), "not a maskbench Slurm plan (format \"" + j.value("format", "") + "\")");
    plan.results = j.at("results").get<std::string>();
    plan.job_name = j.at("job_name").get<std::string>();
    const json& o = j.at("judge");
    JudgeOptions& t = plan.judge;
    t.submissions = o.at("submissions").get<std::string>();
    t.dataset = o.at("dataset").get<std::string>();
    t.split = o.at("split").get<std::string>();
    t.rules = o.at("rules").get<std::string>();
    t.roster = o.at("roster").get<std::string>();
    t.build_submissions = o.at("build_submissions").get<std::string>();
    t.rtl_builds = o.value("rtl_builds", std::string());
    t.max_frames = o.at("max_frames").get<int64_t>();
    t.trials = o.at("trials").get<int64_t>();
    t.audit_frames = o.at("audit_frames").get<int>();
    t.audits = o.at("audits").get<bool>();
    t.allow_unsealed = o.at("allow_unsealed").get<bool>();
    t.sample_noise = o.at("sample_noise").get<bool>();
    t.cpu = o.at("pin").get<bool>() ? -2 : -1;
    t.audit_seed = std::stoull(j.at("audit_seed").get<std::string>());
    for (const json& e : j.at("entries"))
      plan.entries.push_back({e.at("team_id").get<std::string>(), e.at("folder").get<std::string>(),
                              e.value("reference", false), e.value("artifact", "")});
    for (const json& r : j.at("references")) plan.references.push_back(r.get<std::string>());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path.string(), std::string("malformed plan: ") + e.what());
  }
  return plan;
}

std::string BundleName(const Plan::Entry& e) { return e.team_id; }

// Everything a plan's tasks write lives under results/<plan name>/, so a new
// plan (new inputs, or a submission's content changed: its hash is in the
// plan) never sees an earlier plan's bundles or references.
fs::path PlanDir(const Plan& plan) { return plan.results / plan.path.stem(); }
fs::path BundleDir(const Plan& plan, const Plan::Entry& e) {
  return PlanDir(plan) / "bundles" / BundleName(e);
}

// Set once a bundle holds `reference`'s ok runs on `machine`.
fs::path ReferenceMarker(const Plan& plan, const std::string& machine,
                         const std::string& reference) {
  return PlanDir(plan) / "references" / machine / reference;
}

// Set when `reference`'s own task starts on `machine` (it is retried until it
// lands, so the entries' tasks there need not measure it).
fs::path ReferenceClaim(const Plan& plan, const std::string& machine,
                        const std::string& reference) {
  return PlanDir(plan) / "references" / machine / (reference + ".claimed");
}

json EntryJson(const JudgedEntry& l) {
  return {{"folder", l.folder},       {"team_id", l.team_id}, {"name", l.name},
          {"reference", l.reference}, {"status", l.status},   {"message", l.message},
          {"reused", l.reused},       {"partial", l.partial}, {"trials", l.trials}};
}

JudgedEntry EntryFromJson(const json& j) {
  JudgedEntry l;
  l.folder = j.value("folder", "");
  l.team_id = j.value("team_id", "");
  l.name = j.value("name", "");
  l.reference = j.value("reference", false);
  l.status = j.value("status", "");
  l.message = j.value("message", "");
  l.reused = j.value("reused", false);
  l.partial = j.value("partial", false);
  l.trials = j.value("trials", int64_t{0});
  return l;
}

// The head's record of one entry.
struct Attempt {
  std::string job;  // "<job id>_<index>"
  std::string state = "SUBMITTED";
  std::string reason;
  std::string node;
  int64_t submitted = 0;  // Unix time
};
struct EntryRecord {
  std::vector<Attempt> attempts;
  bool done = false;
  std::string outcome;  // "imported" or "harness_error"
  std::string message;
};
struct State {
  std::string plan;  // the plan's file name
  std::vector<EntryRecord> entries;
  std::vector<std::string> ignored;  // jobs of attempts given up on (never adopted again)
};

json StateJson(const State& s) {
  json entries = json::array();
  for (const EntryRecord& e : s.entries) {
    json attempts = json::array();
    for (const Attempt& a : e.attempts)
      attempts.push_back({{"job", a.job},
                          {"state", a.state},
                          {"reason", a.reason},
                          {"node", a.node},
                          {"submitted", a.submitted}});
    entries.push_back(
        {{"attempts", attempts}, {"done", e.done}, {"outcome", e.outcome}, {"message", e.message}});
  }
  return {{"format", kStateFormat}, {"plan", s.plan}, {"entries", entries}, {"ignored", s.ignored}};
}

// The state of `plan_name`, or a fresh one when the file is absent or of another plan.
State LoadState(const fs::path& file, const std::string& plan_name, size_t n) {
  State s;
  s.plan = plan_name;
  s.entries.resize(n);
  Result<std::string> text = ReadFile(file);
  if (!text.ok()) return s;
  try {
    json j = json::parse(*text);
    if (j.value("format", "") != kStateFormat || j.value("plan", "") != plan_name) return s;
    if (j.contains("ignored"))
      for (const json& x : j["ignored"]) s.ignored.push_back(x.get<std::string>());
    const json& entries = j.at("entries");
    for (size_t i = 0; i < n && i < entries.size(); ++i) {
      EntryRecord& e = s.entries[i];
      e.done = entries[i].value("done", false);
      e.outcome = entries[i].value("outcome", "");
      e.message = entries[i].value("message", "");
      for (const json& a : entries[i].at("attempts"))
        e.attempts.push_back({a.value("job", ""), a.value("state", ""), a.value("reason", ""),
                              a.value("node", ""), a.value("submitted", int64_t{0})});
    }
  } catch (const std::exception&) {
    // A damaged state file: start over (bundles already present are imported again).
    return State{plan_name, std::vector<EntryRecord>(n), {}};
  }
  return s;
}

Status SaveState(const fs::path& file, const State& s) {
  return WriteFileAtomic(file, StateJson(s).dump(1) + "\n");
}

// What squeue knows of the plan's tasks: "<job>_<index>" -> state, reason, node.
struct QueueLine {
  std::string state, reason, node;
};
Result<std::map<std::string, QueueLine>> QueryQueue(const std::string& job_name) {
  // Our own jobs only: another user's job of the same name is never adopted.
  CommandResult c =
      RunCommand({"squeue", "--me", "-h", "-r", "-t", "all", "-n", job_name, "-o", "%i|%T|%r|%N"});
  if (c.exit_code != 0)
    return Status::IOError("squeue", Trim(c.err.empty() ? c.out : c.err) + " (exit " +
                                         std::to_string(c.exit_code) + ")");
  std::map<std::string, QueueLine> lines;
  size_t pos = 0;
  while (pos < c.out.size()) {
    size_t nl = c.out.find('\n', pos);
    if (nl == std::string::npos) nl = c.out.size();
    std::string line = c.out.substr(pos, nl - pos);
    pos = nl + 1;
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t bar; (bar = line.find('|', start)) != std::string::npos; start = bar + 1)
      f.push_back(line.substr(start, bar - start));
    f.push_back(line.substr(start));
    if (f.size() == 4) lines[f[0]] = {f[1], f[2], f[3]};
  }
  return lines;
}

bool Active(const std::string& state) {
  static const std::set<std::string> kActive = {
      "SUBMITTED",   "PENDING",      "CONFIGURING", "RUNNING",   "COMPLETING", "REQUEUED",
      "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING",    "SUSPENDED", "STAGE_OUT",  "SIGNALING"};
  return kActive.count(state) > 0;
}

bool BundlePresent(const Plan& plan, const Plan::Entry& e) {
  std::error_code ec;
  return fs::is_regular_file(BundleDir(plan, e) / "task.json", ec);
}

// Records entry `e` of `plan` as harness_error (on the head's machine), so the
// board shows it and a later judge tries it again.
Status RecordHarnessError(Store& db, const JudgePlan& jp, const JudgeOptions& o,
                          const PlannedEntry& e, const std::string& message) {
  Result<harness::Submission> sub = harness::LoadSubmission(e.folder);
  if (!sub.ok()) return Status::Ok();  // nothing to record against; the report says why
  Result<std::string> artifact = ArtifactSha256(sub->dir);
  if (!artifact.ok()) return artifact.status();
  Result<int64_t> sub_id =
      StoreEntry(db, *sub, *artifact, e.team_id, e.display_name, e.reference, e.track, e.rtl);
  if (!sub_id.ok()) return sub_id.status();
  const int64_t split_frames =
      static_cast<int64_t>(jp.dataset.manifest.FramesOfSplit(jp.split).size());
  Result<StoreContext> sc =
      PrepareStore(db, jp.dataset, jp.split, split_frames, jp.rules, jp.rules_text);
  if (!sc.ok()) return sc.status();
  EvaluationContext ctx;
  ctx.rules = &jp.rules;
  ctx.max_frames = o.max_frames;
  const RunKey key = KeyFor(*sub_id, *sc, ctx, 0);
  Result<RunTicket> ticket = db.BeginRun(key);
  if (!ticket.ok()) return ticket.status();
  if (ticket->already_complete) return Status::Ok();
  RunOutcome out;
  out.status = kStatusHarnessError;
  out.message = message;
  out.rules_sha256 = jp.rules.sha256;
  out.partial = key.frame_selection != "all";
  return db.CommitRun(ticket->run_id, out);
}

// Imports the bundle of `e` from a node-local copy (SQLite must not write beside
// a file on a shared file system). Returns the task's report lines.
Result<std::vector<JudgedEntry>> ImportTaskBundle(Store& db, const Plan& plan, const Plan::Entry& e,
                                                  int index) {
  const fs::path dir = BundleDir(plan, e);
  Result<std::string> task = ReadFile(dir / "task.json");
  if (!task.ok()) return task.status();
  std::vector<JudgedEntry> lines;
  try {
    json j = json::parse(*task);
    if (j.value("format", "") != kTaskFormat)
      return Status::InvalidArgument((dir / "task.json").string(), "not a maskbench task record");
    if (j.value("team_id", "") != e.team_id || j.value("index", -1) != index)
      return Status::InvalidArgument(
          (dir / "task.json").string(),
          "a record of another task (team \"" + j.value("team_id", "") + "\")");
    for (const json& l : j.at("entries")) lines.push_back(EntryFromJson(l));
  } catch (const std::exception& ex) {
    return Status::InvalidArgument((dir / "task.json").string(),
                                   std::string("malformed task record: ") + ex.what());
  }
  // A task may bring its own entry's runs and the references', nothing else.
  std::set<std::string> allowed(plan.references.begin(), plan.references.end());
  allowed.insert(e.team_id);
  char tmpl[] = "/tmp/maskbench-import-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Status::IOError("/tmp", "cannot make a temporary folder");
  const fs::path local = fs::path(tmpl) / "results.sqlite";
  std::error_code ec;
  fs::copy_file(dir / "results.sqlite", local, ec);
  Result<BundleImport> imported =
      ec ? Result<BundleImport>(
               Status::IOError((dir / "results.sqlite").string(), "cannot copy: " + ec.message()))
         : ImportBundle(db, local, &allowed);
  fs::remove_all(tmpl, ec);
  if (!imported.ok()) return imported.status();
  return lines;
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string Hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

fs::path DefaultSlurmResults(const fs::path& db) {
  fs::path p = Absolute(db);
  return p.parent_path() / (p.filename().string() + ".slurm");
}

Result<std::vector<JudgedEntry>> JudgeOnSlurm(const SlurmOptions& so) {
  JudgeOptions o = so.judge;
  o.submissions = Absolute(o.submissions);
  o.dataset = Absolute(o.dataset);
  o.rules = Absolute(o.rules);
  o.roster = Absolute(o.roster);
  o.build_submissions = Absolute(o.build_submissions);
  // RTL entries are built once, by the head's plan, where every task finds them.
  if (o.rtl_builds.empty()) o.rtl_builds = Absolute(fs::path(o.db.string() + ".rtl"));
  if (o.on_run)
    return Status::Unsupported("judge",
                               "--reports is not available with --executor slurm yet "
                               "(write the reports afterwards with a local judge)");
  if (o.allow_unsealed)
    return Status::Unsupported(
        "judge",
        "--allow-unsealed is refused with --executor slurm: an unsealed plugin could "
        "write the shared results folder that every task and the head trust");
  for (const std::string& a : so.sbatch_args)
    for (const char* ours : {"--job-name", "-J", "--array", "-a", "--output", "-o", "--error", "-e",
                             "--chdir", "-D", "--parsable", "--wrap"})
      if (a == ours || a.rfind(std::string(ours) + "=", 0) == 0 ||
          (ours[1] != '-' && a.rfind(ours, 0) == 0 && a.size() > 2))
        return Status::InvalidArgument(
            "--sbatch-arg", "\"" + a + "\" would override what the head sets itself (" + ours +
                                "); use --job-name, --results or --max-parallel instead");
  Result<JudgePlan> jp = PlanJudge(o);
  if (!jp.ok()) return jp.status();
  const fs::path results = so.results.empty() ? DefaultSlurmResults(o.db) : Absolute(so.results);
  fs::path exe = so.maskbench;
  if (exe.empty()) {
    std::error_code ec;
    exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return Status::IOError("/proc/self/exe", "cannot find this executable");
  }

  // The plan: a task per reference (they run first), then one per team entry.
  json entries = json::array(), references = json::array();
  std::vector<const PlannedEntry*> planned;
  for (const PlannedEntry& e : jp->entries) {
    // The content's hash is part of the plan: a submission changed since an
    // earlier judge makes a new plan, whose tasks run it again.
    Result<std::string> artifact = ArtifactSha256(e.folder);
    entries.push_back({{"team_id", e.team_id},
                       {"folder", e.folder.string()},
                       {"reference", e.reference},
                       {"artifact", artifact.ok() ? *artifact : std::string()}});
    if (e.reference) references.push_back(e.team_id);
    planned.push_back(&e);
  }
  json plan_doc = {{"format", kPlanFormat},
                   {"results", results.string()},
                   {"judge", JudgeOptionsJson(o)},
                   {"entries", entries},
                   {"references", references}};
  const std::string hash = Sha256Hex(plan_doc.dump() + HarnessVersion()).substr(0, 12);
  const fs::path plan_path = results / ("plan-" + hash + ".json");
  uint64_t seed = o.audit_seed;
  if (Result<Plan> old = LoadPlan(plan_path); old.ok()) {
    seed = old->judge.audit_seed;  // a rerun of the same plan keeps its secret
  } else if (seed == 0 && getrandom(&seed, sizeof seed, 0) != sizeof seed) {
    return Status::IOError("getrandom", "no random audit seed");
  }
  plan_doc["audit_seed"] = std::to_string(seed);
  plan_doc["job_name"] = so.job_name.empty() ? "mbj-" + hash : so.job_name;
  for (const fs::path& sub : {results / "logs", results / plan_path.stem() / "bundles",
                              results / plan_path.stem() / "references"}) {
    std::error_code ec;
    fs::create_directories(sub, ec);
    if (ec) return Status::IOError(sub.string(), "cannot create: " + ec.message());
  }
  {
    // The plan holds the audits' secret seed: for the judge's eyes only.
    std::error_code ec;
    fs::permissions(results, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (Status s = WriteFileAtomic(plan_path, plan_doc.dump(1) + "\n"); !s.ok()) return s;
  const fs::path script = results / "task.sh";
  if (Status s = WriteFileAtomic(script,
                                 "#!/bin/sh\n# Written by maskbench judge --executor "
                                 "slurm: one array task judges one entry of the plan $1.\n"
                                 "exec " +
                                     ShellQuote(exe.string()) +
                                     " judge --task-plan \"$1\" --task-index "
                                     "\"$SLURM_ARRAY_TASK_ID\"\n");
      !s.ok())
    return s;
  Result<Plan> plan = LoadPlan(plan_path);
  if (!plan.ok()) return plan.status();

  // The store: this head is its only writer for the whole judge.
  StoreOptions store_options;
  store_options.writer_lock = true;
  store_options.wait_for_lock = o.wait;
  Result<std::unique_ptr<Store>> store = Store::Open(o.db, store_options);
  if (!store.ok()) return store.status();
  Store& db = **store;

  const fs::path state_file = results / "state.json";
  State state = LoadState(state_file, plan_path.filename().string(), plan->entries.size());
  for (size_t i = 0; i < state.entries.size(); ++i) {
    EntryRecord& r = state.entries[i];
    if (r.done && r.outcome == "harness_error") {
      Log(o, BundleName(plan->entries[i]) + ": failed in an earlier judge; trying again");
      for (const Attempt& a : r.attempts) state.ignored.push_back(a.job);
      r = EntryRecord{};
    }
  }
  Log(o, std::to_string(plan->entries.size()) + " task(s); plan " + plan_path.string());

  std::map<size_t, std::vector<JudgedEntry>> task_lines;
  for (;;) {
    // 1. Import what has landed.
    for (size_t i = 0; i < plan->entries.size(); ++i) {
      EntryRecord& r = state.entries[i];
      if (!BundlePresent(*plan, plan->entries[i]) || (r.done && task_lines.count(i))) continue;
      Result<std::vector<JudgedEntry>> lines =
          ImportTaskBundle(db, *plan, plan->entries[i], static_cast<int>(i));
      if (!lines.ok()) {
        // Set aside (kept for a look), counted as a failed attempt, run again.
        const fs::path dir = BundleDir(*plan, plan->entries[i]);
        std::error_code ec;
        fs::rename(dir, dir.string() + ".refused-" + std::to_string(NowUnix()), ec);
        Log(o, BundleName(plan->entries[i]) + ": its results bundle was refused (" +
                   lines.status().message() + "); set aside, the task runs again");
        r.done = false;
        if (r.attempts.empty()) r.attempts.push_back({"", "", "", "", NowUnix()});
        r.attempts.back().state = "BUNDLE_REFUSED";
        r.attempts.back().reason = lines.status().message().substr(0, 300);
        if (Status st = SaveState(state_file, state); !st.ok()) return st;
        continue;
      }
      task_lines[i] = *lines;
      if (!r.done) {
        r.done = true;
        r.outcome = "imported";
        for (const JudgedEntry& l : *lines)
          if (l.team_id == plan->entries[i].team_id) r.message = l.status;
        Log(o, BundleName(plan->entries[i]) + ": imported (" + r.message + ")");
        if (Status s = SaveState(state_file, state); !s.ok()) return s;
      }
    }
    if (std::all_of(state.entries.begin(), state.entries.end(),
                    [](const EntryRecord& r) { return r.done; }))
      break;

    // 2. The queue: update each live attempt, adopt tasks submitted by a head
    // that was killed before it could record them.
    Result<std::map<std::string, QueueLine>> queue = QueryQueue(plan->job_name);
    if (!queue.ok()) Log(o, "cannot read the queue (will retry): " + queue.status().message());
    if (queue.ok())
      for (const auto& [job, line] : *queue) {
        size_t bar = job.rfind('_');
        if (bar == std::string::npos) continue;
        size_t index = std::strtoul(job.c_str() + bar + 1, nullptr, 10);
        if (index >= state.entries.size()) continue;
        auto& attempts = state.entries[index].attempts;
        if (state.entries[index].done ||
            std::find(state.ignored.begin(), state.ignored.end(), job) != state.ignored.end())
          continue;
        const std::string job_id = job;  // a structured binding cannot be captured (C++20)
        if (std::none_of(attempts.begin(), attempts.end(),
                         [&](const Attempt& a) { return a.job == job_id; })) {
          attempts.push_back({job, line.state, line.reason, line.node, NowUnix()});
          // Oldest first, by job id (numerically: "99_3" before "100_3").
          std::stable_sort(attempts.begin(), attempts.end(),
                           [](const Attempt& a, const Attempt& b) {
                             return std::strtoull(a.job.c_str(), nullptr, 10) <
                                    std::strtoull(b.job.c_str(), nullptr, 10);
                           });
        }
      }
    std::vector<size_t> submit;
    for (size_t i = 0; i < plan->entries.size(); ++i) {
      EntryRecord& r = state.entries[i];
      if (r.done) continue;
      const std::string name = BundleName(plan->entries[i]);
      if (!r.attempts.empty()) {
        Attempt& a = r.attempts.back();
        if (queue.ok()) {
          auto it = queue->find(a.job);
          if (it != queue->end()) {
            if (a.state != it->second.state && !o.quiet)
              Log(o, name + ": job " + a.job + " " + it->second.state +
                         (it->second.node.empty() ? "" : " on " + it->second.node));
            a.state = it->second.state;
            a.reason = it->second.reason;
            if (!it->second.node.empty()) a.node = it->second.node;
          } else if (NowUnix() - a.submitted > 30 && Active(a.state)) {
            a.state = "VANISHED";
            a.reason = "no longer known to Slurm";
          }
        }
        if (Active(a.state) || !queue.ok()) continue;
        if (BundlePresent(*plan, plan->entries[i])) continue;  // landed since step 1
      }
      if (static_cast<int>(r.attempts.size()) >= so.max_attempts) {
        const Attempt& a = r.attempts.back();
        Result<std::string> log_text = ReadFile(results / "logs" / (a.job + ".out"));
        std::string why = "slurm: " + std::to_string(r.attempts.size()) +
                          " attempt(s) failed; the last, job " + a.job +
                          (a.node.empty() ? "" : " on " + a.node) + ": " + a.state +
                          (a.reason.empty() || a.reason == "None" ? "" : " (" + a.reason + ")");
        if (log_text.ok() && !LastLine(*log_text).empty())
          why += "; its last line: " + LastLine(*log_text).substr(0, 300);
        Log(o, name + ": giving up: " + why);
        r.done = true;
        r.outcome = "harness_error";
        r.message = why;
        if (plan->entries[i].reference) {
          // Its claims are void: entries' tasks measure this reference themselves now.
          std::error_code ec;
          for (const auto& m : fs::directory_iterator(PlanDir(*plan) / "references", ec))
            fs::remove(m.path() / (plan->entries[i].team_id + ".claimed"), ec);
        }
        if (Status s = RecordHarnessError(db, *jp, o, *planned[i], why); !s.ok()) return s;
        if (Status s = SaveState(state_file, state); !s.ok()) return s;
        continue;
      }
      if (!r.attempts.empty())
        Log(o, name + ": job " + r.attempts.back().job + " ended " + r.attempts.back().state +
                   " without results; submitting it again (attempt " +
                   std::to_string(r.attempts.size() + 1) + " of " +
                   std::to_string(so.max_attempts) + ")");
      submit.push_back(i);
    }

    // 3. Submit what needs a (new) attempt: the references' tasks first, as an
    // array of their own (so the scheduler starts them first), then the entries'.
    std::vector<size_t> ref_tasks, team_tasks;
    for (size_t i : submit) (plan->entries[i].reference ? ref_tasks : team_tasks).push_back(i);
    for (const std::vector<size_t>* tasks : {&ref_tasks, &team_tasks}) {
      if (tasks->empty()) continue;
      std::string indices;
      for (size_t i : *tasks) indices += (indices.empty() ? "" : ",") + std::to_string(i);
      if (so.max_parallel > 0) indices += "%" + std::to_string(so.max_parallel);
      std::vector<std::string> argv = {"sbatch",
                                       "--parsable",
                                       "--job-name=" + plan->job_name,
                                       "--array=" + indices,
                                       "--output=" + (results / "logs" / "%A_%a.out").string(),
                                       "--chdir=" + results.string(),
                                       "--ntasks=1",
                                       "--cpus-per-task=1"};
      if (!so.partition.empty()) argv.push_back("--partition=" + so.partition);
      for (const std::string& arg : so.sbatch_args) argv.push_back(arg);
      argv.push_back(script.string());
      argv.push_back(plan_path.string());
      CommandResult c = RunCommand(argv);
      const std::string job = Trim(c.out.substr(0, c.out.find(';')));
      if (c.exit_code != 0 || job.empty() ||
          job.find_first_not_of("0123456789") != std::string::npos)
        return Status::IOError(
            "sbatch", "refused the job array: " + Trim(c.err.empty() ? c.out : c.err) + " (exit " +
                          std::to_string(c.exit_code) + ")");
      for (size_t i : *tasks)
        state.entries[i].attempts.push_back(
            {job + "_" + std::to_string(i), "SUBMITTED", "", "", NowUnix()});
      Log(o, "submitted job " + job + " (array " + indices + ")");
      if (Status s = SaveState(state_file, state); !s.ok()) return s;
    }
    if (Status s = SaveState(state_file, state); !s.ok()) return s;
    std::this_thread::sleep_for(std::chrono::duration<double>(so.poll_seconds));
  }
  if (Status s = SaveState(state_file, state); !s.ok()) return s;

  // The report: the folders skipped, the references (once), then each entry.
  std::vector<JudgedEntry> report = jp->skipped, refs;
  std::set<std::string> refs_seen;
  for (size_t i = 0; i < plan->entries.size(); ++i) {
    const EntryRecord& r = state.entries[i];
    const Plan::Entry& e = plan->entries[i];
    if (r.outcome == "harness_error") {
      JudgedEntry line;
      line.folder = planned[i]->folder.filename().string();
      line.team_id = e.team_id;
      line.reference = e.reference;
      line.status = kStatusHarnessError;
      line.message = r.message;
      report.push_back(line);
      continue;
    }
    for (const JudgedEntry& l : task_lines[i]) {
      if (l.reference) {
        if (refs_seen.insert(l.team_id).second) refs.push_back(l);
      } else if (l.team_id == e.team_id || (l.status == "skipped" && !e.reference)) {
        report.push_back(l);
      }
    }
  }
  report.insert(report.begin() + static_cast<std::ptrdiff_t>(jp->skipped.size()), refs.begin(),
                refs.end());
  return report;
}

Status RunSlurmTask(const fs::path& plan_path, int index) {
  Result<Plan> plan = LoadPlan(plan_path);
  if (!plan.ok()) return plan.status();
  if (index < 0 || static_cast<size_t>(index) >= plan->entries.size())
    return Status::InvalidArgument(plan_path.string(),
                                   "no task " + std::to_string(index) + " (the plan has " +
                                       std::to_string(plan->entries.size()) + ")");
  const Plan::Entry& entry = plan->entries[static_cast<size_t>(index)];
  if (!entry.artifact.empty()) {
    Result<std::string> now = ArtifactSha256(entry.folder);
    if (!now.ok()) return now.status();
    if (*now != entry.artifact)
      return Status::InvalidArgument(entry.folder,
                                     "changed since the judge planned it (run the "
                                     "judge again: it makes a new plan)");
  }
  JudgeOptions o = plan->judge;
  const std::string machine = ThisMachine().fingerprint;
  std::error_code ec;
  if (entry.reference) {
    o.only_references = {entry.team_id};
    o.only = {"/"};  // no team id: a reference's task judges that reference only
    if (Status c = WriteFileAtomic(
            ReferenceClaim(*plan, machine, entry.team_id),
            (std::getenv("SLURM_JOB_ID") ? std::getenv("SLURM_JOB_ID") : "") + std::string("\n"));
        !c.ok())
      return c;
  } else {
    // A reference is measured by its own task, once per machine; an entry's task
    // on a machine no reference task has reached measures them here, so that its
    // speedups divide latencies of one machine.
    o.references =
        std::any_of(plan->references.begin(), plan->references.end(), [&](const std::string& r) {
          return !fs::exists(ReferenceMarker(*plan, machine, r), ec) &&
                 !fs::exists(ReferenceClaim(*plan, machine, r), ec);
        });
    o.only = {entry.team_id};
  }
  const char* tmp_root = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp_root && *tmp_root ? tmp_root : "/tmp") + "/maskbench-task-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr)
    return Status::IOError(tmpl, "cannot make the task's node-local folder: " + ErrnoText(errno));
  const fs::path local(tmpl);
  o.db = local / "results.sqlite";
  const std::string started = NowUtcIso8601();
  std::fprintf(stderr, "maskbench task %d (%s) on %s, machine %s, references %s\n", index,
               BundleName(entry).c_str(), Hostname().c_str(), machine.c_str(),
               entry.reference ? "this one"
               : o.references  ? "measured here"
                               : "already measured on this machine");
  Result<std::vector<JudgedEntry>> report = Judge(o);
  if (!report.ok()) {
    fs::remove_all(local, ec);
    return report.status();
  }
  json lines = json::array();
  for (const JudgedEntry& l : *report) lines.push_back(EntryJson(l));
  const char* job = std::getenv("SLURM_ARRAY_JOB_ID");
  json task = {{"format", kTaskFormat},
               {"index", index},
               {"team_id", entry.team_id},
               {"job", (job ? std::string(job) : std::string("")) + "_" + std::to_string(index)},
               {"node", Hostname()},
               {"machine", machine},
               {"references", o.references},
               {"started", started},
               {"finished", NowUtcIso8601()},
               {"entries", lines}};
  // Published whole: the head sees the folder with both files, or nothing.
  std::error_code mk;
  fs::create_directories(BundleDir(*plan, entry).parent_path(), mk);
  Result<StagingDir> staging = StagingDir::Create(BundleDir(*plan, entry));
  if (!staging.ok()) {
    fs::remove_all(local, ec);
    return staging.status();
  }
  Result<std::string> db_bytes = ReadFile(o.db);
  Status s = db_bytes.ok() ? WriteFileAtomic(staging->staging() / "results.sqlite", *db_bytes)
                           : db_bytes.status();
  if (s.ok()) s = WriteFileAtomic(staging->staging() / "task.json", task.dump(1) + "\n");
  if (s.ok()) s = staging->Commit();
  fs::remove_all(local, ec);
  if (!s.ok()) return s;
  for (const JudgedEntry& l : *report)
    if (l.reference && l.status != "skipped" &&
        !fs::exists(ReferenceMarker(*plan, machine, l.team_id), ec))
      if (Status m =
              WriteFileAtomic(ReferenceMarker(*plan, machine, l.team_id), BundleName(entry) + "\n");
          !m.ok())
        return m;
  std::fprintf(stderr, "maskbench task %d: results in %s\n", index,
               BundleDir(*plan, entry).c_str());
  return Status::Ok();
}

Result<std::vector<SlurmEntryState>> SlurmStatus(const fs::path& results) {
  Result<std::string> text = ReadFile(results / "state.json");
  if (!text.ok())
    return Status::NotFound((results / "state.json").string(),
                            "no Slurm judge has run with this results folder");
  std::string plan_name;
  try {
    plan_name = json::parse(*text).at("plan").get<std::string>();
  } catch (const std::exception& e) {
    return Status::InvalidArgument((results / "state.json").string(), e.what());
  }
  Result<Plan> plan = LoadPlan(results / plan_name);
  if (!plan.ok()) return plan.status();
  State state = LoadState(results / "state.json", plan_name, plan->entries.size());
  Result<std::map<std::string, QueueLine>> queue = QueryQueue(plan->job_name);
  std::vector<SlurmEntryState> out;
  for (size_t i = 0; i < plan->entries.size(); ++i) {
    const EntryRecord& r = state.entries[i];
    SlurmEntryState e;
    e.team_id = BundleName(plan->entries[i]);
    e.attempts = static_cast<int>(r.attempts.size());
    if (!r.attempts.empty()) {
      const Attempt& a = r.attempts.back();
      e.job = a.job;
      e.node = a.node;
      std::string st = a.state, reason = a.reason;
      if (queue.ok()) {
        auto it = queue->find(a.job);
        if (it != queue->end()) {
          st = it->second.state;
          reason = it->second.reason;
          if (!it->second.node.empty()) e.node = it->second.node;
        }
      }
      if (r.done) {
        e.state = r.outcome == "harness_error" ? "failed" : "done";
        e.message = r.message;
      } else if (BundlePresent(*plan, plan->entries[i])) {
        e.state = "done";
        e.message = "results landed; the head imports them on its next pass";
      } else if (st == "PENDING" || st == "SUBMITTED" || st == "CONFIGURING") {
        e.state = "queued";
        e.message = reason == "None" ? "" : reason;
      } else if (Active(st)) {
        e.state = "running";
      } else {
        e.state = "retrying";
        e.message = "job " + a.job + " ended " + st + " without results";
      }
    } else {
      e.state = r.done ? "done" : "planned";
      e.message = r.message;
    }
    if (!queue.ok() && e.state != "done" && e.state != "failed")
      e.message +=
          (e.message.empty() ? "" : "; ") + std::string("squeue: ") + queue.status().message();
    out.push_back(e);
  }
  return out;
}

}  // namespace maskbench::contest
