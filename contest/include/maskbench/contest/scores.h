// Scores from outside the harness (a presentation score): a CSV with the
// header `team_id,metric,value`, one score a line. The rules list the metric
// names composites may use (Rules::outside_scores). Pure and thread-safe.
#pragma once

#include <filesystem>
#include <vector>

#include "maskbench/contest/store.h"
#include "maskbench/core/status.h"

namespace maskbench::contest {

// Parses the CSV text; errors name `where` and the line. Metric names must be
// listed in `known` (the rules' outside scores) when it is not empty.
Result<std::vector<OutsideScore>> ParseScoresCsv(std::string_view text, const std::string& where,
                                                 const std::vector<std::string>& known);

}  // namespace maskbench::contest
