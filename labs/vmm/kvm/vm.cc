// Your workspace for chapter 01: write the code where the LAB markers are.
// Made from solutions/vmm/kvm/vm.cc by ci/labgen.py; `./lab test 01` checks your work,
// `./lab hint 01` helps, `./lab reset 01` brings this skeleton back.
#include "vmm/kvm/vm.h"

#include <fmt/format.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "support/sys_error.h"
#include "vmm/kvm/vcpu.h"
#include "support/todo.h"

namespace uh::vmm {

void Vm::map_memory(const GuestMemory& memory) {
  // LAB(01.5) Register each region of guest RAM as a KVM memory slot with
  // KVM_SET_USER_MEMORY_REGION (slot i for region i).
  throw uh::Todo("01.5",
                 "Register each region of guest RAM as a KVM memory slot with "
                 "KVM_SET_USER_MEMORY_REGION (slot i for region i).");
  // END LAB
}

Vcpu Vm::create_vcpu(unsigned id) {
  // LAB(01.6) Create vCPU `id` with KVM_CREATE_VCPU and map its kvm_run page.
  throw uh::Todo("01.6", "Create vCPU `id` with KVM_CREATE_VCPU and map its kvm_run page.");
  // END LAB
}

int Vm::check_extension(long capability) const {
  return static_cast<int>(check_sys(::ioctl(fd_.get(), KVM_CHECK_EXTENSION, capability),
                                    "ioctl(KVM_CHECK_EXTENSION)", "VM"));
}

void Vm::create_irqchip() {
  check_sys(::ioctl(fd_.get(), KVM_CREATE_IRQCHIP, 0), "ioctl(KVM_CREATE_IRQCHIP)", "VM");
}

void Vm::create_pit2() {
  kvm_pit_config config{};
  config.flags = KVM_PIT_SPEAKER_DUMMY;
  check_sys(::ioctl(fd_.get(), KVM_CREATE_PIT2, &config), "ioctl(KVM_CREATE_PIT2)", "VM");
}

void Vm::set_tss_address(std::uint64_t address) {
  check_sys(::ioctl(fd_.get(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(address)),
            "ioctl(KVM_SET_TSS_ADDR)", fmt::format("VM, address {:#x}", address));
}

void Vm::set_identity_map_address(std::uint64_t address) {
  std::uint64_t value = address;
  check_sys(::ioctl(fd_.get(), KVM_SET_IDENTITY_MAP_ADDR, &value),
            "ioctl(KVM_SET_IDENTITY_MAP_ADDR)", fmt::format("VM, address {:#x}", address));
}

void Vm::set_irq_line(std::uint32_t irq, bool level) {
  kvm_irq_level line{};
  line.irq = irq;
  line.level = level ? 1 : 0;
  check_sys(::ioctl(fd_.get(), KVM_IRQ_LINE, &line), "ioctl(KVM_IRQ_LINE)",
            fmt::format("VM, IRQ {}", irq));
}

}  // namespace uh::vmm
