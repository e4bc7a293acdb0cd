// guest/longmode/image.h — the workbook's 64-bit guest, as an ELF file.
//
// Owns: read-only bytes, compiled from main.cc and start.S beside this header
// with freestanding flags and linker.ld (see CMakeLists.txt).
#pragma once

#include <cstdint>
#include <span>

namespace uh::guest::longmode {

extern const std::span<const std::uint8_t> kGuestElf;

}  // namespace uh::guest::longmode
