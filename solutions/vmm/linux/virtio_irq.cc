#include "vmm/linux/virtio_irq.h"

#include <cstring>

namespace uh::vmm::boot {

namespace {

constexpr std::uint64_t kInterruptStatus = 0x60;  // VIRTIO 1.2, 4.2.2: read-only, no side effect

}  // namespace

void VirtioIrq::read(std::uint64_t offset, std::span<std::uint8_t> data) {
  transport_->read(offset, data);
  update_line();
}

void VirtioIrq::write(std::uint64_t offset, std::span<const std::uint8_t> data) {
  transport_->write(offset, data);
  update_line();
}

void VirtioIrq::update_line() {
  std::uint8_t bytes[4];
  transport_->read(kInterruptStatus, bytes);
  std::uint32_t status;
  std::memcpy(&status, bytes, sizeof status);
  const bool raised = status != 0;
  if (raised == line_) return;
  line_ = raised;
  if (set_line_) set_line_(raised);
}

}  // namespace uh::vmm::boot
