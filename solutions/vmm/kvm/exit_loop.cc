#include "vmm/kvm/exit_loop.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <variant>

namespace uh::vmm {

namespace {

std::string hex_bytes(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::uint8_t b : bytes) out += fmt::format("{}{:02x}", out.empty() ? "" : " ", b);
  return out;
}

}  // namespace

RunOutcome run_until_halt(ExitSource& vcpu, const IoBus& ports, const IoBus& mmio) {
  // LAB(01.4) Loop on vcpu.run(): send port and MMIO accesses to their bus, stop
  // on HLT or an interruption, and throw GuestError (with the RIP) on the rest.
  RunOutcome outcome;
  ExitStats& stats = outcome.stats;
  for (;;) {
    VcpuExit exit = vcpu.run();
    ++stats.total;
    if (auto* io = std::get_if<IoExit>(&exit)) {
      bool out = io->direction == IoExit::Direction::kOut;
      ++(out ? stats.io_out : stats.io_in);
      for (std::uint32_t i = 0; i < io->count; ++i) {
        std::span<std::uint8_t> item = io->data.subspan(std::size_t{i} * io->size, io->size);
        bool handled = out ? ports.write(io->port, item) : ports.read(io->port, item);
        if (!handled) {
          throw GuestError(
              GuestError::Kind::kUnhandledIo,
              out ? fmt::format("guest wrote {} to port {:#x} (rip {:#x}, just past the OUT), "
                                "but no device is on that port",
                                hex_bytes(item), io->port, vcpu.instruction_pointer())
                  : fmt::format("guest read {} byte(s) from port {:#x} (rip {:#x}, just past "
                                "the IN), but no device is on that port",
                                io->size, io->port, vcpu.instruction_pointer()));
        }
      }
    } else if (auto* access = std::get_if<MmioExit>(&exit)) {
      ++(access->is_write ? stats.mmio_write : stats.mmio_read);
      bool handled = access->is_write ? mmio.write(access->address, access->data)
                                      : mmio.read(access->address, access->data);
      if (!handled) {
        throw GuestError(GuestError::Kind::kUnhandledMmio,
                         fmt::format("guest {} {} byte(s) at {:#x} (rip {:#x}), which is "
                                     "neither RAM nor a device",
                                     access->is_write ? "wrote" : "read", access->data.size(),
                                     access->address, vcpu.instruction_pointer()));
      }
    } else if (std::holds_alternative<HltExit>(exit)) {
      outcome.stop = RunOutcome::Stop::kHalted;
      return outcome;
    } else if (std::holds_alternative<InterruptedExit>(exit)) {
      ++stats.interrupted;
      outcome.stop = RunOutcome::Stop::kInterrupted;
      return outcome;
    } else if (std::holds_alternative<ShutdownExit>(exit)) {
      throw GuestError(GuestError::Kind::kTripleFault,
                       fmt::format("guest triple-faulted (KVM_EXIT_SHUTDOWN) near rip {:#x}: an "
                                   "exception occurred and so did every attempt to handle it",
                                   vcpu.instruction_pointer()));
    } else if (auto* internal = std::get_if<InternalErrorExit>(&exit)) {
      throw GuestError(GuestError::Kind::kInternalError,
                       fmt::format("KVM could not continue the guest (KVM_EXIT_INTERNAL_ERROR, "
                                   "suberror {}, data [{:#x}]) at rip {:#x}",
                                   internal->suberror, fmt::join(internal->data, ", "),
                                   vcpu.instruction_pointer()));
    } else if (auto* failed = std::get_if<FailEntryExit>(&exit)) {
      throw GuestError(GuestError::Kind::kFailedEntry,
                       fmt::format("the CPU refused to enter the guest (KVM_EXIT_FAIL_ENTRY, "
                                   "hardware reason {:#x}) at rip {:#x}: the register state "
                                   "is invalid",
                                   failed->reason, vcpu.instruction_pointer()));
    } else {
      throw GuestError(
          GuestError::Kind::kUnknownExit,
          fmt::format("unexpected {} at rip {:#x}", exit_name(exit), vcpu.instruction_pointer()));
    }
  }
  // END LAB
}

}  // namespace uh::vmm
