// Composite score expressions (docs/rules.md, "Composite expressions"):
// arithmetic over metric keys, e.g. "0.7 * speedup / 100 + 0.3 * presentation".
// Pure and thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::contest {

// Checks the syntax and that every key passes `known`; fills *keys with the
// keys used. InvalidArgument names the expression and the character.
Status CheckExpression(const std::string& expression,
                       const std::function<bool(const std::string&)>& known,
                       std::vector<std::string>* keys);

// Evaluates against `values`. InvalidArgument on a syntax error, a missing key
// or a non-finite result.
Result<double> EvaluateExpression(const std::string& expression,
                                  const std::map<std::string, double>& values);

}  // namespace maskbench::contest
