// Status and Result: errors that a caller must handle, as values.
//
// A Status is either OK or carries a Code that tells the caller what kind of
// failure it is, and a message that names the field or the check that failed.
// Assertions are for our own bugs; everything a user, a peer or a disk can do
// wrong comes back as a Status.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace custos {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input; the message names the field and the reason
    kCorruption,       // a hash, signature or proof does not check
    kUnauthorized,     // the author key may not do this now
    kNotFound,
    kAlreadyExists,    // e.g. a replayed submission
    kIOError,          // the disk or the OS failed
    kFailedPrecondition,
    kAborted,          // not done because another part of the same batch failed
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Unauthorized(std::string msg) { return Status(Code::kUnauthorized, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status AlreadyExists(std::string msg) { return Status(Code::kAlreadyExists, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status FailedPrecondition(std::string msg) { return Status(Code::kFailedPrecondition, std::move(msg)); }
  static Status Aborted(std::string msg) { return Status(Code::kAborted, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<kind>: <message>", e.g. "invalid argument: body.subjectListed.subject.id: bad check character".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context + ": "`, unless it
  // already begins so (a server's "submit: …" seen by the client's submit).
  Status WithContext(const std::string& context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {     // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace custos

// Returns early from the enclosing function if `expr` (a Status) is not OK.
#define CUSTOS_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::custos::Status _custos_s = (expr);        \
    if (!_custos_s.ok()) return _custos_s;      \
  } while (0)

#define CUSTOS_CONCAT_INNER(a, b) a##b
#define CUSTOS_CONCAT(a, b) CUSTOS_CONCAT_INNER(a, b)
// `CUSTOS_ASSIGN_OR_RETURN(auto x, ExprReturningResult());`
#define CUSTOS_ASSIGN_OR_RETURN(lhs, expr) \
  CUSTOS_ASSIGN_OR_RETURN_IMPL(CUSTOS_CONCAT(_custos_r, __LINE__), lhs, expr)
#define CUSTOS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
