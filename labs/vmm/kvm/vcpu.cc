// Your workspace for chapter 01: write the code where the LAB markers are.
// Made from solutions/vmm/kvm/vcpu.cc by ci/labgen.py; `./lab test 01` checks your work,
// `./lab hint 01` helps, `./lab reset 01` brings this skeleton back.
#include "vmm/kvm/vcpu.h"

#include <fmt/format.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>

#include "support/sys_error.h"
#include "support/todo.h"

namespace uh::vmm {

kvm_regs Vcpu::regs() const {
  kvm_regs regs{};
  check_sys(::ioctl(fd_.get(), KVM_GET_REGS, &regs), "ioctl(KVM_GET_REGS)",
            fmt::format("vCPU {}", id_));
  return regs;
}

void Vcpu::set_regs(const kvm_regs& regs) {
  check_sys(::ioctl(fd_.get(), KVM_SET_REGS, &regs), "ioctl(KVM_SET_REGS)",
            fmt::format("vCPU {}", id_));
}

kvm_sregs Vcpu::sregs() const {
  kvm_sregs sregs{};
  check_sys(::ioctl(fd_.get(), KVM_GET_SREGS, &sregs), "ioctl(KVM_GET_SREGS)",
            fmt::format("vCPU {}", id_));
  return sregs;
}

void Vcpu::set_sregs(const kvm_sregs& sregs) {
  check_sys(::ioctl(fd_.get(), KVM_SET_SREGS, &sregs), "ioctl(KVM_SET_SREGS)",
            fmt::format("vCPU {}", id_));
}

kvm_translation Vcpu::translate(std::uint64_t address) const {
  kvm_translation t{};
  t.linear_address = address;
  check_sys(::ioctl(fd_.get(), KVM_TRANSLATE, &t), "ioctl(KVM_TRANSLATE)",
            fmt::format("vCPU {}, address {:#x}", id_, address));
  return t;
}

VcpuExit Vcpu::run() {
  // LAB(01.6) Enter the guest with KVM_RUN and decode kvm_run's exit_reason
  // into a VcpuExit (EINTR means a signal interrupted the run).
  throw uh::Todo("01.6",
                 "Enter the guest with KVM_RUN and decode kvm_run's exit_reason into a VcpuExit "
                 "(EINTR means a signal interrupted the run).");
  // END LAB
}

}  // namespace uh::vmm
