// vmm/bus/bus_device.h — what a device looks like to the bus.
//
// Owns: nothing; an interface. A device answers reads and writes at an offset
// from the start of its range on a bus. The same interface serves port I/O and
// MMIO, so a device does not care how the guest reached it.
#pragma once

#include <cstdint>
#include <span>

namespace uh::vmm {

class BusDevice {
 public:
  virtual ~BusDevice() = default;

  /// The guest reads `data.size()` bytes at `offset` into the device's range;
  /// fill `data` with the answer.
  virtual void read(std::uint64_t offset, std::span<std::uint8_t> data) = 0;

  /// The guest writes `data` at `offset` into the device's range.
  virtual void write(std::uint64_t offset, std::span<const std::uint8_t> data) = 0;
};

}  // namespace uh::vmm
