// vmm/longmode/hypercalls.h — the VMM's side of the guest's hypercalls.
//
// Owns: what the guest wrote and the exit code it asked for. The guest makes
// a hypercall by reading kPort (hypercall_abi.h); HypercallPort, on the port
// bus, turns that exit into a Hypercall by reading the vCPU's registers, and
// Hypercalls::handle() does the work.
//
// Everything in a hypercall is chosen by the guest: the number, the lengths,
// and pointers that are *virtual* addresses in the guest's own page tables.
// handle() translates them with the software walker (page_tables.h), one page
// at a time, and answers a bad one with kFault; nothing the guest passes can
// make the VMM read outside guest RAM or crash. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "vmm/bus/bus_device.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/memory/guest_memory.h"

namespace uh::vmm {

/// One hypercall as the registers held it at the exit.
struct Hypercall {
  std::uint32_t number = 0;  ///< eax
  std::uint64_t arg0 = 0;    ///< rdi
  std::uint64_t arg1 = 0;    ///< rsi
  std::uint64_t cr3 = 0;     ///< the guest's page tables, for its pointers
};

class Hypercalls {
 public:
  /// `echo`, when set, also receives each write's text as it arrives.
  explicit Hypercalls(const GuestMemory& memory, std::function<void(std::string_view)> echo = {})
      : memory_(memory), echo_(std::move(echo)) {}

  /// Does what `call` asks and returns the value for the guest's eax:
  ///   kWrite(buffer, length): copies the guest's bytes to the output;
  ///     returns length, kInvalid when length > kMaxWrite, kFault when any
  ///     page of the buffer is unmapped or not RAM (nothing is written then);
  ///   kExit(code): records the code (the guest halts next); returns 0;
  ///   kTime(pointer): writes the host's CLOCK_MONOTONIC in nanoseconds as a
  ///     u64 at the guest-virtual pointer; returns 0, or kFault;
  ///   anything else: kInvalid.
  std::uint32_t handle(const Hypercall& call);

  const std::string& output() const { return output_; }
  std::optional<std::uint64_t> exit_code() const { return exit_code_; }

 private:
  const GuestMemory& memory_;
  std::function<void(std::string_view)> echo_;
  std::string output_;
  std::optional<std::uint64_t> exit_code_;
};

/// The hypercall port: a read there is a hypercall. Writes are ignored.
class HypercallPort : public BusDevice {
 public:
  /// REQUIRES: `vcpu` and `calls` outlive the port.
  HypercallPort(Vcpu& vcpu, Hypercalls& calls) : vcpu_(vcpu), calls_(calls) {}
  void read(std::uint64_t offset, std::span<std::uint8_t> data) override;
  void write(std::uint64_t, std::span<const std::uint8_t>) override {}

 private:
  Vcpu& vcpu_;
  Hypercalls& calls_;
};

}  // namespace uh::vmm
