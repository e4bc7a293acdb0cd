// host/probe_vm.h — a throwaway VM for the KVM probes.
//
// Owns: a VM, its 2 MiB of RAM and one vCPU, all released on destruction.
// This is deliberately separate from vmm/kvm: the probes must work on the
// labs track too, where vmm/kvm is the reader's unfinished work.
// Not thread-safe; run_until_halt() uses SIGALRM to bound a run, so only one
// ProbeVm may run at a time (probe.cc serialises them).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "support/mapping.h"
#include "support/unique_fd.h"

namespace uh::host {

class ProbeVm {
 public:
  static constexpr std::uint64_t kRamSize = 2 << 20;

  /// Opens /dev/kvm, checks API 12, creates a VM with RAM at 0 and vCPU 0.
  /// Throws SysError (or std::runtime_error) saying what failed.
  ProbeVm();

  std::span<std::uint8_t> ram() const { return ram_.bytes(); }

  /// Starts the vCPU in real mode at `entry` (below 64 KiB).
  void enter_real_mode(std::uint64_t entry);

  /// Starts the vCPU in 64-bit long mode at `entry`, with identity-mapped
  /// 2 MiB of RAM, a flat GDT, an IDT whose vectors 3 and 14 point at
  /// `int3_handler` and `page_fault_handler`, and a stack below 64 KiB.
  void enter_long_mode(std::uint64_t entry, std::uint64_t int3_handler,
                       std::uint64_t page_fault_handler);

  struct Outcome {
    bool halted = false;     ///< the guest reached HLT
    std::string port_bytes;  ///< bytes written to port 0x10, in order
    std::string stop;        ///< how the run ended when it did not halt
  };

  /// Runs for at most 2 seconds and 64 exits.
  Outcome run();

 private:
  UniqueFd kvm_;
  UniqueFd vm_;
  UniqueFd vcpu_;
  Mapping ram_;
  Mapping run_;
};

}  // namespace uh::host
