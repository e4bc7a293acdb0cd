// Your workspace for chapter 02: write the code where the LAB markers are.
// Made from solutions/vmm/paging/long_mode.cc by ci/labgen.py; `./lab test 02` checks your work,
// `./lab hint 02` helps, `./lab reset 02` brings this skeleton back.
#include "vmm/paging/long_mode.h"
#include "support/todo.h"

namespace uh::vmm {

namespace {

// KVM's view of a segment register: the hidden part the CPU loads from a
// descriptor, spelled out field by field.
kvm_segment segment(std::uint16_t selector, std::uint8_t type, bool code) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = type;
  s.present = 1;
  s.dpl = 0;
  s.s = 1;  // code or data, not a system descriptor
  s.l = code ? 1 : 0;
  s.db = code ? 0 : 1;  // L=1 requires D=0
  s.g = 1;
  return s;
}

}  // namespace

std::uint64_t segment_descriptor(std::uint32_t base, std::uint32_t limit, std::uint8_t access,
                                 std::uint8_t flags) {
  std::uint64_t d = 0;
  d |= limit & 0xffffull;                  // limit 15..0
  d |= (base & 0xffffffull) << 16;         // base 23..0
  d |= std::uint64_t{access} << 40;        // P, DPL, S, type
  d |= ((limit >> 16) & 0xfull) << 48;     // limit 19..16
  d |= std::uint64_t{flags & 0xfu} << 52;  // AVL, L, D/B, G
  d |= ((base >> 24) & 0xffull) << 56;     // base 31..24
  return d;
}

void setup_long_mode(const GuestMemory& memory, const LongModeEntry& entry, kvm_sregs& sregs,
                     kvm_regs& regs) {
  // The GDT: null, 64-bit code (P, S, execute/read; G, L), data (P, S,
  // read/write; G, D/B), and a 64-bit TSS descriptor, which takes 16 bytes.
  const std::uint32_t tss_base = static_cast<std::uint32_t>(entry.tss.value());
  const std::uint64_t gdt[5] = {
      0,
      segment_descriptor(0, 0xfffff, 0x9a, 0xa),
      segment_descriptor(0, 0xfffff, 0x92, 0xc),
      segment_descriptor(tss_base, 103, 0x89, 0x0),  // P, type 9: available 64-bit TSS
      entry.tss.value() >> 32,
  };
  for (int i = 0; i < 5; ++i) memory.write_obj(GuestAddress(entry.gdt.value() + 8 * i), gdt[i]);
  auto tss = memory.slice(entry.tss, 104);
  std::fill(tss.begin(), tss.end(), 0);

  // LAB(02.3) Set the segment registers to match the GDT (code with L=1, data, a busy
  // 64-bit TSS in TR), GDTR, CR3, and CR0/CR4/EFER for paging in long mode; then RIP, RSP, RDI.
  throw uh::Todo("02.3",
                 "Set the segment registers to match the GDT (code with L=1, data, a busy 64-bit "
                 "TSS in TR), GDTR, CR3, and CR0/CR4/EFER for paging in long mode; then RIP, "
                 "RSP, RDI.");
  // END LAB
}

}  // namespace uh::vmm
