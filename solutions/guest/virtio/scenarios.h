// guest/virtio/scenarios.h — what the virtio guest can be asked to do, and where its devices are.
//
// Owns: constants shared by the guest, the VMM that places the devices, and
// the tests. The VMM passes a scenario in RDI.
#pragma once

#include <stdint.h>

namespace uh::guest::virtio {

/// Where the VMM puts the virtio-mmio devices: identity-mapped by the page
/// tables (the first GiB), above the guest's RAM.
inline constexpr uint64_t kBlockMmio = 0x3e000000;
inline constexpr uint64_t kConsoleMmio = 0x3e001000;

enum Scenario : uint64_t {
  kBlockRoundTrip = 0,  ///< writes sector 1 (a greeting) and 8..15 (a pattern), flushes, reads back
  kConsoleEcho = 1,     ///< prints over virtio-console, then echoes one line of input
  kBlockReadAll = 2,    ///< reads the whole disk, 64 KiB per request
  kHostileLoop = 3,     ///< notifies a chain whose descriptor points at itself
  kHostileOutside = 4,  ///< notifies a buffer outside RAM
  kBlockBeyondEnd = 5,  ///< reads the sector after the last one: expects IOERR
};

/// The greeting kBlockRoundTrip writes at the start of sector 1.
inline constexpr char kGreeting[] = "Hello from the guest's virtio-blk driver!\n";

}  // namespace uh::guest::virtio
