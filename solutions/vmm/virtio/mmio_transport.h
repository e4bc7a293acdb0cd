// vmm/virtio/mmio_transport.h — virtio over memory-mapped registers (virtio-mmio, version 2).
//
// Owns: one device's transport state (status, feature selections, queue
// registers, the queues themselves once ready) and the device behind it.
//
// A driver finds a virtio-mmio device at an address it was told (a device
// tree, or Linux's `virtio_mmio.device=` command line) and talks to it only
// through the registers of VIRTIO 1.2, 4.2.2, 32-bit reads and writes:
//
//   0x000 MagicValue "virt"   0x004 Version 2     0x008 DeviceID   0x00c VendorID
//   0x010 DeviceFeatures      0x014 DeviceFeaturesSel
//   0x020 DriverFeatures      0x024 DriverFeaturesSel
//   0x030 QueueSel  0x034 QueueNumMax  0x038 QueueNum  0x044 QueueReady  0x050 QueueNotify
//   0x060 InterruptStatus     0x064 InterruptACK      0x070 Status
//   0x080/84 QueueDesc  0x090/94 QueueDriver (available)  0x0a0/a4 QueueDevice (used)
//   0x0fc ConfigGeneration    0x100... the device's configuration space
//
// The status handshake (3.1.1): reset (write 0), ACKNOWLEDGE, DRIVER, read
// features, write the subset it wants, FEATURES_OK (the device may refuse by
// leaving the bit clear), set up queues, DRIVER_OK. A write to QueueNotify
// makes the device process that queue at once, on the vCPU's thread; a
// broken queue makes the device set DEVICE_NEEDS_RESET (2.1.2) and ignore
// the queue until the driver resets it. Interrupts are only flagged in
// InterruptStatus: the workbook's drivers poll. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vmm/bus/bus_device.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/mmio_abi.h"
#include "vmm/virtio/queue.h"

namespace uh::vmm::virtio {

// The status bits, in this namespace too: devices and tests use them.
using virtio_mmio::kStatusAcknowledge;
using virtio_mmio::kStatusDriver;
using virtio_mmio::kStatusDriverOk;
using virtio_mmio::kStatusFailed;
using virtio_mmio::kStatusFeaturesOk;
using virtio_mmio::kStatusNeedsReset;

/// VIRTIO_F_VERSION_1 (6): a modern device; the only kind this transport offers.
inline constexpr std::uint64_t kFeatureVersion1 = 1ull << 32;

inline constexpr std::uint32_t kMagic = 0x74726976;   // "virt", little-endian
inline constexpr std::uint32_t kVendor = 0x42575548;  // "HUWB": this workbook

/// What a virtio device does, behind any transport.
class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;
  /// 5 "Device Types": 2 block, 3 console, ...
  virtual std::uint32_t device_id() const = 0;
  /// Device-specific feature bits offered (VERSION_1 is added by the transport).
  virtual std::uint64_t features() const = 0;
  virtual unsigned queue_count() const = 0;
  /// Reads `data.size()` bytes of the configuration space at `offset`;
  /// bytes past its end read as 0.
  virtual void read_config(std::uint64_t offset, std::span<std::uint8_t> data) const = 0;
  /// Handles every chain available in `queue` (queue number `index`).
  /// Returns an error for a guest mistake the device cannot go on from.
  virtual Expected<bool, QueueError> process(unsigned index, SplitQueue& queue) = 0;
  /// The driver accepted `features` (called at FEATURES_OK).
  virtual void set_features(std::uint64_t features) { (void)features; }
  /// The driver reset the device: forget everything it set up.
  virtual void reset() {}
};

class MmioTransport : public BusDevice {
 public:
  /// Registers and configuration space: 0x100 + 0x100 bytes.
  static constexpr std::uint64_t kWindowSize = 0x200;

  /// REQUIRES: `memory` outlives the transport.
  MmioTransport(const GuestMemory& memory, std::shared_ptr<VirtioDevice> device);

  void read(std::uint64_t offset, std::span<std::uint8_t> data) override;
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override;

  std::uint32_t status() const { return status_; }
  /// Why the device last set DEVICE_NEEDS_RESET, for the VMM's log and tests.
  const std::string& last_error() const { return last_error_; }
  VirtioDevice& device() { return *device_; }

  /// Handles the device's queue `index` as a notify would (a device with
  /// input of its own, like a console with keystrokes waiting, calls it).
  void kick(unsigned index);

 private:
  struct QueueRegisters {
    std::uint16_t size = 0;
    bool ready = false;
    std::uint64_t descriptors = 0, available = 0, used = 0;
    std::optional<SplitQueue> queue;  ///< made when the driver sets QueueReady
  };

  std::uint32_t read_register(std::uint64_t offset);
  void write_register(std::uint64_t offset, std::uint32_t value);
  void set_status(std::uint32_t value);
  void needs_reset(const std::string& why);
  void reset();

  const GuestMemory& memory_;
  std::shared_ptr<VirtioDevice> device_;
  std::uint32_t status_ = 0;
  std::uint32_t device_features_sel_ = 0;
  std::uint32_t driver_features_sel_ = 0;
  std::uint64_t driver_features_ = 0;
  std::uint32_t queue_sel_ = 0;
  std::uint32_t interrupt_status_ = 0;
  std::vector<QueueRegisters> queues_;
  std::string last_error_;
};

}  // namespace uh::vmm::virtio
