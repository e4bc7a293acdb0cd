// vmm/kvm/vm.h — one virtual machine: its memory map and its vCPUs.
//
// Owns: the VM descriptor from KVM_CREATE_VM. Memory stays owned by
// GuestMemory, which must outlive the Vm: KVM keeps pointers into it.
// Not thread-safe; set up a VM from one thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "support/unique_fd.h"
#include "vmm/memory/guest_memory.h"

namespace uh::vmm {

class Vcpu;

class Vm {
 public:
  /// Takes a descriptor returned by KVM_CREATE_VM; Kvm::create_vm() calls this.
  /// `vcpu_mmap_size` is KVM_GET_VCPU_MMAP_SIZE, needed for every vCPU.
  Vm(UniqueFd fd, std::size_t vcpu_mmap_size) : fd_(std::move(fd)), mmap_size_(vcpu_mmap_size) {}

  /// Tells KVM about every region of `memory`, one memory slot per region,
  /// numbered from 0 in order. REQUIRES: `memory` outlives this Vm.
  /// Throws SysError naming the slot and range when KVM refuses.
  void map_memory(const GuestMemory& memory);

  /// KVM_CREATE_VCPU with `id`, and maps its shared kvm_run page.
  Vcpu create_vcpu(unsigned id);

  /// KVM_CHECK_EXTENSION on this VM (some answers differ per VM).
  int check_extension(long capability) const;

 private:
  UniqueFd fd_;
  std::size_t mmap_size_;
};

}  // namespace uh::vmm
