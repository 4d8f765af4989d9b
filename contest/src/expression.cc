#include "maskbench/contest/expression.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace maskbench::contest {
namespace {

// Recursive-descent reader of the composite grammar (docs/rules.md):
//   expr := term (('+' | '-') term)*      term := unary (('*' | '/') unary)*
//   unary := '-' unary | power            power := primary ('^' unary)?
//   primary := number | key | func '(' expr (',' expr)* ')' | '(' expr ')'
// With metrics == nullptr it only checks syntax and collects the keys.
class Expr {
 public:
  Expr(const std::string& text, const std::map<std::string, double>* metrics,
       std::vector<std::string>* keys, const std::function<bool(const std::string&)>* known)
      : s_(text), metrics_(metrics), keys_(keys), known_(known) {}

  Status Run(double* out) {
    *out = Sum();
    if (error_.empty()) {
      Ws();
      if (i_ != s_.size()) Fail("unexpected '" + s_.substr(i_, 1) + "'");
    }
    if (!error_.empty())
      return Status::InvalidArgument("composite \"" + s_ + "\"",
                                     error_ + " at character " + std::to_string(err_pos_ + 1));
    return Status::Ok();
  }

 private:
  void Fail(const std::string& what) {
    if (error_.empty()) {
      error_ = what;
      err_pos_ = i_;
    }
  }
  void Ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Eat(char c) {
    Ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  double Sum() {
    double v = Product();
    for (;;) {
      if (Eat('+'))
        v += Product();
      else if (Eat('-'))
        v -= Product();
      else
        return v;
    }
  }
  double Product() {
    double v = Unary();
    for (;;) {
      if (Eat('*'))
        v *= Unary();
      else if (Eat('/'))
        v /= Unary();
      else
        return v;
    }
  }
  double Unary() {
    if (Eat('-')) return -Unary();
    return Power();
  }
  double Power() {
    double v = Primary();
    if (Eat('^')) return std::pow(v, Unary());
    return v;
  }
  double Primary() {
    if (!error_.empty()) return 0;
    Ws();
    if (i_ >= s_.size()) {
      Fail("unexpected end");
      return 0;
    }
    char c = s_[i_];
    if (c == '(') {
      ++i_;
      double v = Sum();
      if (!Eat(')')) Fail("expected ')'");
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const char* start = s_.c_str() + i_;
      char* end = nullptr;
      double v = std::strtod(start, &end);
      if (end == start) {
        Fail("bad number");
        return 0;
      }
      i_ += size_t(end - start);
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t b = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
        ++i_;
      std::string name = s_.substr(b, i_ - b);
      if (Eat('(')) {
        std::vector<double> args{Sum()};
        while (Eat(',')) args.push_back(Sum());
        if (!Eat(')')) Fail("expected ')' after the arguments of " + name);
        return Call(name, args, b);
      }
      if (known_ != nullptr && !(*known_)(name)) {
        i_ = b;
        Fail("unknown metric key \"" + name + "\"");
        return 0;
      }
      if (keys_) keys_->push_back(name);
      if (!metrics_) return 1.0;
      auto it = metrics_->find(name);
      if (it == metrics_->end()) {
        i_ = b;
        Fail("missing metric \"" + name + "\"");
        return 0;
      }
      return it->second;
    }
    Fail("unexpected '" + std::string(1, c) + "'");
    return 0;
  }
  double Call(const std::string& name, const std::vector<double>& a, size_t pos) {
    auto want = [&](size_t n) {
      if (a.size() != n) {
        i_ = pos;
        Fail(name + " takes " + std::to_string(n) + " argument(s)");
        return false;
      }
      return true;
    };
    if (name == "log") return want(1) ? std::log(a[0]) : 0;
    if (name == "log10") return want(1) ? std::log10(a[0]) : 0;
    if (name == "sqrt") return want(1) ? std::sqrt(a[0]) : 0;
    if (name == "abs") return want(1) ? std::fabs(a[0]) : 0;
    if (name == "min") return want(2) ? std::min(a[0], a[1]) : 0;
    if (name == "max") return want(2) ? std::max(a[0], a[1]) : 0;
    i_ = pos;
    Fail("unknown function \"" + name + "\"");
    return 0;
  }

  const std::string& s_;
  const std::map<std::string, double>* metrics_;
  std::vector<std::string>* keys_;
  const std::function<bool(const std::string&)>* known_;
  size_t i_ = 0;
  std::string error_;
  size_t err_pos_ = 0;
};

}  // namespace

Status CheckExpression(const std::string& expression,
                       const std::function<bool(const std::string&)>& known,
                       std::vector<std::string>* keys) {
  double unused;
  return Expr(expression, nullptr, keys, &known).Run(&unused);
}

Result<double> EvaluateExpression(const std::string& expression,
                                  const std::map<std::string, double>& values) {
  double v = 0;
  MB_RETURN_IF_ERROR(Expr(expression, &values, nullptr, nullptr).Run(&v));
  if (!std::isfinite(v))
    return Status::InvalidArgument("composite \"" + expression + "\"", "result is not finite");
  return v;
}

}  // namespace maskbench::contest
