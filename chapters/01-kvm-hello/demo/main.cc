// lab run 01 — boot the real-mode guest, show its greeting and the exits it took.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <exception>

#include "guest/realmode/images.h"
#include "vmm/kvm/real_mode_vm.h"

int main() {
  using Clock = std::chrono::steady_clock;
  namespace images = uh::guest::realmode;
  try {
    auto start = Clock::now();
    uh::vmm::RealModeVm vm(images::kHello, images::kLoadAddress,
                           {.echo = [](char c) { std::fputc(c, stdout); }});
    auto created = Clock::now();
    fmt::print("guest> ");
    std::fflush(stdout);
    uh::vmm::RunOutcome outcome = vm.run();
    auto halted = Clock::now();

    const uh::vmm::ExitStats& s = outcome.stats;
    auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count(); };
    fmt::print("\nThe guest halted after {} exits:\n", s.total);
    fmt::print("  {:>4}  KVM_EXIT_IO (OUT to port 0xe9, one per character)\n", s.io_out);
    fmt::print("  {:>4}  KVM_EXIT_IO (IN)\n", s.io_in);
    fmt::print("  {:>4}  KVM_EXIT_MMIO\n", s.mmio_read + s.mmio_write);
    fmt::print("  {:>4}  KVM_EXIT_HLT\n",
               outcome.stop == uh::vmm::RunOutcome::Stop::kHalted ? 1 : 0);
    fmt::print("Setting up the VM took {:.0f} us; running the guest to HLT took {:.0f} us.\n",
               us(created - start), us(halted - created));
    kvm_regs regs = vm.vcpu().regs();
    fmt::print("Final RIP {:#x}: one past the HLT instruction.\n", regs.rip);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "uh-demo-01: {}\n", e.what());
    return 1;
  }
}
