// The anchor for lab bench 01: the same guest run by the shortest possible VMM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace uh::bench {

/// Runs `image` (loaded at 0x1000, real mode) with straight-line ioctls and no
/// abstractions, the way the minimal "KVM hello world" programs do. Returns the
/// number of bytes the guest wrote to port 0xe9; throws on any failure.
std::size_t run_raw_vmm(std::span<const std::uint8_t> image);

}  // namespace uh::bench
