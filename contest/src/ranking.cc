#include "maskbench/contest/ranking.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "maskbench/contest/expression.h"

namespace maskbench::contest {

std::string RoundedNumber(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

std::vector<RankOutput> RankTrack(const std::vector<RankInput>& entries, const Track& track,
                                  std::optional<double> gate_reference) {
  std::vector<RankKey> keys{track.primary};
  keys.insert(keys.end(), track.tie_breaks.begin(), track.tie_breaks.end());
  std::vector<RankOutput> out(entries.size());
  std::vector<std::vector<double>> values(entries.size());
  std::vector<size_t> ranked;
  for (size_t i = 0; i < entries.size(); ++i) {
    const RankInput& e = entries[i];
    RankOutput& r = out[i];
    r.id = e.id;
    std::map<std::string, double> m = e.metrics;
    if (track.composite) {
      Result<double> c = EvaluateExpression(*track.composite, m);
      if (c.ok()) {
        r.composite = *c;
        m["composite"] = *c;
      }
    }
    const std::optional<double> reference = e.gate_reference ? e.gate_reference : gate_reference;
    const bool gated = track.gate.enabled && reference.has_value();
    auto gate_value = m.find(track.gate.metric);
    if (gated && e.completed && gate_value != m.end())
      r.gate_passed = GatePassed(gate_value->second, *reference, track.gate.min_ratio);
    if (!e.excluded.empty()) {
      r.reason = e.excluded;
      continue;
    }
    if (!e.completed) {
      r.reason =
          "run did not complete" + (e.status.empty() ? std::string() : " (" + e.status + ")");
      continue;
    }
    if (gated) {
      if (gate_value == m.end()) {
        r.reason = "missing metric " + track.gate.metric + " for the accuracy gate";
        continue;
      }
      if (!*r.gate_passed) {
        r.reason = "accuracy gate: " + track.gate.metric + " " + RoundedNumber(gate_value->second) +
                   " < " + RoundedNumber(track.gate.min_ratio) + " x reference " +
                   RoundedNumber(*reference) + " = " +
                   RoundedNumber(track.gate.min_ratio * *reference);
        continue;
      }
    }
    bool missing = false;
    for (const RankKey& k : keys) {
      auto it = m.find(k.key);
      if (it == m.end() || !std::isfinite(it->second)) {
        if (k.key == "composite") {
          Result<double> c = EvaluateExpression(track.composite.value_or(""), e.metrics);
          r.reason = "composite score: " + c.status().message();
        } else {
          r.reason = "missing metric " + k.key;
        }
        missing = true;
        break;
      }
      values[i].push_back(k.higher_is_better ? it->second : -it->second);
    }
    if (!missing) ranked.push_back(i);
  }
  // Best first: larger (sign-adjusted) values win; stable keeps input order on ties.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](size_t a, size_t b) { return values[a] > values[b]; });
  for (size_t n = 0; n < ranked.size(); ++n) {
    const size_t i = ranked[n];
    if (n > 0 && values[i] == values[ranked[n - 1]]) {
      out[i].rank = out[ranked[n - 1]].rank;
    } else {
      out[i].rank = static_cast<int>(n + 1);
    }
  }
  std::vector<RankOutput> result;
  result.reserve(entries.size());
  for (size_t i : ranked) result.push_back(out[i]);
  for (size_t i = 0; i < entries.size(); ++i)
    if (!out[i].rank) result.push_back(out[i]);
  return result;
}

}  // namespace maskbench::contest
