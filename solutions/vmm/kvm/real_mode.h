// vmm/kvm/real_mode.h — the register state of a CPU about to run 16-bit code.
//
// Owns: nothing; pure functions over KVM's register structs, so they can be
// tested without /dev/kvm.
#pragma once

#include <linux/kvm.h>

#include "vmm/memory/guest_address.h"

namespace uh::vmm {

/// Real mode can only reach the first 1 MiB + 64 KiB; entry points must be below 1 MiB.
inline constexpr std::uint64_t kRealModeLimit = 0x100000;

/// Prepares `sregs` and `regs` (as read from a fresh vCPU) so the vCPU starts
/// executing 16-bit real-mode code at guest-physical `entry`:
///   - CR0.PE and CR0.PG cleared (real mode, no paging);
///   - CS, DS, ES, FS, GS and SS all with selector entry/16 rounded down to a
///     64 KiB boundary and base = selector * 16 (the "tiny model": code, data
///     and stack share one segment);
///   - RIP = entry - that base, RSP = 0 (the first push wraps to 0xfffe, the
///     top of the segment), RFLAGS = 0x2 (bit 1 is reserved and always set),
///     every other general-purpose register zero.
/// Throws std::invalid_argument when `entry` is not below kRealModeLimit.
void setup_real_mode(kvm_sregs& sregs, kvm_regs& regs, GuestAddress entry);

}  // namespace uh::vmm
