// vmm/kvm/real_mode_vm.h — chapter 01's whole machine: RAM, one vCPU, two buses.
//
// Owns: the KVM handles, the guest's RAM, the port and MMIO buses and the debug
// console on port 0xe9. It is only composition: every piece is one of the
// chapter's classes, put together in the order the KVM API needs them.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "vmm/bus/debug_console.h"
#include "vmm/bus/io_bus.h"
#include "vmm/kvm/exit_loop.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"
#include "vmm/memory/guest_memory.h"

namespace uh::vmm {

class RealModeVm {
 public:
  struct Options {
    std::uint64_t ram_size = 64 * 1024;  ///< RAM at guest-physical 0
    std::function<void(char)> echo;      ///< also receives the console's bytes
  };

  /// Copies `image` into RAM at `load_address` and points the vCPU at it.
  /// Throws SysError, GuestMemoryError or std::invalid_argument when any step fails.
  RealModeVm(std::span<const std::uint8_t> image, std::uint64_t load_address, Options options);

  /// Runs until the guest halts; see run_until_halt().
  RunOutcome run() { return run_until_halt(vcpu_, ports_, mmio_); }

  GuestMemory& memory() { return memory_; }
  Vcpu& vcpu() { return vcpu_; }
  IoBus& ports() { return ports_; }
  IoBus& mmio() { return mmio_; }
  const DebugConsole& console() const { return *console_; }

 private:
  // Declaration order is construction order: KVM before the VM, memory before
  // the VM maps it, the VM before its vCPU. Destruction runs the other way.
  Kvm kvm_;
  GuestMemory memory_;
  Vm vm_;
  Vcpu vcpu_;
  IoBus ports_{"port I/O bus"};
  IoBus mmio_{"MMIO bus"};
  std::shared_ptr<DebugConsole> console_;
};

}  // namespace uh::vmm
