// vmm/bus/io_bus.h — a map from address ranges to devices.
//
// Owns: shared ownership of the devices inserted (a device may sit on more
// than one bus). A VMM has two: one for x86 I/O ports (0..0xffff) and one for
// MMIO addresses. When the guest touches an address that is not RAM, KVM exits
// to us and the exit loop asks the right bus which device answers.
//
// Invariant: ranges on a bus never overlap, so every address has at most one
// device. Not thread-safe: insert before the vCPUs run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "vmm/bus/bus_device.h"

namespace uh::vmm {

/// A half-open range [base, base + size) of bus addresses.
struct BusRange {
  std::uint64_t base = 0;
  std::uint64_t size = 0;
};

/// An insert() that would break the bus's invariant.
class BusError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class IoBus {
 public:
  /// `name` appears in errors ("port I/O bus", "MMIO bus").
  explicit IoBus(std::string name) : name_(std::move(name)) {}

  /// Puts `device` at `range`. Throws BusError when the range is empty, runs
  /// past 2^64, or overlaps a device already on the bus.
  void insert(BusRange range, std::shared_ptr<BusDevice> device);

  /// Sends a guest read of `data.size()` bytes at `address` to the device
  /// whose range holds all of them, with the offset from that range's base.
  /// Returns false when no device does: none at `address`, or an access that
  /// starts inside a range and runs past its end (no device ever sees bytes
  /// outside its own range).
  bool read(std::uint64_t address, std::span<std::uint8_t> data) const;

  /// Sends a guest write to its device, with the same rule; false when there is none.
  bool write(std::uint64_t address, std::span<const std::uint8_t> data) const;

  const std::string& name() const { return name_; }

 private:
  struct Entry {
    BusRange range;
    std::shared_ptr<BusDevice> device;
  };

  /// The entry whose range holds all of [address, address + length), or
  /// nullptr. REQUIRES: length >= 1.
  const Entry* find(std::uint64_t address, std::uint64_t length) const;

  std::string name_;
  std::map<std::uint64_t, Entry> devices_;  // keyed by range.base
};

}  // namespace uh::vmm
