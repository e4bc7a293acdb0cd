// Chapter 01 — the real thing: /dev/kvm, a VM, a vCPU and 16-bit guests.
#include "vmm/kvm/kvm.h"

#include <gtest/gtest.h>
#include <linux/kvm.h>

#include <array>

#include "guest/realmode/images.h"
#include "host/require.h"
#include "support/sys_error.h"
#include "vmm/kvm/exit_loop.h"
#include "vmm/kvm/real_mode_vm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"

namespace uh::vmm {
namespace {

namespace images = uh::guest::realmode;
using uh::host::Capability;

RealModeVm make_vm(std::span<const std::uint8_t> image) {
  return RealModeVm(image, images::kLoadAddress, {});
}

TEST(Kvm, SpeaksApiVersion12) {
  UH_REQUIRE(Capability::kKvm);
  Kvm kvm;
  EXPECT_EQ(kvm.api_version(), 12);
  EXPECT_GT(kvm.check_extension(KVM_CAP_USER_MEMORY), 0);
  EXPECT_GE(kvm.vcpu_mmap_size(), sizeof(kvm_run));
}

TEST(Kvm, MissingDeviceSaysWhatToDo) {
  try {
    Kvm kvm("/dev/no-such-kvm");
    FAIL() << "opening a missing device succeeded";
  } catch (const SysError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("/dev/no-such-kvm"), std::string::npos) << what;
    EXPECT_NE(what.find("enable virtualization"), std::string::npos) << what;
  }
}

TEST(Vm, MemorySlotsAreRegisteredAndRefusalsNameTheSlot) {
  UH_REQUIRE(Capability::kKvm);
  Kvm kvm;
  Vm vm = kvm.create_vm();
  GuestMemory memory;
  memory.add_region(GuestAddress(0), 0x10000);
  memory.add_region(GuestAddress(0x100000), 0x10000);
  vm.map_memory(memory);  // slots 0 and 1

  // Asking KVM to put slot 0 on top of slot 1 must fail, and the error must
  // say which slot and where, not just "File exists".
  GuestMemory clashing;
  clashing.add_region(GuestAddress(0x108000), 0x1000);
  try {
    vm.map_memory(clashing);
    FAIL() << "KVM accepted overlapping memory slots";
  } catch (const SysError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("KVM_SET_USER_MEMORY_REGION"), std::string::npos) << what;
    EXPECT_NE(what.find("slot 0"), std::string::npos) << what;
    EXPECT_NE(what.find("0x108000"), std::string::npos) << what;
  }
}

TEST(Vcpu, CreatedVcpuHasTheResetState) {
  UH_REQUIRE(Capability::kKvm);
  Kvm kvm;
  Vm vm = kvm.create_vm();
  Vcpu vcpu = vm.create_vcpu(0);
  // x86 reset: CS base 0xffff0000 and RIP 0xfff0, 16 bytes below 4 GiB.
  EXPECT_EQ(vcpu.sregs().cs.base + vcpu.regs().rip, 0xfffffff0u);
  EXPECT_EQ(vcpu.id(), 0u);
}

TEST(RealModeGuest, PrintsTheGreetingExactly) {
  UH_REQUIRE(Capability::kKvm);
  RealModeVm vm = make_vm(images::kHello);
  RunOutcome outcome = vm.run();
  EXPECT_EQ(outcome.stop, RunOutcome::Stop::kHalted);
  EXPECT_EQ(vm.console().output(), "Hello from real mode!\n");
  // One exit per character, plus the HLT.
  EXPECT_EQ(outcome.stats.io_out, 22u);
  EXPECT_EQ(outcome.stats.total, 23u);
}

TEST(RealModeGuest, RegistersAfterHltShowTheGuestRan) {
  UH_REQUIRE(Capability::kKvm);
  RealModeVm vm = make_vm(images::kRegisters);
  vm.run();
  kvm_regs regs = vm.vcpu().regs();
  EXPECT_EQ(regs.rbx & 0xffff, 0xbef0u);
  EXPECT_EQ(regs.rcx & 0xffff, 0x1234u);
  // RIP points just past the HLT, the last byte of the image.
  EXPECT_EQ(regs.rip, images::kLoadAddress + images::kRegisters.size());
}

TEST(RealModeGuest, HostAndGuestShareMemory) {
  UH_REQUIRE(Capability::kKvm);
  RealModeVm vm = make_vm(images::kCopy);
  std::array<std::uint8_t, 16> source;
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<std::uint8_t>(0xa0 + i);
  vm.memory().write(GuestAddress(0x2000), source);
  vm.run();
  std::array<std::uint8_t, 16> copy{};
  vm.memory().read(GuestAddress(0x3000), copy);
  EXPECT_EQ(copy, source);
}

TEST(RealModeGuest, UnknownPortIsReported) {
  UH_REQUIRE(Capability::kKvm);
  RealModeVm vm = make_vm(images::kUnknownPort);
  try {
    vm.run();
    FAIL() << "a write to a port with no device went unnoticed";
  } catch (const GuestError& e) {
    EXPECT_EQ(e.kind(), GuestError::Kind::kUnhandledIo);
    EXPECT_NE(std::string(e.what()).find("0x99"), std::string::npos) << e.what();
  }
}

TEST(RealModeGuest, WriteOutsideRamIsAnMmioExit) {
  UH_REQUIRE(Capability::kKvm);
  // First with nothing there: reported.
  RealModeVm bare = make_vm(images::kMmioWrite);
  try {
    bare.run();
    FAIL() << "a write outside RAM went unnoticed";
  } catch (const GuestError& e) {
    EXPECT_EQ(e.kind(), GuestError::Kind::kUnhandledMmio);
    EXPECT_NE(std::string(e.what()).find("0x20000"), std::string::npos) << e.what();
  }
  // Then with a device on the MMIO bus at that address: it gets the byte.
  RealModeVm vm = make_vm(images::kMmioWrite);
  auto device = std::make_shared<DebugConsole>();
  vm.mmio().insert(BusRange{0x20000, 0x1000}, device);
  vm.run();
  EXPECT_EQ(device->output(), "\x5a");
}

TEST(RealModeGuest, TripleFaultIsAClearError) {
  UH_REQUIRE(Capability::kKvm);
  // Turn on protected mode and paging with a page directory full of zeros:
  // the next instruction fetch page-faults, the fault cannot be delivered
  // (no usable IDT), the double fault neither, and the CPU shuts down.
  RealModeVm vm = make_vm(images::kRegisters);
  kvm_sregs sregs = vm.vcpu().sregs();
  sregs.cr3 = 0x8000;  // zeroed RAM: every entry not present
  sregs.cr0 |= 0x80000001;
  sregs.cs.db = 1;
  vm.vcpu().set_sregs(sregs);
  try {
    vm.run();
    FAIL() << "the guest ran on with no page tables";
  } catch (const GuestError& e) {
    EXPECT_EQ(e.kind(), GuestError::Kind::kTripleFault) << e.what();
    EXPECT_NE(std::string(e.what()).find("triple"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace uh::vmm
