// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or an Error{errno, message}, for fallible code that must never throw.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

/// An error: errno (0 when not a system error) and a human-readable message.
struct Error {
  int err = 0;
  std::string what;
};

/// Builds an Error from a message alone (parse and validation errors).
inline Error makeError(std::string what) { return Error{0, std::move(what)}; }

/// Builds an Error from errno and the failed operation's description.
Error systemError(std::string what, int err = errno);

/// A value of T or an Error. Check with `if (!r)` before `*r` or `r.error()`.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit on purpose
  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }
  /// The value, or `fallback` when this holds an error.
  T valueOr(T fallback) const { return *this ? std::get<0>(v_) : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT: implicit on purpose
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

/// The success value of Result<void>.
inline Result<void> ok() { return {}; }

}  // namespace vigil
