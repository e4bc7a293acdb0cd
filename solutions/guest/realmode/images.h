// guest/realmode/images.h — the 16-bit guests of chapter 01, as flat binaries.
//
// Owns: read-only byte images assembled from the .s files beside this header
// at build time (see CMakeLists.txt). Each is linked to run at kLoadAddress.
#pragma once

#include <cstdint>
#include <span>

namespace uh::guest::realmode {

/// Where every image here must be loaded and entered.
inline constexpr std::uint64_t kLoadAddress = 0x1000;

extern const std::span<const std::uint8_t> kHello;        ///< prints "Hello from real mode!\n"
extern const std::span<const std::uint8_t> kRegisters;    ///< BX = 0xbef0, CX = 0x1234
extern const std::span<const std::uint8_t> kCopy;         ///< copies 0x2000..+16 to 0x3000
extern const std::span<const std::uint8_t> kUnknownPort;  ///< writes 0x41 to port 0x99
extern const std::span<const std::uint8_t> kMmioWrite;    ///< writes 0x5a to 0x20000

}  // namespace uh::guest::realmode
