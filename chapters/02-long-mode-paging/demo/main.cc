// lab run 02 — the workbook's C++ guest in long mode, and the page tables under it.
//
// Runs the guest's greeting with its output shown live, then asks the VMM's
// software page walker and the CPU (KVM_TRANSLATE) where a few virtual
// addresses go, and ends with a guest that writes outside its RAM.
#include <fmt/format.h>

#include <exception>

#include "guest/longmode/image.h"
#include "guest/longmode/scenarios.h"
#include "vmm/longmode/long_mode_vm.h"

namespace {

using namespace uh::vmm;
namespace guest = uh::guest;

LongModeVm::Options scenario(std::uint64_t n, bool echo) {
  LongModeVm::Options o;
  o.argument = n;
  if (echo) o.echo = [](std::string_view text) { fmt::print("  guest> {}", text); };
  return o;
}

int demo() {
  fmt::print("Loading the guest ELF ({} bytes) at 2 MiB, linked at {:#x}\n",
             guest::longmode::kGuestElf.size(), kHigherHalfBase + 0x200000);
  LongModeVm vm(guest::longmode::kGuestElf, scenario(guest::kHello, true));
  fmt::print("Entering long mode at RIP {:#x}, CR3 {:#x}\n", vm.loaded().entry, vm.cr3());
  const LongModeVm::Result r = vm.run();
  fmt::print("The guest called exit({}) and halted after {} exits ({} hypercalls)\n",
             r.exit_code.value_or(~0ull), r.outcome.stats.total, r.outcome.stats.io_in);

  fmt::print("\nWhere do these virtual addresses go? (our walker / the CPU's KVM_TRANSLATE)\n");
  const std::uint64_t addresses[] = {0x1000,
                                     0x200000,
                                     kHigherHalfBase + 0x200000,
                                     kHigherHalfBase + 0x3fffffff,
                                     0x40000000,
                                     0x0000400000000000ull};
  for (std::uint64_t va : addresses) {
    const auto ours = walk(vm.memory(), vm.cr3(), va);
    const kvm_translation cpu = vm.vcpu().translate(va);
    fmt::print(
        "  {:#018x} -> {:<34} cpu: {}\n", va,
        ours ? fmt::format("{:#x} ({} KiB page)", ours->physical.value(), ours->page_size / 1024)
             : "fault: " + ours.error().describe(),
        cpu.valid ? fmt::format("{:#x}", cpu.physical_address) : "not mapped");
  }

  fmt::print("\nA guest that writes to {:#x}: mapped by the tables, but not RAM\n",
             guest::kOutsideRamAddress);
  LongModeVm bad(guest::longmode::kGuestElf, scenario(guest::kWriteOutsideRam, false));
  try {
    bad.run();
  } catch (const GuestError& e) {
    fmt::print("  the VMM reports: {}\n", e.what());
  }
  return 0;
}

}  // namespace

int main() {
  try {
    return demo();
  } catch (const std::exception& e) {
    fmt::print(stderr, "lab run 02: {}\n", e.what());
    return 1;
  }
}
