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

  // The machine a stock kernel expects around its CPU; chapter 03 adds these
  // for the Linux boot path. Each is one ioctl; the first four belong before
  // the first create_vcpu() (KVM's API document, section 4).

  /// KVM_CREATE_IRQCHIP: an in-kernel interrupt controller, the PC's two
  /// 8259 PICs and an I/O APIC, plus a local APIC in every vCPU made after it.
  /// With it, a HLT waits in the kernel for the next interrupt instead of
  /// exiting to the VMM.
  void create_irqchip();

  /// KVM_CREATE_PIT2: an in-kernel 8254 timer on ports 0x40..0x43, ticking
  /// IRQ 0, and (KVM_PIT_SPEAKER_DUMMY) port 0x61, whose gate bit Linux
  /// uses to calibrate its clocks. REQUIRES: create_irqchip() first.
  void create_pit2();

  /// KVM_SET_TSS_ADDR: three pages of guest-physical address space, outside
  /// RAM, that Intel's VMX needs for real-mode emulation.
  void set_tss_address(std::uint64_t address);

  /// KVM_SET_IDENTITY_MAP_ADDR: one page, outside RAM, for the identity
  /// page table VMX uses while the guest runs with paging off.
  void set_identity_map_address(std::uint64_t address);

  /// KVM_IRQ_LINE: sets interrupt line `irq` (a GSI: on a PC, 0..15 are the
  /// ISA IRQs, wired to both the PIC and the I/O APIC) to `level`.
  /// An edge-triggered line sees an edge on each change from low to high.
  /// REQUIRES: create_irqchip().
  void set_irq_line(std::uint32_t irq, bool level);

 private:
  UniqueFd fd_;
  std::size_t mmap_size_;
};

}  // namespace uh::vmm
