#include "vmm/kvm/vcpu_exit.h"

#include <fmt/format.h>

namespace uh::vmm {

std::string exit_name(const VcpuExit& exit) {
  struct Namer {
    std::string operator()(const IoExit&) const { return "KVM_EXIT_IO"; }
    std::string operator()(const MmioExit&) const { return "KVM_EXIT_MMIO"; }
    std::string operator()(const HltExit&) const { return "KVM_EXIT_HLT"; }
    std::string operator()(const ShutdownExit&) const { return "KVM_EXIT_SHUTDOWN"; }
    std::string operator()(const InternalErrorExit&) const { return "KVM_EXIT_INTERNAL_ERROR"; }
    std::string operator()(const FailEntryExit&) const { return "KVM_EXIT_FAIL_ENTRY"; }
    std::string operator()(const InterruptedExit&) const { return "KVM_EXIT_INTR"; }
    std::string operator()(const UnknownExit& e) const {
      return fmt::format("exit reason {}", e.reason);
    }
  };
  return std::visit(Namer{}, exit);
}

}  // namespace uh::vmm
