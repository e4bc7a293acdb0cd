// vmm/virtio/mmio_abi.h — the virtio-mmio register map, shared by device and driver.
//
// Owns: constants only (VIRTIO 1.2, 4.2.2 "MMIO Device Register Layout" and
// 2.1 "Device Status Field"). The VMM's transport and the workbook's
// freestanding guest driver both include it, so the two sides cannot drift.
#pragma once

#include <stdint.h>

namespace uh::virtio_mmio {

enum Register : uint32_t {
  kMagicValue = 0x000,
  kVersion = 0x004,
  kDeviceId = 0x008,
  kVendorId = 0x00c,
  kDeviceFeatures = 0x010,
  kDeviceFeaturesSel = 0x014,
  kDriverFeatures = 0x020,
  kDriverFeaturesSel = 0x024,
  kQueueSel = 0x030,
  kQueueNumMax = 0x034,
  kQueueNum = 0x038,
  kQueueReady = 0x044,
  kQueueNotify = 0x050,
  kInterruptStatus = 0x060,
  kInterruptAck = 0x064,
  kStatus = 0x070,
  kQueueDescLow = 0x080,
  kQueueDescHigh = 0x084,
  kQueueDriverLow = 0x090,
  kQueueDriverHigh = 0x094,
  kQueueDeviceLow = 0x0a0,
  kQueueDeviceHigh = 0x0a4,
  kConfigGeneration = 0x0fc,
  kConfig = 0x100,
};

// Device status bits (2.1).
inline constexpr uint32_t kStatusAcknowledge = 1;
inline constexpr uint32_t kStatusDriver = 2;
inline constexpr uint32_t kStatusDriverOk = 4;
inline constexpr uint32_t kStatusFeaturesOk = 8;
inline constexpr uint32_t kStatusNeedsReset = 64;
inline constexpr uint32_t kStatusFailed = 128;

inline constexpr uint32_t kMagic = 0x74726976;  // "virt", little-endian

}  // namespace uh::virtio_mmio
