#include "vmm/kvm/real_mode_vm.h"

#include "vmm/kvm/real_mode.h"

namespace uh::vmm {

namespace {

GuestMemory ram_of(std::uint64_t size) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0), size);
  return memory;
}

}  // namespace

RealModeVm::RealModeVm(std::span<const std::uint8_t> image, std::uint64_t load_address,
                       Options options)
    : memory_(ram_of(options.ram_size)),
      vm_(kvm_.create_vm()),
      vcpu_((vm_.map_memory(memory_), vm_.create_vcpu(0))),
      console_(std::make_shared<DebugConsole>(std::move(options.echo))) {
  memory_.write(GuestAddress(load_address), image);
  ports_.insert(BusRange{DebugConsole::kPort, 1}, console_);

  kvm_sregs sregs = vcpu_.sregs();
  kvm_regs regs = vcpu_.regs();
  setup_real_mode(sregs, regs, GuestAddress(load_address));
  vcpu_.set_sregs(sregs);
  vcpu_.set_regs(regs);
}

}  // namespace uh::vmm
