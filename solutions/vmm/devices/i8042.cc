#include "vmm/devices/i8042.h"

#include <algorithm>

namespace uh::vmm {

void I8042::read(std::uint64_t offset, std::span<std::uint8_t> data) {
  // Data: no keyboard, nothing to read. Status: both buffers empty, no error.
  // Ports 0x61..0x63 are not ours: nothing answers there, which reads as all ones.
  const std::uint8_t value = (offset == kData || offset == kCommand) ? 0x00 : 0xff;
  std::fill(data.begin(), data.end(), value);
}

void I8042::write(std::uint64_t offset, std::span<const std::uint8_t> data) {
  if (offset != kCommand || data.size() != 1) return;
  if (data[0] == kCommandResetCpu) {
    reset_requested_ = true;
    if (on_reset_) on_reset_();
  }
}

}  // namespace uh::vmm
