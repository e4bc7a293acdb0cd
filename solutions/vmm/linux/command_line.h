// vmm/linux/command_line.h — the kernel command line, built from parts.
//
// Owns: the text of one command line. Linux splits its command line at
// spaces into parameters (Documentation/admin-guide/kernel-parameters.rst);
// a VMM uses it to say what the kernel cannot discover on a machine with no
// firmware tables: which console to write to, how to reboot, and where the
// virtio-mmio devices are:
//
//   virtio_mmio.device=<size>@<base address>:<irq>
//
// one such parameter per device (drivers/virtio/virtio_mmio.c, "Device
// parameters"). The kernel only reads them when it was built with
// CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES; Firecracker's guest kernels are, the
// Debian cloud kernel is not (it finds its virtio devices on PCI).
//
// The guest reads the line up to its NUL and the protocol bounds its length
// (cmdline_size), so a NUL or a control character in a part is refused: it
// would cut the line short or make it ambiguous. Not thread-safe.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/memory/guest_address.h"

namespace uh::vmm::boot {

/// A part that cannot go on a command line, or a line that is too long.
class CommandLineError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class KernelCommandLine {
 public:
  KernelCommandLine() = default;
  /// Starts from `text` (one or more space-separated parameters).
  explicit KernelCommandLine(std::string_view text) { add(text); }

  /// Appends `text`, one or more space-separated parameters, after a space.
  /// Empty text adds nothing. Throws CommandLineError when `text` holds a
  /// NUL or another control character.
  KernelCommandLine& add(std::string_view text);

  /// Appends `virtio_mmio.device=<size>@<base>:<irq>` for a virtio-mmio
  /// device whose registers are [base, base + size), raising `irq`, written
  /// in hex as Linux's own documentation does ("0x200@0xd0000000:5").
  /// Throws CommandLineError for size 0, a range that wraps, or irq 0.
  KernelCommandLine& add_virtio_mmio(std::uint64_t size, GuestAddress base, std::uint32_t irq);

  const std::string& str() const { return text_; }

  /// The bytes to copy into guest RAM: the line and its terminating NUL.
  /// Throws CommandLineError when the line is longer than `cmdline_size`
  /// (the kernel's limit, which does not count the NUL).
  std::vector<std::uint8_t> bytes(std::uint32_t cmdline_size) const;

 private:
  std::string text_;
};

}  // namespace uh::vmm::boot
