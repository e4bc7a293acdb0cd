// Chapter 02 — the GDT and the register state for entering long mode.
#include "vmm/paging/long_mode.h"

#include <gtest/gtest.h>

namespace uh::vmm {
namespace {

TEST(Gdt, DescriptorsEncodeAsTheManualDraws) {
  EXPECT_EQ(segment_descriptor(0, 0xfffff, 0x9a, 0xa), 0x00af9a000000ffffull) << "64-bit code";
  EXPECT_EQ(segment_descriptor(0, 0xfffff, 0x92, 0xc), 0x00cf92000000ffffull) << "flat data";
  EXPECT_EQ(segment_descriptor(0x12345678, 0x67, 0x89, 0), 0x12008934567800'67ull);
}

TEST(LongMode, RegistersAreThoseOfA64BitCpuWithPaging) {
  GuestMemory m;
  m.add_region(GuestAddress(0), 1 << 20);
  LongModeEntry e;
  e.gdt = GuestAddress(0x500);
  e.tss = GuestAddress(0x600);
  e.cr3 = 0x1000;
  e.rip = 0xffffffff80200000ull;
  e.rsp = 0xffffffff80200000ull;
  e.rdi = 7;
  kvm_sregs s{};
  kvm_regs r{};
  r.rax = 99;  // whatever a fresh vCPU held must be gone
  setup_long_mode(m, e, s, r);
  EXPECT_EQ(s.cr0 & (kCr0Pe | kCr0Pg), kCr0Pe | kCr0Pg);
  EXPECT_EQ(s.cr4 & kCr4Pae, kCr4Pae);
  EXPECT_EQ(s.efer & (kEferLme | kEferLma), kEferLme | kEferLma);
  EXPECT_EQ(s.cr3, 0x1000u);
  EXPECT_EQ(s.cs.selector, kCodeSelector);
  EXPECT_EQ(s.cs.l, 1) << "64-bit code segment";
  EXPECT_EQ(s.cs.db, 0) << "L=1 needs D=0";
  EXPECT_EQ(s.cs.present, 1);
  EXPECT_EQ(s.cs.s, 1);
  EXPECT_EQ(s.ss.selector, kDataSelector);
  EXPECT_EQ(s.ds.selector, kDataSelector);
  EXPECT_EQ(s.tr.selector, kTssSelector);
  EXPECT_EQ(s.tr.type, 0xb) << "a busy 64-bit TSS";
  EXPECT_EQ(s.tr.base, 0x600u);
  EXPECT_EQ(s.gdt.base, 0x500u);
  EXPECT_EQ(s.gdt.limit, 39);
  EXPECT_EQ(r.rip, e.rip);
  EXPECT_EQ(r.rsp, e.rsp);
  EXPECT_EQ(r.rdi, 7u);
  EXPECT_EQ(r.rflags, 0x2u);
  EXPECT_EQ(r.rax, 0u);
  // The GDT in RAM holds what the hidden segment state claims.
  EXPECT_EQ(m.read_obj<std::uint64_t>(GuestAddress(0x508)), 0x00af9a000000ffffull);
  EXPECT_EQ(m.read_obj<std::uint64_t>(GuestAddress(0x510)), 0x00cf92000000ffffull);
  EXPECT_EQ(m.read_obj<std::uint64_t>(GuestAddress(0x518)) >> 40 & 0xff, 0x89u);
}

}  // namespace
}  // namespace uh::vmm
