// vmm/kvm/exit_loop.h — run a vCPU until the guest halts, serving its I/O.
//
// Owns: nothing. The loop is the heart of every VMM: enter the guest, get an
// exit, do what the guest asked (a port or MMIO access goes to the device on
// the bus), enter again. Everything that is not a device access either ends
// the run (HLT, a signal) or is an error the guest caused.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "vmm/bus/io_bus.h"
#include "vmm/kvm/vcpu.h"

namespace uh::vmm {

/// The guest did something the VMM cannot go on from. kind() says what.
class GuestError : public std::runtime_error {
 public:
  enum class Kind {
    kUnhandledIo,    ///< a port with no device on the port bus
    kUnhandledMmio,  ///< an address that is neither RAM nor a device
    kTripleFault,    ///< KVM_EXIT_SHUTDOWN
    kInternalError,  ///< KVM_EXIT_INTERNAL_ERROR
    kFailedEntry,    ///< KVM_EXIT_FAIL_ENTRY
    kUnknownExit,    ///< an exit reason this VMM does not know
  };

  GuestError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

/// How many exits of each kind a run took.
struct ExitStats {
  std::uint64_t io_in = 0;
  std::uint64_t io_out = 0;
  std::uint64_t mmio_read = 0;
  std::uint64_t mmio_write = 0;
  std::uint64_t interrupted = 0;
  std::uint64_t total = 0;  ///< every exit, including the final one
};

/// Why run_until_halt() returned.
struct RunOutcome {
  enum class Stop { kHalted, kInterrupted };
  Stop stop = Stop::kHalted;
  ExitStats stats;
};

/// Runs `vcpu` until the guest halts (returns kHalted) or a signal interrupts
/// KVM_RUN (returns kInterrupted). Port I/O goes to `ports`, MMIO to `mmio`;
/// REP string I/O is split into `count` accesses of `size` bytes each.
/// Throws GuestError, naming the exit and the guest's RIP, on anything else.
RunOutcome run_until_halt(ExitSource& vcpu, const IoBus& ports, const IoBus& mmio);

}  // namespace uh::vmm
