#include "vmm/kvm/vm.h"

#include <fmt/format.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "support/sys_error.h"
#include "vmm/kvm/vcpu.h"

namespace uh::vmm {

void Vm::map_memory(const GuestMemory& memory) {
  // LAB(01.5) Register each region of guest RAM as a KVM memory slot with
  // KVM_SET_USER_MEMORY_REGION (slot i for region i).
  std::uint32_t slot = 0;
  for (const MemoryRegion& region : memory.regions()) {
    kvm_userspace_memory_region kvm_region{};
    kvm_region.slot = slot;
    kvm_region.flags = 0;
    kvm_region.guest_phys_addr = region.base.value();
    kvm_region.memory_size = region.size();
    kvm_region.userspace_addr = reinterpret_cast<std::uint64_t>(region.mapping.data());
    if (::ioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &kvm_region) < 0) {
      throw SysError("ioctl(KVM_SET_USER_MEMORY_REGION)",
                     fmt::format("slot {} at guest {:#x} ({:#x} bytes)", slot, region.base.value(),
                                 region.size()),
                     errno);
    }
    ++slot;
  }
  // END LAB
}

Vcpu Vm::create_vcpu(unsigned id) {
  // LAB(01.6) Create vCPU `id` with KVM_CREATE_VCPU and map its kvm_run page.
  int fd = ::ioctl(fd_.get(), KVM_CREATE_VCPU, static_cast<unsigned long>(id));
  if (fd < 0) throw SysError("ioctl(KVM_CREATE_VCPU)", fmt::format("vCPU {}", id), errno);
  UniqueFd vcpu_fd(fd);
  Mapping run = Mapping::of_fd(vcpu_fd.get(), mmap_size_, fmt::format("kvm_run of vCPU {}", id));
  return Vcpu(std::move(vcpu_fd), std::move(run), id);
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
