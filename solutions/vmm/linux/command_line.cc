#include "vmm/linux/command_line.h"

#include <fmt/format.h>

namespace uh::vmm::boot {

KernelCommandLine& KernelCommandLine::add(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      throw CommandLineError(
          fmt::format("command line part \"{}\" holds control character {:#04x} at {}: the "
                      "kernel would cut the line there or misread it",
                      text.substr(0, i), c, i));
    }
  }
  if (text.empty()) return *this;
  if (!text_.empty()) text_ += ' ';
  text_ += text;
  return *this;
}

KernelCommandLine& KernelCommandLine::add_virtio_mmio(std::uint64_t size, GuestAddress base,
                                                      std::uint32_t irq) {
  if (size == 0) throw CommandLineError("virtio_mmio.device: a device of size 0");
  if (!base.checked_add(size)) {
    throw CommandLineError(
        fmt::format("virtio_mmio.device: {:#x} bytes at {:#x} run past 2^64", size, base.value()));
  }
  if (irq == 0) {
    throw CommandLineError("virtio_mmio.device: IRQ 0 is the timer's; give the device its own");
  }
  return add(fmt::format("virtio_mmio.device={:#x}@{:#x}:{}", size, base.value(), irq));
}

std::vector<std::uint8_t> KernelCommandLine::bytes(std::uint32_t cmdline_size) const {
  if (text_.size() > cmdline_size) {
    throw CommandLineError(fmt::format(
        "the command line is {} bytes, longer than the kernel's cmdline_size of {}: \"{}\"",
        text_.size(), cmdline_size, text_));
  }
  std::vector<std::uint8_t> out(text_.begin(), text_.end());
  out.push_back(0);
  return out;
}

}  // namespace uh::vmm::boot
