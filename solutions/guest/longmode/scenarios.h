// guest/longmode/scenarios.h — what the workbook's guest can be asked to do.
//
// Owns: constants shared by the guest and the tests. The VMM passes one of
// these in RDI; the guest runs it and exits.
#pragma once

#include <stdint.h>

namespace uh::guest {

enum Scenario : uint64_t {
  kHello = 0,            ///< writes "Hello from long mode!\n", exits 0
  kExitCode = 1,         ///< exits 42
  kClock = 2,            ///< two time() calls; exits 0 when the clock moved forward
  kTwoMappings = 3,      ///< writes through the higher half, reads through the identity map
  kWriteOutsideRam = 4,  ///< stores to kOutsideRamAddress: an MMIO exit
  kBadPointer = 5,       ///< write() of an unmapped buffer; exits 0 when refused with kFault
  kBreakpoint = 6,       ///< int3 twice through its own IDT; needs guest exceptions
  kPageFault = 7,        ///< reads an unmapped address; the #PF handler exits 14
};

inline constexpr uint64_t kHigherHalf = 0xffffffff80000000ull;
/// Identity-mapped (the first GiB is), but beyond the guest's RAM.
inline constexpr uint64_t kOutsideRamAddress = 0x3ff00000;
/// Not mapped at all: PML4 entry 128 is empty.
inline constexpr uint64_t kUnmappedAddress = 0x0000400000000000ull;
inline constexpr uint64_t kPageFaultExitCode = 14;

}  // namespace uh::guest
