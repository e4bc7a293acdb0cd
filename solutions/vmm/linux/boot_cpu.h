// vmm/linux/boot_cpu.h — the vCPU as Linux's 64-bit entry point expects to find it.
//
// Owns: nothing; pure functions over KVM's structs and guest RAM, tested
// without KVM.
//
// boot.rst, "64-bit Boot Protocol", asks for: long mode with paging on; the
// kernel, the zero page and the command line identity-mapped; a GDT with a
// flat 64-bit code segment at selector 0x10 (__BOOT_CS) and a flat data
// segment at 0x18 (__BOOT_DS), CS = 0x10 and DS = ES = SS = 0x18;
// interrupts off; RSI = the zero page's address. Chapter 02's
// setup_long_mode() does all of that but the selector numbers, so
// setup_linux_entry() calls it and then lays out the GDT Linux's way.
//
// Two more things a firmware would have done before Linux runs:
//   - CPUID: KVM reports what it can virtualize; the VMM adds the guest's
//     APIC id and the "running under a hypervisor" bit (CPUID.1:ECX[31]),
//     which Linux checks before it looks for KVM's paravirtual features.
//   - The local APIC's LINT0 and LINT1 pins wired as a PC BIOS leaves them
//     ("virtual wire" mode, Intel MultiProcessor Specification 1.4, 3.6.2.2):
//     LINT0 takes the 8259 PIC's interrupts (ExtINT), LINT1 takes NMIs.
//     Without it, no PIC interrupt, the timer's included, reaches the CPU.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

#include "vmm/memory/guest_memory.h"

namespace uh::vmm::boot {

/// The GDT selectors boot.rst's 64-bit protocol names.
inline constexpr std::uint16_t kBootCodeSelector = 0x10;  ///< __BOOT_CS
inline constexpr std::uint16_t kBootDataSelector = 0x18;  ///< __BOOT_DS
inline constexpr std::uint16_t kBootTssSelector = 0x20;   ///< 16 bytes: a 64-bit TSS
inline constexpr unsigned kBootGdtEntries = 6;            ///< null, unused, code, data, TSS x2

/// Where the VMM put the GDT, TSS, page tables and zero page, and where to start.
struct LinuxEntry {
  GuestAddress gdt;        ///< kBootGdtEntries quadwords
  GuestAddress tss;        ///< 104 bytes
  std::uint64_t cr3 = 0;   ///< page tables identity-mapping the kernel and boot data
  std::uint64_t rip = 0;   ///< the kernel's load address + 0x200
  std::uint64_t rsp = 0;   ///< a small stack (the kernel soon sets up its own)
  GuestAddress zero_page;  ///< goes in RSI
};

/// Writes the GDT and TSS and sets `sregs` and `regs` (as read from a fresh
/// vCPU) for the 64-bit entry, as the header describes.
void setup_linux_entry(const GuestMemory& memory, const LinuxEntry& entry, kvm_sregs& sregs,
                       kvm_regs& regs);

/// CPUID.1:ECX bit 31: "a hypervisor is present".
inline constexpr std::uint32_t kCpuidHypervisorBit = 1u << 31;

/// Adjusts KVM's supported CPUID for vCPU `apic_id`: leaf 1 gets the APIC
/// id in EBX[31:24] and the hypervisor bit; leaves 0xb and 0x1f (x2APIC
/// topology) get it in EDX.
void adjust_cpuid(std::vector<kvm_cpuid_entry2>& entries, std::uint32_t apic_id);

// Local APIC registers (Intel SDM Vol. 3A, table 11-1) and delivery modes.
inline constexpr std::size_t kApicLvtLint0 = 0x350;
inline constexpr std::size_t kApicLvtLint1 = 0x360;
inline constexpr std::uint32_t kApicDeliveryModeNmi = 0x4;
inline constexpr std::uint32_t kApicDeliveryModeExtInt = 0x7;

/// Sets LINT0 to ExtINT and LINT1 to NMI in `lapic`, leaving every other bit.
void set_virtual_wire(kvm_lapic_state& lapic);

}  // namespace uh::vmm::boot
