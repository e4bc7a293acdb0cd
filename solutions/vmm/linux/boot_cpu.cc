#include "vmm/linux/boot_cpu.h"

#include <cstring>

#include "vmm/paging/long_mode.h"

namespace uh::vmm::boot {

namespace {

std::uint32_t read_register(const kvm_lapic_state& lapic, std::size_t offset) {
  std::uint32_t value;
  std::memcpy(&value, lapic.regs + offset, sizeof value);
  return value;
}

void write_register(kvm_lapic_state& lapic, std::size_t offset, std::uint32_t value) {
  std::memcpy(lapic.regs + offset, &value, sizeof value);
}

// An LVT entry's delivery mode is bits 10:8.
std::uint32_t with_delivery_mode(std::uint32_t lvt, std::uint32_t mode) {
  return (lvt & ~0x700u) | (mode << 8);
}

}  // namespace

void setup_linux_entry(const GuestMemory& memory, const LinuxEntry& entry, kvm_sregs& sregs,
                       kvm_regs& regs) {
  LongModeEntry long_mode;
  long_mode.gdt = entry.gdt;
  long_mode.tss = entry.tss;
  long_mode.cr3 = entry.cr3;
  long_mode.rip = entry.rip;
  long_mode.rsp = entry.rsp;
  setup_long_mode(memory, long_mode, sregs, regs);

  // The same descriptors chapter 02 writes, at the selectors Linux names.
  const std::uint32_t tss_base = static_cast<std::uint32_t>(entry.tss.value());
  const std::uint64_t gdt[kBootGdtEntries] = {
      0,
      0,
      segment_descriptor(0, 0xfffff, 0x9a, 0xa),     // 0x10: code, execute/read, L=1
      segment_descriptor(0, 0xfffff, 0x92, 0xc),     // 0x18: data, read/write
      segment_descriptor(tss_base, 103, 0x89, 0x0),  // 0x20: available 64-bit TSS
      entry.tss.value() >> 32,
  };
  for (unsigned i = 0; i < kBootGdtEntries; ++i) {
    memory.write_obj(GuestAddress(entry.gdt.value() + 8 * i), gdt[i]);
  }
  sregs.gdt.limit = kBootGdtEntries * 8 - 1;
  sregs.cs.selector = kBootCodeSelector;
  sregs.ds.selector = sregs.es.selector = sregs.ss.selector = kBootDataSelector;
  sregs.fs.selector = sregs.gs.selector = kBootDataSelector;
  sregs.tr.selector = kBootTssSelector;
  regs.rsi = entry.zero_page.value();
}

void adjust_cpuid(std::vector<kvm_cpuid_entry2>& entries, std::uint32_t apic_id) {
  for (kvm_cpuid_entry2& e : entries) {
    if (e.function == 1) {
      e.ebx = (e.ebx & 0x00ffffffu) | (apic_id << 24);
      e.ecx |= kCpuidHypervisorBit;
    } else if (e.function == 0xb || e.function == 0x1f) {
      e.edx = apic_id;
    }
  }
}

void set_virtual_wire(kvm_lapic_state& lapic) {
  write_register(lapic, kApicLvtLint0,
                 with_delivery_mode(read_register(lapic, kApicLvtLint0), kApicDeliveryModeExtInt));
  write_register(lapic, kApicLvtLint1,
                 with_delivery_mode(read_register(lapic, kApicLvtLint1), kApicDeliveryModeNmi));
}

}  // namespace uh::vmm::boot
