// Status and Result<T>: how maskbench reports failures caused by user input or I/O.
//
// A Status is either ok or carries a code and a message. Messages name the file,
// the record and what was expected, e.g.
//   Status::Corruption("ds/manifest.json", "frame 12: missing sha256").
// Result<T> holds either a value or a non-ok Status. Both are plain values and
// are safe to copy and move between threads; they are not internally synchronised.
//
// Internal invariants (programming errors, not user errors) use MB_CHECK, which
// aborts with the condition, the file and the line.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace maskbench {

class Status {
 public:
  enum class Code { kOk = 0, kInvalidArgument, kNotFound, kCorruption, kIOError, kUnsupported };

  Status() = default;
  static Status Ok() { return Status(); }
  // Bad user input: a flag, a value out of range, a malformed record.
  static Status InvalidArgument(std::string where, std::string what) {
    return Status(Code::kInvalidArgument, Join(where, what));
  }
  static Status NotFound(std::string where, std::string what) {
    return Status(Code::kNotFound, Join(where, what));
  }
  // Data that does not match what it claims: a bad hash, a truncated file, bad XML.
  static Status Corruption(std::string where, std::string what) {
    return Status(Code::kCorruption, Join(where, what));
  }
  static Status IOError(std::string where, std::string what) {
    return Status(Code::kIOError, Join(where, what));
  }
  static Status Unsupported(std::string where, std::string what) {
    return Status(Code::kUnsupported, Join(where, what));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // The full message: "where: what" (empty when ok).
  const std::string& message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static std::string Join(const std::string& where, const std::string& what) {
    if (where.empty()) return what;
    if (what.empty()) return where;
    return where + ": " + what;
  }
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) std::abort();                     // a Result without a value needs a failure
  }
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

namespace internal {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line, const std::string& msg);
}  // namespace internal

}  // namespace maskbench

// Aborts with context when an internal invariant does not hold.
#define MB_CHECK(cond)                                                              \
  do {                                                                              \
    if (!(cond)) ::maskbench::internal::CheckFailed(#cond, __FILE__, __LINE__, ""); \
  } while (0)
#define MB_CHECK_MSG(cond, msg)                                                      \
  do {                                                                               \
    if (!(cond)) ::maskbench::internal::CheckFailed(#cond, __FILE__, __LINE__, msg); \
  } while (0)

// Returns early from a function returning Status or Result<T> when `expr` fails.
#define MB_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::maskbench::Status mb_status_ = (expr); \
    if (!mb_status_.ok()) return mb_status_; \
  } while (0)
