// vmm/paging/page_tables.h — x86-64 4-level page tables, built and walked.
//
// Owns: nothing; pure functions over GuestMemory, tested without KVM.
//
// In long mode every address the CPU uses is virtual. CR3 holds the physical
// address of the top table (PML4); bits 47..39 of a virtual address pick one
// of its 512 entries, which points at a PDPT; bits 38..30 pick an entry there,
// and so on down to a 4 KiB page:
//
//   virtual:  | 47..39 PML4 | 38..30 PDPT | 29..21 PD | 20..12 PT | 11..0 offset |
//   CR3 -> PML4[i] -> PDPT[j] -> PD[k] -> PT[l] -> 4 KiB page
//                          \-> 1 GiB page (PS=1)
//                                     \-> 2 MiB page (PS=1)
//
// Each entry holds the next table's (or the page's) physical address in bits
// 51..12 and flags in the rest (Intel SDM Vol. 3A, 4.5 "4-Level Paging",
// tables 4-15 to 4-20). Bits 63 (XD) and 51..M (M = the CPU's physical
// address width) are reserved unless stated; a set reserved bit is a fault.
//
// build_identity_and_higher_half() writes the tables a VMM needs to enter
// long mode directly; walk() does in software what the CPU's MMU does, so the
// VMM can read a buffer the guest names by its virtual address.
#pragma once

#include <cstdint>
#include <string>

#include "support/expected.h"
#include "vmm/memory/guest_memory.h"

namespace uh::vmm {

// Entry flags (SDM Vol. 3A, table 4-19 and neighbours).
inline constexpr std::uint64_t kPtePresent = 1ull << 0;
inline constexpr std::uint64_t kPteWritable = 1ull << 1;
inline constexpr std::uint64_t kPteUser = 1ull << 2;
inline constexpr std::uint64_t kPtePageSize = 1ull << 7;  ///< in a PDPTE or PDE: a huge page
inline constexpr std::uint64_t kPteNoExecute = 1ull << 63;
/// Bits 51..12: the physical address of the next table or the page.
inline constexpr std::uint64_t kPteAddressMask = 0x000f'ffff'ffff'f000ull;

inline constexpr std::uint64_t kPageSize4K = 4096;
inline constexpr std::uint64_t kPageSize2M = 2ull << 20;
inline constexpr std::uint64_t kPageSize1G = 1ull << 30;

/// Where the kernel-style higher half starts: the top 2 GiB of the address
/// space, which -mcmodel=kernel code is linked for.
inline constexpr std::uint64_t kHigherHalfBase = 0xffff'ffff'8000'0000ull;

/// What build_identity_and_higher_half() wrote, and where.
struct PageTableLayout {
  GuestAddress pml4;               ///< the value for CR3
  std::uint64_t tables_bytes = 0;  ///< bytes of RAM the tables use, from pml4
  std::uint64_t mapped_bytes = 0;  ///< identity-mapped from 0, and again at kHigherHalfBase
};

/// Writes page tables at `tables` (4 KiB aligned) that map guest-physical
/// [0, bytes) twice, with 2 MiB pages: at the same virtual addresses
/// (identity) and at kHigherHalfBase + physical. `bytes` is rounded up to
/// 2 MiB and must be at most 2 GiB (the higher half has no more room).
/// The PD tables are shared by both mappings: PML4[0] -> PDPT_low and
/// PML4[511] -> PDPT_high, whose entries from 510 point at the same PDs.
/// Every entry is present and writable, none is user or no-execute.
/// Throws std::invalid_argument for bad arguments, GuestMemoryError when the
/// tables do not fit in RAM.
PageTableLayout build_identity_and_higher_half(const GuestMemory& memory, GuestAddress tables,
                                               std::uint64_t bytes);

/// Why a walk stopped short of a page.
struct WalkFault {
  enum class Reason {
    kNonCanonical,  ///< bits 63..48 are not copies of bit 47
    kNotPresent,    ///< an entry's present bit is clear
    kReservedBit,   ///< an entry sets a bit the architecture reserves
    kOutsideRam,    ///< an entry points at a table that is not in guest RAM
  };
  Reason reason;
  int level;  ///< 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT (0 for kNonCanonical)
  std::string describe() const;
};

/// Where a virtual address goes, and what the entries allow there.
struct Translation {
  GuestAddress physical;
  std::uint64_t page_size = 0;  ///< 4 KiB, 2 MiB or 1 GiB
  bool writable = false;        ///< every level's W bit was set
  bool user = false;            ///< every level's U/S bit was set
  bool executable = true;       ///< no level set XD
};

/// The number of physical address bits this walker accepts (MAXPHYADDR);
/// address bits above it in an entry are reserved.
inline constexpr int kPhysicalAddressBits = 46;

/// Walks the tables at `cr3` for `virtual_address`, as the MMU does with
/// CR0.PG, CR4.PAE and EFER.LME set (and no PKE, no 5-level paging).
/// Every table read goes through GuestMemory, so a hostile guest's tables
/// give a fault, never a wild read.
Expected<Translation, WalkFault> walk(const GuestMemory& memory, std::uint64_t cr3,
                                      std::uint64_t virtual_address);

}  // namespace uh::vmm
