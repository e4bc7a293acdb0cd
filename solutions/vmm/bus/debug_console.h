// vmm/bus/debug_console.h — the simplest device there is: bytes out.
//
// Owns: the text the guest has written so far. Any byte the guest writes to
// the console's port is appended; a read returns 0xe9, the port's own number,
// which is how a guest can tell the console is there (the Bochs and QEMU
// "debugcon" convention on port 0xe9). Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "vmm/bus/bus_device.h"

namespace uh::vmm {

class DebugConsole : public BusDevice {
 public:
  /// The port the console sits on by convention.
  static constexpr std::uint16_t kPort = 0xe9;

  /// `echo`, when set, also receives every byte as it arrives (the demo prints
  /// the guest's text live with it).
  explicit DebugConsole(std::function<void(char)> echo = {}) : echo_(std::move(echo)) {}

  void read(std::uint64_t offset, std::span<std::uint8_t> data) override;
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override;

  /// Everything written so far.
  const std::string& output() const { return output_; }

 private:
  std::function<void(char)> echo_;
  std::string output_;
};

}  // namespace uh::vmm
