#include "maskbench/contest/scores.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>

#include "maskbench/contest/identity.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/core/text.h"

namespace maskbench::contest {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
  return s.substr(b);
}

}  // namespace

Result<std::vector<OutsideScore>> ParseScoresCsv(std::string_view text, const std::string& where,
                                                 const std::vector<std::string>& known) {
  MB_RETURN_IF_ERROR(CheckUtf8(text, where));
  std::istringstream in{std::string(text)};
  std::string line;
  int no = 0;
  bool header = false;
  std::vector<OutsideScore> out;
  std::set<std::pair<std::string, std::string>> seen;
  while (std::getline(in, line)) {
    ++no;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string here = where + " line " + std::to_string(no);
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) f.push_back(Trim(cell));
    if (!header) {
      if (f != std::vector<std::string>{"team_id", "metric", "value"})
        return Status::InvalidArgument(here, "expected the header \"team_id,metric,value\"");
      header = true;
      continue;
    }
    if (f.size() != 3)
      return Status::InvalidArgument(here, "expected 3 fields, got " + std::to_string(f.size()));
    OutsideScore s;
    s.team_id = f[0];
    s.metric = f[1];
    if (!ValidTeamId(s.team_id))
      return Status::InvalidArgument(here, "team_id \"" + s.team_id + "\" is not a valid team id");
    if (s.metric.empty()) return Status::InvalidArgument(here, "empty metric name");
    if (FindMetric(s.metric) != nullptr || s.metric == metric::kComposite)
      return Status::InvalidArgument(here, "\"" + s.metric +
                                               "\" is a harness metric; outside scores need "
                                               "their own name (e.g. presentation)");
    if (!known.empty() && std::find(known.begin(), known.end(), s.metric) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::InvalidArgument(
          here,
          "metric \"" + s.metric + "\" is not among the rules' outside_scores (" + list + ")");
    }
    const auto r = std::from_chars(f[2].data(), f[2].data() + f[2].size(), s.value);
    if (r.ec != std::errc() || r.ptr != f[2].data() + f[2].size() || !std::isfinite(s.value))
      return Status::InvalidArgument(here, "value \"" + f[2] + "\" is not a finite number");
    if (!seen.insert({s.team_id, s.metric}).second)
      return Status::InvalidArgument(here, "a second " + s.metric + " for " + s.team_id);
    s.source = where;
    out.push_back(std::move(s));
  }
  if (!header) return Status::InvalidArgument(where, "empty: expected \"team_id,metric,value\"");
  return out;
}

}  // namespace maskbench::contest
