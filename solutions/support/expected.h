// support/expected.h — a value or the reason there is none.
//
// Owns: either a T or an E. For failures that are expected and frequent — a
// malformed frame, a bad signature, a block that breaks a rule — where an
// exception would be the wrong tool: the caller must look at the result.
// A small stand-in for C++23's std::expected, with the same names.
#pragma once

#include <stdexcept>
#include <utility>
#include <variant>

namespace uh {

template <typename E>
struct Unexpected {
  E error;
};

/// Wraps an error so it converts to any Expected<T, E>.
template <typename E>
Unexpected<E> unexpected(E error) {
  return Unexpected<E>{std::move(error)};
}

template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  template <typename G>
  Expected(Unexpected<G> e) : state_(std::in_place_index<1>, std::move(e.error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  /// The value. REQUIRES: has_value(); throws std::logic_error otherwise.
  T& value() & {
    if (!has_value()) throw std::logic_error("Expected::value() called on an error");
    return std::get<0>(state_);
  }
  const T& value() const& {
    if (!has_value()) throw std::logic_error("Expected::value() called on an error");
    return std::get<0>(state_);
  }
  T&& value() && { return std::move(value()); }

  /// The error. REQUIRES: !has_value().
  const E& error() const { return std::get<1>(state_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> state_;
};

}  // namespace uh
