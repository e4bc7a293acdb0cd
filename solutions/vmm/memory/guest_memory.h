// vmm/memory/guest_memory.h — the guest's RAM, seen from the host.
//
// Owns: every region of guest RAM, each an anonymous shared mapping in this
// process. KVM is told about the regions (see Vm::map_memory) and then the
// guest's physical address space and these mappings are the same bytes.
//
// Every access from the host goes through slice(), which checks that the whole
// range lies inside one region with overflow-checked arithmetic. Addresses and
// lengths often come from the guest, so an unchecked access here would let a
// guest make the VMM read or write its own memory.
//
// Never: hands out a pointer that slice() has not checked. Not thread-safe for
// add_region(); concurrent slice() calls are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "support/mapping.h"
#include "vmm/memory/guest_address.h"

namespace uh::vmm {

/// A guest address or range that is not inside guest RAM.
class GuestMemoryError : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

/// One contiguous range of guest RAM and the host mapping behind it.
struct MemoryRegion {
  GuestAddress base;
  Mapping mapping;

  std::uint64_t size() const { return mapping.size(); }
};

class GuestMemory {
 public:
  GuestMemory() = default;

  /// Adds `size` bytes of zeroed RAM at `base`. Both must be multiples of the
  /// 4 KiB page size, and the new region must not overlap an existing one.
  /// Throws GuestMemoryError on a bad range, SysError when mmap fails.
  void add_region(GuestAddress base, std::uint64_t size);

  const std::vector<MemoryRegion>& regions() const { return regions_; }

  /// Total bytes of RAM over all regions.
  std::uint64_t total_size() const;

  /// The host bytes behind guest range [address, address + length).
  /// Throws GuestMemoryError unless the whole range lies inside one region;
  /// a zero-length range is fine anywhere inside or at the end of a region.
  std::span<std::uint8_t> slice(GuestAddress address, std::uint64_t length) const;

  /// Copies `bytes` into guest RAM at `address` (checked by slice()).
  void write(GuestAddress address, std::span<const std::uint8_t> bytes) const;
  /// Copies guest RAM at `address` into `out` (checked by slice()).
  void read(GuestAddress address, std::span<std::uint8_t> out) const;

  /// Reads a trivially copyable T at `address`; no alignment is required.
  template <typename T>
  requires std::is_trivially_copyable_v<T> T read_obj(GuestAddress address)
  const {
    T value;
    read(address, std::as_writable_bytes(std::span(&value, 1)));
    return value;
  }

  /// Writes a trivially copyable T at `address`; no alignment is required.
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void write_obj(GuestAddress address, const T& value) const {
    write(address, std::as_bytes(std::span(&value, 1)));
  }

 private:
  void read(GuestAddress address, std::span<std::byte> out) const;
  void write(GuestAddress address, std::span<const std::byte> bytes) const;

  std::vector<MemoryRegion> regions_;
};

}  // namespace uh::vmm
