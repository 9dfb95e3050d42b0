#pragma once
// Error values for OS-facing and parsing code: a Status carries errno (0 when
// not an OS error) and a message with context; Result<T> is a value or a
// Status. No exceptions cross the datapath layer.

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace vnet {

class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message, int err = 0) {
    Status s;
    s.failed_ = true;
    s.errno_ = err;
    s.message_ = std::move(message);
    return s;
  }
  // An OS error: "context: strerror(err)".
  static Status os_error(const std::string& context, int err);

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return is_ok(); }
  int err() const { return errno_; }
  const std::string& message() const { return message_; }
  // Prefixes the message with more context ("attach vm1-h: ...").
  Status with_context(const std::string& context) const;

 private:
  bool failed_ = false;
  int errno_ = 0;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Status& status() const {
    static const Status ok_status;
    return is_ok() ? ok_status : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vnet
