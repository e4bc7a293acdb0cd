// vmm/linux/virtio_irq.h — a virtio-mmio device's interrupt line, for a guest that waits on it.
//
// Owns: shared ownership of one MmioTransport, and the level of its line.
// The transport only flags interrupts in its InterruptStatus register (the
// workbook's own drivers poll). Linux's virtio_mmio driver instead waits
// for the interrupt the command line named (virtio_mmio.device=...:<irq>),
// and reads and acknowledges InterruptStatus in its handler (VIRTIO 1.2,
// 4.2.3.4). So this wrapper passes every access through to the transport
// and then sets the line to "InterruptStatus is not zero": raised when the
// device uses a buffer or changes its configuration, lowered when the
// driver has acknowledged every cause, a level-triggered line.
//
// Every device action happens inside a guest access (a notify is a register
// write), so checking after each access sees every change. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "vmm/bus/bus_device.h"
#include "vmm/virtio/mmio_transport.h"

namespace uh::vmm::boot {

class VirtioIrq : public BusDevice {
 public:
  /// `set_line` is called with the line's new level each time it changes.
  VirtioIrq(std::shared_ptr<virtio::MmioTransport> transport, std::function<void(bool)> set_line)
      : transport_(std::move(transport)), set_line_(std::move(set_line)) {}

  void read(std::uint64_t offset, std::span<std::uint8_t> data) override;
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override;

  bool line() const { return line_; }
  virtio::MmioTransport& transport() { return *transport_; }

 private:
  void update_line();

  std::shared_ptr<virtio::MmioTransport> transport_;
  std::function<void(bool)> set_line_;
  bool line_ = false;
};

}  // namespace uh::vmm::boot
