#include "vmm/bus/debug_console.h"

#include <algorithm>

namespace uh::vmm {

void DebugConsole::read(std::uint64_t /*offset*/, std::span<std::uint8_t> data) {
  std::fill(data.begin(), data.end(), std::uint8_t{kPort & 0xff});
}

void DebugConsole::write(std::uint64_t /*offset*/, std::span<const std::uint8_t> data) {
  for (std::uint8_t byte : data) {
    char c = static_cast<char>(byte);
    output_.push_back(c);
    if (echo_) echo_(c);
  }
}

}  // namespace uh::vmm
