// vmm/devices/i8042.h — the PC keyboard controller, only as far as it resets the machine.
//
// Owns: whether the guest has asked for a reset. On a PC the 8042 keyboard
// controller also drives the CPU's reset line: command 0xfe written to port
// 0x64 pulses it. Linux uses that to reboot (`reboot=k` on its command line
// chooses it first), which is how a guest without ACPI stops the machine:
// init exits, the kernel panics, and `panic=-1` makes it reboot at once.
//
// The device spans ports 0x60..0x64: offset 0 is the data port, offset 4
// the status (read) and command (write) port. Its status is always 0, both
// buffers empty, so a guest waiting for the controller to be ready never
// waits; it has no keyboard, so data reads give 0 and every other command
// is ignored. Ports 0x61..0x63 belong to other chips (0x61 is the PIT's
// speaker gate, which KVM's in-kernel PIT answers before we see it).
// Never: resets anything itself; the VMM decides what a reset means.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "vmm/bus/bus_device.h"

namespace uh::vmm {

class I8042 : public BusDevice {
 public:
  static constexpr std::uint16_t kBasePort = 0x60;
  static constexpr std::uint64_t kSize = 5;  ///< 0x60..0x64
  static constexpr std::uint64_t kData = 0;
  static constexpr std::uint64_t kCommand = 4;
  static constexpr std::uint8_t kCommandResetCpu = 0xfe;

  /// `on_reset`, when set, is called each time the guest pulses the reset line.
  explicit I8042(std::function<void()> on_reset = {}) : on_reset_(std::move(on_reset)) {}

  void read(std::uint64_t offset, std::span<std::uint8_t> data) override;
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override;

  /// Whether the guest has asked for a reset since the device was made.
  bool reset_requested() const { return reset_requested_; }

 private:
  std::function<void()> on_reset_;
  bool reset_requested_ = false;
};

}  // namespace uh::vmm
