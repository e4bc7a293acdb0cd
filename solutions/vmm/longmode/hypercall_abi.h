// vmm/longmode/hypercall_abi.h — the contract between the workbook's guest and its VMM.
//
// Owns: constants only; included by the freestanding guest and by the VMM, so
// both sides agree on every number. A hypercall is one `in` instruction on
// kHypercallPort, which exits to the VMM (port I/O always does):
//
//   eax = number    rdi = first argument    rsi = second argument
//   in eax, dx      (dx = kHypercallPort)
//   eax = result    (the 4 bytes the VMM answers the read with)
//
// The VMM reads the registers at the exit, does the work, and answers the
// port read; the CPU puts the answer in eax as the `in` completes.
#pragma once

#include <stdint.h>

namespace uh::hypercall {

inline constexpr uint16_t kPort = 0x0500;

enum Number : uint32_t {
  kWrite = 1,  ///< write(const char* buffer, u64 length): console output; returns length
  kExit = 2,   ///< exit(u64 code): the run ends with this code once the guest halts
  kTime = 3,   ///< time(u64* nanoseconds): the host's monotonic clock; returns 0
};

/// Results other than a count: small negative numbers, as errno values.
inline constexpr uint32_t kFault = static_cast<uint32_t>(-14);  ///< -EFAULT: a bad pointer
inline constexpr uint32_t kInvalid =
    static_cast<uint32_t>(-22);  ///< -EINVAL: a bad number or length

/// The most bytes one write may carry.
inline constexpr uint64_t kMaxWrite = 64 * 1024;

}  // namespace uh::hypercall
