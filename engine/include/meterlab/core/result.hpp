// Result<T>: a value or an Error, shaped like std::expected (GCC 12 has none).
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "meterlab/core/error.hpp"

namespace meterlab {

struct Unexpected {
  Error error;
};

constexpr Unexpected fail(Errc code, std::size_t offset) noexcept { return {Error{code, offset}}; }
constexpr Unexpected fail(Error e) noexcept { return {e}; }

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(const T& v) : v_(std::in_place_index<0>, v) {}          // NOLINT
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}    // NOLINT
  Result(Unexpected u) : v_(std::in_place_index<1>, u.error) {}  // NOLINT
  template <class U>
  requires std::is_constructible_v<T, U&&> &&
      (!std::is_same_v<std::decay_t<U>, Result>)&&(!std::is_same_v<std::decay_t<U>, Unexpected>)&&(
          !std::is_same_v<std::decay_t<U>, T>)Result(U&& v)
      : v_(std::in_place_index<0>, T(std::forward<U>(v))) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  // The value: only after has_value() was tested (a debug build asserts it).
  T& value() & {
    assert(has_value());
    return *std::get_if<0>(&v_);
  }
  const T& value() const& {
    assert(has_value());
    return *std::get_if<0>(&v_);
  }
  T&& value() && {
    assert(has_value());
    return std::move(*std::get_if<0>(&v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(value()); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!has_value());
    return *std::get_if<1>(&v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : err_(u.error) {}  // NOLINT
  bool has_value() const noexcept { return err_.code == Errc::ok; }
  explicit operator bool() const noexcept { return has_value(); }
  const Error& error() const { return err_; }

 private:
  Error err_{};
};

}  // namespace meterlab

#define MLAB_CONCAT_INNER(a, b) a##b
#define MLAB_CONCAT(a, b) MLAB_CONCAT_INNER(a, b)

// MLAB_TRY(expr): return the error of a Result<void> (or any Result) if it has one.
#define MLAB_TRY(expr)                                                    \
  do {                                                                    \
    auto&& mlab_try_r_ = (expr);                                          \
    if (!mlab_try_r_) return ::meterlab::Unexpected{mlab_try_r_.error()}; \
  } while (0)

// MLAB_ASSIGN(decl, expr): `auto x` or an existing lvalue takes the value, or the error returns.
#define MLAB_ASSIGN(decl, expr) MLAB_ASSIGN_IMPL(MLAB_CONCAT(mlab_r_, __LINE__), decl, expr)
#define MLAB_ASSIGN_IMPL(tmp, decl, expr)               \
  auto&& tmp = (expr);                                  \
  if (!tmp) return ::meterlab::Unexpected{tmp.error()}; \
  decl = std::move(*tmp)
