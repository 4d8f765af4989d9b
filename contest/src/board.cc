#include "maskbench/contest/board.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "maskbench/contest/facts.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/contest/ranking.h"

namespace maskbench::contest {
namespace {

// A stored run with its frames, as the board reads it.
struct Trial {
  const StoredRun* run = nullptr;
  std::vector<int64_t> measured_ns;  // per frame, parent clock
  std::vector<int64_t> modeled_ns;   // per frame, cycles / clock (empty without cycles)
  std::optional<int64_t> measured_headline, modeled_headline;
};

// The runs of one submission in one context, the trials of which are medianed.
struct Selected {
  std::vector<Trial> trials;
  const Trial* median = nullptr;          // by measured headline
  const Trial* median_modeled = nullptr;  // by modeled headline (hardware tracks)
  const Trial* MedianFor(bool modeled) const {
    return modeled && median_modeled != nullptr ? median_modeled : median;
  }
};

// Whether the track's order needs a speedup (its primary key, a tie-break or
// the composite): without a baseline run such a track cannot rank the entry.
bool RanksBySpeedup(const Track& track) {
  auto is_speedup = [](const std::string& key) { return key.rfind("speedup", 0) == 0; };
  if (is_speedup(track.primary.key)) return true;
  for (const RankKey& k : track.tie_breaks)
    if (is_speedup(k.key)) return true;
  return track.composite && track.composite->find("speedup") != std::string::npos &&
         (track.primary.key == "composite" ||
          std::any_of(track.tie_breaks.begin(), track.tie_breaks.end(),
                      [](const RankKey& k) { return k.key == "composite"; }));
}

std::string ContextKey(const StoredRun& r) {
  return r.machine.fingerprint + "|" + r.key.frame_selection + "|" + std::to_string(r.key.warmup) +
         "|" + r.key.harness_version;
}

double Metric(const StoredRun& r, const char* key, double fallback = 0) {
  auto it = r.metrics.find(key);
  return it != r.metrics.end() && it->second ? *it->second : fallback;
}

bool HasMetric(const StoredRun& r, const char* key) {
  auto it = r.metrics.find(key);
  return it != r.metrics.end() && it->second.has_value();
}

std::string WithCommas(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3)
    s.insert(static_cast<size_t>(i), ",");
  return s;
}

class Builder {
 public:
  Builder(Store& store, const Rules& rules, const BoardOptions& options)
      : store_(store), rules_(rules), options_(options) {}

  Result<Board> Build() {
    Result<std::vector<StoredRun>> all = store_.ListRuns({});
    if (!all.ok()) return all.status();
    runs_ = std::move(*all);
    if (runs_.empty())
      return Status::NotFound(store_.path().string(), "no complete run in the results database");
    MB_RETURN_IF_ERROR(ChooseDataset());
    Result<std::vector<EntryInfo>> entries = store_.ListEntries();
    if (!entries.ok()) return entries.status();
    Result<std::vector<OutsideScore>> scores = store_.ListScores();
    if (!scores.ok()) return scores.status();
    for (const OutsideScore& s : *scores) outside_[s.team_id][s.metric] = s.value;

    board_.rules = rules_;
    for (const EntryInfo& e : *entries) {
      Result<Selected> sel = Select(e.submission_id, nullptr);
      if (!sel.ok()) return sel.status();
      if (sel->median == nullptr) continue;  // never run on this data set
      selected_.emplace_back(e, std::move(*sel));
    }
    if (selected_.empty())
      return Status::NotFound(store_.path().string(),
                              "no entry has a complete run on data set " +
                                  board_.dataset.manifest_sha256.substr(0, 12) + " split \"" +
                                  board_.dataset.split + "\"");
    std::set<std::string> machines;
    for (const auto& [entry, sel] : selected_) {
      const StoredRun& r = *sel.median->run;
      if (machines.insert(r.machine.fingerprint).second) board_.machines.push_back(r.machine);
      if (board_.harness_version.empty()) board_.harness_version = r.key.harness_version;
    }
    for (const Track& t : rules_.tracks) {
      Result<BoardTrack> bt = BuildTrack(t);
      if (!bt.ok()) return bt.status();
      board_.tracks.push_back(std::move(*bt));
    }
    return board_;
  }

 private:
  Status ChooseDataset() {
    std::string sha;
    if (!options_.dataset_sha256.empty()) {
      std::set<std::string> matches;
      for (const StoredRun& r : runs_)
        if (r.dataset.manifest_sha256.rfind(options_.dataset_sha256, 0) == 0)
          matches.insert(r.dataset.manifest_sha256);
      if (matches.empty())
        return Status::NotFound(store_.path().string(),
                                "no run on a data set " + options_.dataset_sha256);
      if (matches.size() > 1)
        return Status::InvalidArgument(store_.path().string(),
                                       "data set prefix " + options_.dataset_sha256 + " matches " +
                                           std::to_string(matches.size()));
      sha = *matches.begin();
    } else {
      sha = runs_.front().dataset.manifest_sha256;  // most recently finished
    }
    std::string split = options_.split;
    if (split.empty()) {
      bool rules_split = false;
      for (const StoredRun& r : runs_)
        rules_split =
            rules_split || (r.dataset.manifest_sha256 == sha && r.dataset.split == rules_.split);
      if (rules_split) {
        split = rules_.split;
      } else {
        for (const StoredRun& r : runs_)
          if (r.dataset.manifest_sha256 == sha) {
            split = r.dataset.split;
            break;
          }
      }
    }
    for (const StoredRun& r : runs_)
      if (r.dataset.manifest_sha256 == sha && r.dataset.split == split) {
        board_.dataset = r.dataset;
        break;
      }
    if (board_.dataset.manifest_sha256.empty())
      return Status::NotFound(store_.path().string(), "no run on split \"" + split + "\"");
    return Status::Ok();
  }

  Result<Trial> LoadTrial(const StoredRun& r) {
    Trial t;
    t.run = &r;
    Result<std::vector<FrameFacts>> frames = store_.LoadFrames(r.id);
    if (!frames.ok()) return frames.status();
    const double clock = Metric(r, metric::kClockHz);
    for (const FrameFacts& f : *frames) {
      if (f.latency_ns) t.measured_ns.push_back(*f.latency_ns);
      if (clock > 0 && f.cycles)
        t.modeled_ns.push_back(static_cast<int64_t>(static_cast<long double>(*f.cycles) * 1e9L /
                                                    static_cast<long double>(clock)));
    }
    t.measured_headline = PercentileOf(t.measured_ns, rules_.headline_percentile);
    t.modeled_headline = PercentileOf(t.modeled_ns, rules_.headline_percentile);
    return t;
  }

  // The runs of `submission_id` on the board's data set: those of the latest
  // context (or of `like`'s context when given), partial ones only on request.
  Result<Selected> Select(int64_t submission_id, const StoredRun* like, bool same_machine = true) {
    Selected s;
    std::string context;
    // A complete (all-frames) run wins over any partial one; partial ones are
    // shown only when asked for and when the entry has nothing else.
    bool want_partial = false;
    if (like == nullptr && options_.include_partial) {
      want_partial = true;
      for (const StoredRun& r : runs_)
        if (r.submission_id == submission_id && !r.partial &&
            r.dataset.manifest_sha256 == board_.dataset.manifest_sha256 &&
            r.dataset.split == board_.dataset.split && r.key.scenario == "single-stream")
          want_partial = false;
    }
    for (const StoredRun& r : runs_) {
      if (r.submission_id != submission_id) continue;
      if (r.dataset.manifest_sha256 != board_.dataset.manifest_sha256 ||
          r.dataset.split != board_.dataset.split || r.key.scenario != "single-stream")
        continue;
      if (like == nullptr) {
        if (r.partial != want_partial) continue;
        if (context.empty()) context = ContextKey(r);
        if (ContextKey(r) != context) continue;
      } else {
        if (r.key.frame_selection != like->key.frame_selection) continue;
        if (same_machine && r.machine.fingerprint != like->machine.fingerprint) continue;
        if (r.status != "ok") continue;
        if (context.empty()) context = ContextKey(r);
        if (ContextKey(r) != context) continue;
      }
      Result<Trial> t = LoadTrial(r);
      if (!t.ok()) return t.status();
      s.trials.push_back(std::move(*t));
    }
    if (s.trials.empty()) return s;
    std::vector<const Trial*> order;
    for (const Trial& t : s.trials) order.push_back(&t);
    std::sort(order.begin(), order.end(), [](const Trial* a, const Trial* b) {
      return a->measured_headline.value_or(0) < b->measured_headline.value_or(0);
    });
    s.median = order[(order.size() - 1) / 2];
    std::sort(order.begin(), order.end(), [](const Trial* a, const Trial* b) {
      return a->modeled_headline.value_or(0) < b->modeled_headline.value_or(0);
    });
    s.median_modeled = order[(order.size() - 1) / 2];
    return s;
  }

  const EntryInfo* FindEntry(const std::string& team_id) const {
    for (const auto& [e, sel] : selected_)
      if (e.team_id == team_id) return &e;
    return nullptr;
  }

  Result<BoardTrack> BuildTrack(const Track& track) {
    BoardTrack bt;
    bt.name = track.name;
    bt.latency_kind = track.latency_kind;
    bt.primary = track.primary;
    bt.composite = track.composite;
    bt.board = track.board;
    const bool modeled = track.latency_kind == LatencyKind::kModeled;
    const EntryInfo* baseline = FindEntry(rules_.references.baseline);
    const EntryInfo* gate_ref = FindEntry(rules_.references.gate);
    std::vector<RankInput> inputs;
    std::vector<BoardEntry> entries;
    // One node class: the class most of the track's completed team runs used
    // (ties: the first by name), so one stray node never unranks the rest.
    std::string majority_node;
    if (track.one_node_class) {
      std::map<std::string, int> count;
      for (const auto& [entry, sel] : selected_) {
        const Trial* m = sel.MedianFor(modeled);
        if (m == nullptr || entry.reference || m->run->status != "ok") continue;
        if (modeled && !HasMetric(*m->run, metric::kClockHz)) continue;
        ++count[m->run->machine.node_class];
      }
      int best = 0;
      for (const auto& [node, n] : count)
        if (n > best) best = n, majority_node = node;
    }
    for (const auto& [entry, sel] : selected_) {
      const Trial& t = *sel.MedianFor(modeled);
      const StoredRun& r = *t.run;
      const bool has_cycles = HasMetric(r, metric::kClockHz);
      if (modeled && !has_cycles) continue;  // not a hardware model: not in this track
      BoardEntry be;
      be.team_id = entry.team_id;
      be.display_name = entry.display_name;
      be.submission = r.submission;
      be.reference = entry.reference;
      be.run_id = r.id;
      be.status = r.status;
      be.message = r.message;
      be.partial = r.partial;
      be.frame_selection = r.key.frame_selection;
      be.machine_fingerprint = r.machine.fingerprint;
      be.node_class = r.machine.node_class;
      be.trials = static_cast<int64_t>(sel.trials.size());
      // The audits run once per judgement, on one trial: a failure on any trial counts.
      for (const Trial& other : sel.trials)
        for (const AuditResult& a : other.run->audits) {
          bool seen = false;
          for (AuditResult& have : be.audits)
            if (have.name == a.name) {
              seen = true;
              if (!a.passed && have.passed) have = a;
            }
          if (!seen) be.audits.push_back(a);
        }
      be.pr_curves_metric = r.pr_curves_metric;
      Result<std::vector<PrCurve>> curves = store_.LoadPrCurves(r.id);
      if (!curves.ok()) return curves.status();
      be.pr_curves = std::move(*curves);
      if (has_cycles)
        be.cycles_source =
            r.submission.kind == "rtl" ? "simulated by the harness" : "self-reported";
      {
        const nlohmann::json seal = nlohmann::json::parse(r.seal_json, nullptr, false);
        if (seal.is_object() && seal.contains("level") && seal["level"].is_string()) {
          be.seal_level = seal["level"].get<std::string>();
          if (seal.contains("reason") && seal["reason"].is_string())
            be.seal_reason = seal["reason"].get<std::string>();
        }
      }
      // Stored facts only: what the board derives (headline latency, speedup,
      // gate, composite) is never taken from a row, which older versions wrote.
      static const std::set<std::string> kDerived = {
          metric::kLatencyMs, metric::kLatencyLoMs, metric::kLatencyHiMs, metric::kSpeedup,
          metric::kSpeedupLo, metric::kSpeedupHi,   metric::kComposite,   "gate_passed"};
      for (const auto& [k, v] : r.metrics)
        if (v && !kDerived.count(k)) be.metrics[k] = *v;
      if (auto it = outside_.find(entry.team_id); it != outside_.end())
        for (const auto& [k, v] : it->second) be.metrics[k] = v;
      // A run that did not end ok has no latency to show or rank (a crash's few
      // timed frames say nothing of the submission's speed).
      const bool ok_run = r.status == "ok";
      static const std::vector<int64_t> kNone;
      const std::vector<int64_t>& per_frame = !ok_run   ? kNone
                                              : modeled ? t.modeled_ns
                                                        : t.measured_ns;
      be.frames = static_cast<int64_t>(t.measured_ns.size());
      for (int64_t ns : per_frame) be.latency_ms.push_back(static_cast<double>(ns) / 1e6);
      std::optional<int64_t> headline;
      if (ok_run) headline = modeled ? t.modeled_headline : t.measured_headline;
      if (headline) be.metrics[metric::kLatencyMs] = static_cast<double>(*headline) / 1e6;
      if (auto ci = BootstrapPercentile(per_frame, rules_.headline_percentile,
                                        rules_.uncertainty.bootstrap_samples,
                                        rules_.uncertainty.seed, rules_.uncertainty.confidence)) {
        be.metrics[metric::kLatencyLoMs] = ci->first / 1e6;
        be.metrics[metric::kLatencyHiMs] = ci->second / 1e6;
      }
      if (sel.trials.size() > 1 && headline && *headline > 0) {
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (const Trial& x : sel.trials) {
          const auto v = modeled ? x.modeled_headline : x.measured_headline;
          if (!v) continue;
          lo = std::min(lo, *v);
          hi = std::max(hi, *v);
        }
        be.trial_spread = static_cast<double>(hi - lo) / static_cast<double>(*headline);
      }
      // Speedup: the baseline on the same frames (and machine, for measured latency).
      std::string excluded;
      if (baseline != nullptr && headline && *headline > 0) {
        Result<Selected> b = Select(baseline->submission_id, &r, !modeled);
        if (!b.ok()) return b.status();
        if (b->median != nullptr) {
          const auto base =
              modeled ? b->MedianFor(true)->modeled_headline : b->median->measured_headline;
          if (base) {
            const double base_ms = static_cast<double>(*base) / 1e6;
            if (entry.team_id == rules_.references.baseline) bt.baseline_latency_ms = base_ms;
            be.metrics[metric::kSpeedup] = base_ms / be.metrics[metric::kLatencyMs];
            if (be.metrics.count(metric::kLatencyHiMs) && be.metrics[metric::kLatencyHiMs] > 0) {
              be.metrics[metric::kSpeedupLo] = base_ms / be.metrics[metric::kLatencyHiMs];
              be.metrics[metric::kSpeedupHi] = base_ms / be.metrics[metric::kLatencyLoMs];
            }
          }
        }
      }
      if (!be.metrics.count(metric::kSpeedup) && r.status == "ok" && !entry.reference &&
          RanksBySpeedup(track))
        excluded = "no speedup: no " + rules_.references.baseline + " run on the same frames" +
                   (modeled ? "" : " and machine");
      // The gate: the gate reference on the same frames.
      std::optional<double> gate_value;
      if (gate_ref != nullptr) {
        Result<Selected> g = Select(gate_ref->submission_id, &r, false);
        if (!g.ok()) return g.status();
        if (g->median != nullptr && HasMetric(*g->median->run, track.gate.metric.c_str()))
          gate_value = Metric(*g->median->run, track.gate.metric.c_str());
      }
      // Why it is not ranked, first reason first.
      if (entry.reference) {
        excluded = "organiser reference (shown, never ranked)";
      } else if (r.status != "ok") {
        excluded.clear();  // RankTrack says "run did not complete"
      } else if (r.partial) {
        excluded = "partial run: " + std::to_string(be.frames) + " of " +
                   std::to_string(r.dataset.frames) + " frames (" + r.key.frame_selection + ")";
      } else if (be.frames < rules_.min_frames) {
        excluded = "only " + std::to_string(be.frames) + " frames measured (rules: frames.min " +
                   std::to_string(rules_.min_frames) + ")";
      } else if (!modeled && has_cycles && !track.rank_hardware_models_by_wall_time) {
        excluded =
            "a hardware model (it reports cycles): ranked by modeled latency in a modeled "
            "track, never by its simulator's wall time";
      }
      if (excluded.empty() || excluded.rfind("no speedup", 0) == 0) {
        for (const AuditResult& a : be.audits)
          if (!a.passed) {
            excluded = "failed audit " + a.name + ": " + a.detail;
            break;
          }
      }
      if (excluded.empty() && track.board) {
        const BoardBudget& b = *track.board;
        const std::pair<const char*, int64_t> limits[] = {{metric::kLuts, b.luts},
                                                          {metric::kFfs, b.ffs},
                                                          {metric::kDsps, b.dsps},
                                                          {metric::kBrams, b.brams}};
        const char* names[] = {"LUT", "FF", "DSP", "BRAM"};
        for (size_t k = 0; k < 4 && excluded.empty(); ++k) {
          const auto& [key, limit] = limits[k];
          if (limit <= 0) continue;
          auto it = be.metrics.find(key);
          if (it == be.metrics.end()) {
            excluded = "no FPGA resources reported: cannot check the " + b.part + " budget";
          } else if (it->second > static_cast<double>(limit)) {
            excluded = "does not fit " + b.part + ": " +
                       WithCommas(static_cast<int64_t>(it->second)) + " " + names[k] + " > " +
                       WithCommas(limit);
          }
        }
      }
      if (track.one_node_class && excluded.empty()) {
        if (be.node_class != majority_node)
          excluded = "ran on node class \"" + be.node_class + "\"; the track ranks runs of \"" +
                     majority_node + "\" only";
      }
      if (excluded.empty() && track.gate.enabled && !gate_value && r.status == "ok" &&
          !entry.reference)
        excluded = "no accuracy gate: no " + rules_.references.gate + " run with " +
                   track.gate.metric + " on the same frames";
      RankInput in;
      in.id = be.team_id;
      in.completed = r.status == "ok";
      in.status = r.status;
      in.excluded = excluded;
      in.metrics = be.metrics;
      in.gate_reference = gate_value;
      if (gate_value && !r.partial) bt.gate_reference = gate_value;
      inputs.push_back(std::move(in));
      entries.push_back(std::move(be));
    }
    const std::vector<RankOutput> ranked = RankTrack(inputs, track, std::nullopt);
    for (const RankOutput& o : ranked) {
      auto it = std::find_if(entries.begin(), entries.end(),
                             [&](const BoardEntry& e) { return e.team_id == o.id; });
      BoardEntry e = std::move(*it);
      entries.erase(it);
      e.rank = o.rank;
      e.unranked_reason = o.reason;
      e.gate_passed = o.gate_passed;
      e.score = o.composite;
      bt.entries.push_back(std::move(e));
    }
    AssignTies(&bt);
    return bt;
  }

  // Ranked neighbours whose intervals on the primary key overlap are
  // statistically tied; a chain of overlaps is one group.
  void AssignTies(BoardTrack* bt) {
    const std::string& key = bt->primary.key;
    const char* lo_key = nullptr;
    const char* hi_key = nullptr;
    if (key == metric::kSpeedup) {
      lo_key = metric::kSpeedupLo;
      hi_key = metric::kSpeedupHi;
    } else if (key == metric::kLatencyMs) {
      lo_key = metric::kLatencyLoMs;
      hi_key = metric::kLatencyHiMs;
    } else if (key == metric::kMap50) {
      lo_key = metric::kMap50Lo;
      hi_key = metric::kMap50Hi;
    }
    if (lo_key == nullptr) return;
    int group = 0;
    BoardEntry* prev = nullptr;
    for (BoardEntry& e : bt->entries) {
      if (!e.rank) break;  // ranked entries come first
      const bool has = e.metrics.count(lo_key) && e.metrics.count(hi_key);
      if (prev != nullptr && has) {
        const bool overlap = e.metrics[lo_key] <= prev->metrics[hi_key] &&
                             prev->metrics[lo_key] <= e.metrics[hi_key];
        if (overlap) {
          if (prev->tie_group == 0) prev->tie_group = ++group;
          e.tie_group = prev->tie_group;
        }
      }
      prev = has ? &e : nullptr;
    }
  }

  Store& store_;
  const Rules& rules_;
  const BoardOptions& options_;
  std::vector<StoredRun> runs_;
  std::vector<std::pair<EntryInfo, Selected>> selected_;
  std::map<std::string, std::map<std::string, double>> outside_;
  Board board_;
};

}  // namespace

Result<Board> BuildBoard(Store& store, const Rules& rules, const BoardOptions& options) {
  Builder b(store, rules, options);
  Result<Board> board = b.Build();
  if (!board.ok()) return board.status();
  for (const BoardTrack& t : board->tracks) {
    if (!t.baseline_latency_ms && !t.entries.empty())
      board->notes.push_back("track " + t.name + ": no " + rules.references.baseline +
                             " run on these frames: no speedups");
  }
  return board;
}

}  // namespace maskbench::contest
