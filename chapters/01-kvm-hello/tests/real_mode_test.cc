// Chapter 01 — the registers of a CPU about to run 16-bit real-mode code.
#include "vmm/kvm/real_mode.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace uh::vmm {
namespace {

// What a vCPU looks like straight after KVM_CREATE_VCPU: the x86 reset state,
// with CS base 0xffff0000 and RIP 0xfff0, so the first fetch is at 4 GiB - 16.
void reset_state(kvm_sregs& sregs, kvm_regs& regs) {
  sregs = kvm_sregs{};
  regs = kvm_regs{};
  sregs.cs.selector = 0xf000;
  sregs.cs.base = 0xffff0000;
  sregs.cr0 = 0x60000010;
  regs.rip = 0xfff0;
  regs.rax = 0x1234;  // leftovers must not survive
  regs.rflags = 0x2;
}

TEST(RealMode, EntryInTheFirst64KiBUsesSegmentZero) {
  kvm_sregs sregs;
  kvm_regs regs;
  reset_state(sregs, regs);
  setup_real_mode(sregs, regs, GuestAddress(0x1000));
  EXPECT_EQ(sregs.cs.selector, 0);
  EXPECT_EQ(sregs.cs.base, 0u);
  EXPECT_EQ(regs.rip, 0x1000u);
}

TEST(RealMode, HigherEntryMovesTheSegmentNotJustRip) {
  kvm_sregs sregs;
  kvm_regs regs;
  reset_state(sregs, regs);
  setup_real_mode(sregs, regs, GuestAddress(0x12345));
  EXPECT_EQ(sregs.cs.selector, 0x1000);
  EXPECT_EQ(sregs.cs.base, 0x10000u);
  EXPECT_EQ(regs.rip, 0x2345u);
  // The CPU fetches from CS.base + RIP: that must be the entry point.
  EXPECT_EQ(sregs.cs.base + regs.rip, 0x12345u);
}

TEST(RealMode, DataAndStackSegmentsMatchTheCodeSegment) {
  kvm_sregs sregs;
  kvm_regs regs;
  reset_state(sregs, regs);
  setup_real_mode(sregs, regs, GuestAddress(0x2f000));
  for (const kvm_segment* s : {&sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss}) {
    EXPECT_EQ(s->selector, sregs.cs.selector);
    EXPECT_EQ(s->base, sregs.cs.base);
  }
}

TEST(RealMode, ProtectionAndPagingAreOffOtherBitsKept) {
  kvm_sregs sregs;
  kvm_regs regs;
  reset_state(sregs, regs);
  sregs.cr0 |= 0x80000001;  // as if a previous run had enabled PE and PG
  setup_real_mode(sregs, regs, GuestAddress(0x1000));
  EXPECT_EQ(sregs.cr0 & 0x80000001, 0u);
  EXPECT_EQ(sregs.cr0, 0x60000010u);
}

TEST(RealMode, GeneralRegistersStartClean) {
  kvm_sregs sregs;
  kvm_regs regs;
  reset_state(sregs, regs);
  setup_real_mode(sregs, regs, GuestAddress(0x1000));
  EXPECT_EQ(regs.rax, 0u);
  EXPECT_EQ(regs.rsp, 0u);
  EXPECT_EQ(regs.rflags, 0x2u);
}

TEST(RealMode, EntryAbove1MiBIsRejected) {
  kvm_sregs sregs;
  kvm_regs regs;
  reset_state(sregs, regs);
  EXPECT_THROW(setup_real_mode(sregs, regs, GuestAddress(0x100000)), std::invalid_argument);
}

}  // namespace
}  // namespace uh::vmm
