// Chapter 02 — the C++ guest in long mode, on real KVM.
#include <gtest/gtest.h>

#include "guest/longmode/image.h"
#include "guest/longmode/scenarios.h"
#include "host/require.h"
#include "vmm/longmode/long_mode_vm.h"

namespace uh::vmm {
namespace {

using host::Capability;

LongModeVm::Options scenario(std::uint64_t number) {
  LongModeVm::Options o;
  o.argument = number;
  return o;
}

TEST(Guest, ItsOutputAndExitCodeReachTheHost) {
  UH_REQUIRE(Capability::kKvm);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kHello));
  const LongModeVm::Result r = vm.run();
  EXPECT_EQ(vm.output(), "Hello from long mode!\n");
  EXPECT_EQ(r.exit_code, 0u);
  EXPECT_EQ(r.outcome.stop, RunOutcome::Stop::kHalted);
  EXPECT_GE(r.outcome.stats.io_in, 2u) << "one write and one exit, each a port read";

  LongModeVm other(guest::longmode::kGuestElf, scenario(guest::kExitCode));
  EXPECT_EQ(other.run().exit_code, 42u);
}

TEST(Guest, TheClockMovesForward) {
  UH_REQUIRE(Capability::kKvm);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kClock));
  EXPECT_EQ(vm.run().exit_code, 0u);
}

TEST(Guest, BothMappingsReachTheSameMemory) {
  UH_REQUIRE(Capability::kKvm);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kTwoMappings));
  EXPECT_EQ(vm.run().exit_code, 0u) << vm.output();
  EXPECT_EQ(vm.output(), "both mappings agree\n");
}

TEST(Guest, TheSoftwareWalkerAgreesWithKvmTranslate) {
  UH_REQUIRE(Capability::kKvm);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kHello));
  vm.run();  // the vCPU now runs on the VMM's tables, in long mode
  const std::uint64_t addresses[] = {0x0ull,
                                     0x1000ull,
                                     0x200000ull,
                                     0x3fffffffull,
                                     kHigherHalfBase + 0x200123,
                                     kHigherHalfBase + 0x3ffffff8,
                                     0x40000000ull,
                                     0x0000400000000000ull,
                                     0xffff800000000000ull};
  for (std::uint64_t va : addresses) {
    const kvm_translation kvm = vm.vcpu().translate(va);
    const auto ours = walk(vm.memory(), vm.cr3(), va);
    ASSERT_EQ(ours.has_value(), kvm.valid != 0) << std::hex << va;
    if (ours) {
      EXPECT_EQ(ours->physical.value(), kvm.physical_address) << std::hex << va;
      EXPECT_EQ(ours->writable, kvm.writeable != 0) << std::hex << va;
    }
  }
}

TEST(Guest, AWriteOutsideRamIsReportedAsAnMmioExit) {
  UH_REQUIRE(Capability::kKvm);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kWriteOutsideRam));
  try {
    vm.run();
    FAIL() << "a write outside RAM went unnoticed";
  } catch (const GuestError& e) {
    EXPECT_EQ(e.kind(), GuestError::Kind::kUnhandledMmio);
    EXPECT_NE(std::string(e.what()).find("0x3ff00000"), std::string::npos) << e.what();
  }
}

TEST(Guest, ABadPointerInAHypercallIsRefusedNotFollowed) {
  UH_REQUIRE(Capability::kKvm);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kBadPointer));
  EXPECT_EQ(vm.run().exit_code, 0u) << "the guest saw kFault";
  EXPECT_EQ(vm.output(), "");
}

TEST(Guest, ABadElfIsRefusedBeforeAnyVcpuRuns) {
  UH_REQUIRE(Capability::kKvm);
  std::vector<std::uint8_t> elf(guest::longmode::kGuestElf.begin(),
                                guest::longmode::kGuestElf.end());
  elf[18] = 0xb7;  // e_machine: EM_AARCH64
  EXPECT_THROW(LongModeVm(elf, scenario(guest::kHello)), ElfError);
}

// Exceptions: the guest installs its own IDT. They need a host that delivers
// exceptions to a nested guest (./lab doctor says whether this one does).

TEST(GuestExceptions, Int3ReachesTheGuestsHandlerAndReturns) {
  UH_REQUIRE(Capability::kGuestExceptions);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kBreakpoint));
  EXPECT_EQ(vm.run().exit_code, 0u) << vm.output();
  EXPECT_EQ(vm.output(), "two breakpoints handled\n");
}

TEST(GuestExceptions, APageFaultReachesTheHandlerWithCr2) {
  UH_REQUIRE(Capability::kGuestExceptions);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kPageFault));
  EXPECT_EQ(vm.run().exit_code, guest::kPageFaultExitCode);
  EXPECT_EQ(vm.output(), "page fault at 0x0000400000000000, error code 0x0000000000000000\n");
}

}  // namespace
}  // namespace uh::vmm
