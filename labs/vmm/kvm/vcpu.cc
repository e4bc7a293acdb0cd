// Your workspace for chapter 01: write the code where the LAB markers are.
// Made from solutions/vmm/kvm/vcpu.cc by ci/labgen.py; `./lab test 01` checks your work,
// `./lab hint 01` helps, `./lab reset 01` brings this skeleton back.
#include "vmm/kvm/vcpu.h"

#include <fmt/format.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "support/sys_error.h"
#include "support/todo.h"

namespace uh::vmm {

namespace {

// struct kvm_cpuid2 as the kernel lays it out (see Kvm::supported_cpuid in
// kvm.cc: Debian 12's <linux/kvm.h> gets its size wrong in C++).
struct CpuidHeader {
  std::uint32_t nent;
  std::uint32_t padding;
};
constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, CpuidHeader);

}  // namespace

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

void Vcpu::set_cpuid(std::span<const kvm_cpuid_entry2> entries) {
  // One buffer: the C layout of kvm_cpuid2, then the entries.
  std::vector<std::uint64_t> buffer(
      (sizeof(CpuidHeader) + entries.size() * sizeof(kvm_cpuid_entry2) + 7) / 8);
  auto* header = reinterpret_cast<CpuidHeader*>(buffer.data());
  header->nent = static_cast<std::uint32_t>(entries.size());
  std::copy(entries.begin(), entries.end(), reinterpret_cast<kvm_cpuid_entry2*>(header + 1));
  check_sys(::ioctl(fd_.get(), kSetCpuid2, header), "ioctl(KVM_SET_CPUID2)",
            fmt::format("vCPU {}, {} entries", id_, entries.size()));
}

kvm_lapic_state Vcpu::lapic() const {
  kvm_lapic_state state{};
  check_sys(::ioctl(fd_.get(), KVM_GET_LAPIC, &state), "ioctl(KVM_GET_LAPIC)",
            fmt::format("vCPU {}", id_));
  return state;
}

void Vcpu::set_lapic(const kvm_lapic_state& lapic) {
  check_sys(::ioctl(fd_.get(), KVM_SET_LAPIC, &lapic), "ioctl(KVM_SET_LAPIC)",
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
