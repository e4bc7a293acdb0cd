// guest/virtio/image.h — the guest with polling virtio drivers, as an ELF file.
#pragma once

#include <cstdint>
#include <span>

namespace uh::guest::longmode {

extern const std::span<const std::uint8_t> kVirtioGuestElf;

}  // namespace uh::guest::longmode
