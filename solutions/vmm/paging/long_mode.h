// vmm/paging/long_mode.h — the CPU state of a vCPU entering 64-bit code directly.
//
// Owns: nothing; pure functions over KVM's register structs and guest RAM.
//
// A real PC starts in 16-bit real mode and its firmware climbs to long mode
// step by step. A VMM can skip the climb: it writes a GDT and page tables into
// guest RAM, then sets the vCPU's registers as if the climb had happened:
//
//   CR0  = PE | MP | ET | NE | WP | PG   protected mode, paging on
//   CR4  = PAE                           4-level paging needs PAE
//   EFER = LME | LMA | NXE               long mode enabled and active, XD usable
//   CS   = a code segment with L=1       64-bit code (SDM Vol. 3A, 3.4.5)
//   DS, ES, SS, FS, GS = a data segment
//   TR   = a 64-bit TSS                  VMX entry insists on a usable TR
//
// (SDM Vol. 3A, 9.8.5 "Initializing IA-32e Mode".)
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "vmm/memory/guest_memory.h"

namespace uh::vmm {

inline constexpr std::uint64_t kCr0Pe = 1ull << 0;
inline constexpr std::uint64_t kCr0Mp = 1ull << 1;
inline constexpr std::uint64_t kCr0Et = 1ull << 4;
inline constexpr std::uint64_t kCr0Ne = 1ull << 5;
inline constexpr std::uint64_t kCr0Wp = 1ull << 16;
inline constexpr std::uint64_t kCr0Pg = 1ull << 31;
inline constexpr std::uint64_t kCr4Pae = 1ull << 5;
inline constexpr std::uint64_t kEferLme = 1ull << 8;
inline constexpr std::uint64_t kEferLma = 1ull << 10;
inline constexpr std::uint64_t kEferNxe = 1ull << 11;

/// GDT selectors the VMM's GDT uses.
inline constexpr std::uint16_t kCodeSelector = 0x08;
inline constexpr std::uint16_t kDataSelector = 0x10;
inline constexpr std::uint16_t kTssSelector = 0x18;  ///< a 16-byte system descriptor

/// A segment descriptor's 8 bytes from its fields (SDM Vol. 3A, figure 3-8):
/// `access` is the byte with P, DPL, S and type; `flags` the nibble with G,
/// D/B, L and AVL.
std::uint64_t segment_descriptor(std::uint32_t base, std::uint32_t limit, std::uint8_t access,
                                 std::uint8_t flags);

/// Where the VMM put the GDT and TSS, and where the guest starts.
struct LongModeEntry {
  GuestAddress gdt;       ///< 5 quadwords: null, code, data, TSS (two)
  GuestAddress tss;       ///< 104 bytes
  std::uint64_t cr3 = 0;  ///< from build_identity_and_higher_half
  std::uint64_t rip = 0;  ///< virtual entry point
  std::uint64_t rsp = 0;  ///< virtual stack top
  std::uint64_t rdi = 0;  ///< first argument (System V ABI) of the entry function
};

/// Writes the GDT and TSS into `memory` and sets `sregs` and `regs` (as read
/// from a fresh vCPU) for 64-bit execution at entry.rip, as the table above
/// says: segments matching the GDT's descriptors, CR0/CR4/EFER, CR3, GDTR,
/// TR; RSP, RDI and RFLAGS = 0x2, every other register zero.
void setup_long_mode(const GuestMemory& memory, const LongModeEntry& entry, kvm_sregs& sregs,
                     kvm_regs& regs);

}  // namespace uh::vmm
