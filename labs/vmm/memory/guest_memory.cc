// Your workspace for chapter 01: write the code where the LAB markers are.
// Made from solutions/vmm/memory/guest_memory.cc by ci/labgen.py; `./lab test 01` checks your work,
// `./lab hint 01` helps, `./lab reset 01` brings this skeleton back.
#include "vmm/memory/guest_memory.h"

#include <fmt/format.h>

#include <cstring>
#include "support/todo.h"

namespace uh::vmm {

namespace {

constexpr std::uint64_t kPageSize = 4096;

std::string describe(GuestAddress address, std::uint64_t length) {
  return fmt::format("guest range [{:#x}, +{:#x})", address.value(), length);
}

}  // namespace

void GuestMemory::add_region(GuestAddress base, std::uint64_t size) {
  if (size == 0 || size % kPageSize != 0 || base.value() % kPageSize != 0) {
    throw GuestMemoryError(
        fmt::format("guest RAM at {:#x} of {:#x} bytes: base and size must "
                    "be non-zero multiples of 4 KiB",
                    base.value(), size));
  }
  auto end = base.checked_add(size);
  if (!end) throw GuestMemoryError(describe(base, size) + " runs past the top of memory");
  for (const MemoryRegion& r : regions_) {
    // Two half-open ranges overlap when each starts before the other ends.
    if (base.value() < r.base.value() + r.size() && r.base < *end) {
      throw GuestMemoryError(fmt::format("{} overlaps the RAM region at {:#x} of {:#x} bytes",
                                         describe(base, size), r.base.value(), r.size()));
    }
  }
  regions_.push_back(MemoryRegion{base, Mapping::anonymous(size, describe(base, size))});
}

std::uint64_t GuestMemory::total_size() const {
  std::uint64_t total = 0;
  for (const MemoryRegion& r : regions_) total += r.size();
  return total;
}

std::span<std::uint8_t> GuestMemory::slice(GuestAddress address, std::uint64_t length) const {
  // LAB(01.1) Find the region holding all of [address, address + length) and return its host bytes;
  // throw GuestMemoryError otherwise.
  throw uh::Todo("01.1",
                 "Find the region holding all of [address, address + length) and return its host "
                 "bytes; throw GuestMemoryError otherwise.");
  // END LAB
}

void GuestMemory::write(GuestAddress address, std::span<const std::uint8_t> bytes) const {
  write(address, std::as_bytes(bytes));
}

void GuestMemory::read(GuestAddress address, std::span<std::uint8_t> out) const {
  read(address, std::as_writable_bytes(out));
}

void GuestMemory::write(GuestAddress address, std::span<const std::byte> bytes) const {
  std::span<std::uint8_t> target = slice(address, bytes.size());
  if (!bytes.empty()) std::memcpy(target.data(), bytes.data(), bytes.size());
}

void GuestMemory::read(GuestAddress address, std::span<std::byte> out) const {
  std::span<std::uint8_t> source = slice(address, out.size());
  if (!out.empty()) std::memcpy(out.data(), source.data(), out.size());
}

}  // namespace uh::vmm
