// raft/types.h — the numbers Raft is made of, each its own type.
//
// Owns: nothing; value types. Terms and log indexes are both 64-bit
// counters, and mixing them up is the classic Raft bug ("compared the term
// with the index"). Separate types make that a compile error. Node ids are
// plain integers: they are only ever compared for equality.
#pragma once

#include <compare>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace uh::raft {

template <typename Tag>
class Counter {
 public:
  constexpr Counter() = default;
  constexpr explicit Counter(std::uint64_t value) : value_(value) {}
  constexpr std::uint64_t value() const { return value_; }

  constexpr Counter next() const { return Counter(value_ + 1); }
  /// One less, or zero at zero.
  constexpr Counter prev() const { return Counter(value_ == 0 ? 0 : value_ - 1); }
  constexpr Counter operator+(std::uint64_t n) const { return Counter(value_ + n); }
  constexpr Counter operator-(std::uint64_t n) const { return Counter(value_ - n); }
  /// The distance from `other` up to this one. REQUIRES: other <= *this.
  constexpr std::uint64_t operator-(Counter other) const { return value_ - other.value_; }
  constexpr auto operator<=>(const Counter&) const = default;

  friend std::ostream& operator<<(std::ostream& out, Counter c) { return out << c.value_; }

 private:
  std::uint64_t value_ = 0;
};

/// A Raft term: increases monotonically; at most one leader per term.
using Term = Counter<struct TermTag>;
/// A position in the replicated log; the first entry has index 1, 0 means "none".
using LogIndex = Counter<struct LogIndexTag>;

/// A node's id; 0 is never a valid id ("no one").
using NodeId = std::uint64_t;
inline constexpr NodeId kNoNode = 0;

}  // namespace uh::raft
