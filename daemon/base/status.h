// Status and Result<T>: how errors travel inside zhiban.
//
// Exceptions from protobuf, cppzmq, RocksDB and Boost are caught where those
// libraries are called and turned into a Status; inside, functions return
// Status or Result<T>. A message names the field, key or peer at fault.
// (After leveldb/include/leveldb/status.h and absl::Status.)
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace zhiban {

// Canonical codes; they map 1:1 onto zhiban.v1.ErrorCode at the ctl edge.
enum class Code {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kResourceExhausted,
  kUnavailable,
  kInternal,
  kUnimplemented,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  // Factories name the field first, then the message (one order for all, so
  // two strings cannot be swapped by accident); those without a field take
  // only the message.
  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string field, std::string message) {
    return {Code::kInvalidArgument, std::move(message), std::move(field)};
  }
  static Status NotFound(std::string field, std::string message) {
    return {Code::kNotFound, std::move(message), std::move(field)};
  }
  static Status AlreadyExists(std::string field, std::string message) {
    return {Code::kAlreadyExists, std::move(message), std::move(field)};
  }
  static Status FailedPrecondition(std::string message) {
    return {Code::kFailedPrecondition, std::move(message)};
  }
  static Status FailedPrecondition(std::string field, std::string message) {
    return {Code::kFailedPrecondition, std::move(message), std::move(field)};
  }
  static Status PermissionDenied(std::string message) {
    return {Code::kPermissionDenied, std::move(message)};
  }
  static Status ResourceExhausted(std::string message) {
    return {Code::kResourceExhausted, std::move(message)};
  }
  static Status ResourceExhausted(std::string field, std::string message) {
    return {Code::kResourceExhausted, std::move(message), std::move(field)};
  }
  static Status Unavailable(std::string message) {
    return {Code::kUnavailable, std::move(message)};
  }
  static Status Internal(std::string message) { return {Code::kInternal, std::move(message)}; }
  static Status Unimplemented(std::string message) {
    return {Code::kUnimplemented, std::move(message)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }

  // "INVALID_ARGUMENT: center.parent_id: center \"x\" does not exist"
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string field_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  // The value, or `fallback` when there is none (for a caller to whom the
  // error means "unknown", such as a gauge).
  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace zhiban

// Returns early from the enclosing function when `expr` is not OK.
#define ZB_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::zhiban::Status zb_status_ = (expr);    \
    if (!zb_status_.ok()) return zb_status_; \
  } while (0)

// Evaluates `rexpr` (a Result<T>); returns its Status early when not OK,
// otherwise moves its value into `lhs`, which may declare a variable:
//   ZB_ASSIGN_OR_RETURN(auto rows, store.Scan(family));
#define ZB_ASSIGN_OR_RETURN(lhs, rexpr) \
  ZB_ASSIGN_OR_RETURN_IMPL(ZB_STATUS_CONCAT(zb_result_, __LINE__), lhs, rexpr)
#define ZB_ASSIGN_OR_RETURN_IMPL(result, lhs, rexpr) \
  auto result = (rexpr);                             \
  if (!result.ok()) return result.status();          \
  lhs = std::move(result).value()
#define ZB_STATUS_CONCAT(a, b) ZB_STATUS_CONCAT_IMPL(a, b)
#define ZB_STATUS_CONCAT_IMPL(a, b) a##b
