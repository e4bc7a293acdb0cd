// vmm/kvm/vcpu_exit.h — why KVM_RUN came back, as a value.
//
// Owns: nothing. Each alternative of VcpuExit is one exit reason a VMM must
// handle, decoded from the kvm_run page. The spans in IoExit and MmioExit point
// into that page: they stay valid until the next KVM_RUN on the same vCPU, and
// for a guest read (IN, MMIO read) the VMM writes the answer into them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace uh::vmm {

/// KVM_EXIT_IO: the guest executed IN or OUT (or a REP INS/OUTS string form).
struct IoExit {
  enum class Direction { kIn, kOut };
  Direction direction = Direction::kOut;
  std::uint16_t port = 0;
  std::uint8_t size = 1;         ///< bytes per access: 1, 2 or 4
  std::uint32_t count = 1;       ///< accesses (more than 1 for REP string I/O)
  std::span<std::uint8_t> data;  ///< size * count bytes, in the kvm_run page
};

/// KVM_EXIT_MMIO: the guest touched a physical address that is not RAM.
struct MmioExit {
  std::uint64_t address = 0;
  bool is_write = false;
  std::span<std::uint8_t> data;  ///< 1 to 8 bytes, in the kvm_run page
};

/// KVM_EXIT_HLT: the guest executed HLT with interrupts that will never come.
struct HltExit {};

/// KVM_EXIT_SHUTDOWN: the guest triple-faulted; a real CPU would reset.
struct ShutdownExit {};

/// KVM_EXIT_INTERNAL_ERROR: KVM could not go on, e.g. it failed to emulate an
/// instruction (suberror KVM_INTERNAL_ERROR_EMULATION).
struct InternalErrorExit {
  std::uint32_t suberror = 0;
  std::vector<std::uint64_t> data;
};

/// KVM_EXIT_FAIL_ENTRY: the CPU refused to enter the guest because its state is
/// invalid; `reason` is the hardware's code (on Intel, the VM-exit reason).
struct FailEntryExit {
  std::uint64_t reason = 0;
  std::uint32_t cpu = 0;
};

/// KVM_RUN returned early because a signal arrived (EINTR or KVM_EXIT_INTR).
struct InterruptedExit {};

/// Any exit reason this VMM does not decode.
struct UnknownExit {
  std::uint32_t reason = 0;
};

using VcpuExit = std::variant<IoExit, MmioExit, HltExit, ShutdownExit, InternalErrorExit,
                              FailEntryExit, InterruptedExit, UnknownExit>;

/// A short name for the exit, e.g. "KVM_EXIT_IO".
std::string exit_name(const VcpuExit& exit);

}  // namespace uh::vmm
