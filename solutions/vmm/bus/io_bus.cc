#include "vmm/bus/io_bus.h"

#include <fmt/format.h>

#include <iterator>
#include <utility>

namespace uh::vmm {

void IoBus::insert(BusRange range, std::shared_ptr<BusDevice> device) {
  // LAB(01.2) Reject an empty range, one that runs past 2^64 and one that
  // overlaps a device already on the bus; then add the device.
  if (range.size == 0) {
    throw BusError(fmt::format("{}: empty range at {:#x}", name_, range.base));
  }
  if (range.size - 1 > UINT64_MAX - range.base) {
    throw BusError(fmt::format("{}: range at {:#x} of {:#x} bytes runs past 2^64", name_,
                               range.base, range.size));
  }
  std::uint64_t last = range.base + (range.size - 1);
  // The first device starting after `last` and the one before it are the only
  // candidates for overlap, because ranges on the bus never overlap each other.
  auto next = devices_.upper_bound(last);
  if (next != devices_.begin()) {
    const BusRange& before = std::prev(next)->second.range;
    if (before.base + (before.size - 1) >= range.base) {
      throw BusError(fmt::format("{}: range [{:#x}, {:#x}] overlaps the device at [{:#x}, {:#x}]",
                                 name_, range.base, last, before.base,
                                 before.base + (before.size - 1)));
    }
  }
  devices_.emplace(range.base, Entry{range, std::move(device)});
  // END LAB
}

const IoBus::Entry* IoBus::find(std::uint64_t address, std::uint64_t length) const {
  // LAB(01.2) Return the entry whose range holds all of [address, address + length), or nullptr.
  auto it = devices_.upper_bound(address);
  if (it == devices_.begin()) return nullptr;
  const Entry& entry = std::prev(it)->second;
  std::uint64_t offset = address - entry.range.base;  // no underflow: base <= address
  // Both sides count "bytes after the first": no sum that could wrap.
  if (offset > entry.range.size - 1 || length - 1 > entry.range.size - 1 - offset) return nullptr;
  return &entry;
  // END LAB
}

bool IoBus::read(std::uint64_t address, std::span<std::uint8_t> data) const {
  if (data.empty()) return false;
  const Entry* entry = find(address, data.size());
  if (entry == nullptr) return false;
  entry->device->read(address - entry->range.base, data);
  return true;
}

bool IoBus::write(std::uint64_t address, std::span<const std::uint8_t> data) const {
  if (data.empty()) return false;
  const Entry* entry = find(address, data.size());
  if (entry == nullptr) return false;
  entry->device->write(address - entry->range.base, data);
  return true;
}

}  // namespace uh::vmm
