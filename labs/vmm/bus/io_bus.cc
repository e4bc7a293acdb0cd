// Your workspace for chapter 01: write the code where the LAB markers are.
// Made from solutions/vmm/bus/io_bus.cc by ci/labgen.py; `./lab test 01` checks your work,
// `./lab hint 01` helps, `./lab reset 01` brings this skeleton back.
#include "vmm/bus/io_bus.h"

#include <fmt/format.h>

#include <iterator>
#include <utility>
#include "support/todo.h"

namespace uh::vmm {

void IoBus::insert(BusRange range, std::shared_ptr<BusDevice> device) {
  // LAB(01.2) Reject an empty range, one that runs past 2^64 and one that
  // overlaps a device already on the bus; then add the device.
  throw uh::Todo("01.2",
                 "Reject an empty range, one that runs past 2^64 and one that overlaps a device "
                 "already on the bus; then add the device.");
  // END LAB
}

const IoBus::Entry* IoBus::find(std::uint64_t address, std::uint64_t length) const {
  // LAB(01.2) Return the entry whose range holds all of [address, address + length), or nullptr.
  throw uh::Todo("01.2",
                 "Return the entry whose range holds all of [address, address + length), or "
                 "nullptr.");
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
