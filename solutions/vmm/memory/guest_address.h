// vmm/memory/guest_address.h — a guest-physical address as its own type.
//
// Owns: nothing; a value type. A GuestAddress can never be mixed up with a host
// pointer, a length or a port number by accident: the compiler refuses. All
// arithmetic on it is checked, because guests choose these numbers.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

namespace uh::vmm {

class GuestAddress {
 public:
  constexpr GuestAddress() = default;
  constexpr explicit GuestAddress(std::uint64_t value) : value_(value) {}

  constexpr std::uint64_t value() const { return value_; }

  /// `*this + offset`, or nothing when the sum would pass 2^64 - 1.
  constexpr std::optional<GuestAddress> checked_add(std::uint64_t offset) const {
    if (offset > UINT64_MAX - value_) return std::nullopt;
    return GuestAddress(value_ + offset);
  }

  constexpr auto operator<=>(const GuestAddress&) const = default;

 private:
  std::uint64_t value_ = 0;
};

}  // namespace uh::vmm
