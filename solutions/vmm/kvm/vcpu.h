// vmm/kvm/vcpu.h — one virtual CPU and the loop's view of it.
//
// Owns: the vCPU descriptor and the mapping of its kvm_run page, the memory
// KVM and this process share to describe each exit. Not thread-safe: a vCPU
// is driven by one thread, the one that calls run().
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <span>

#include "support/mapping.h"
#include "support/unique_fd.h"
#include "vmm/kvm/vcpu_exit.h"

namespace uh::vmm {

/// Anything the exit loop can run: a real Vcpu, or a scripted one in tests.
class ExitSource {
 public:
  virtual ~ExitSource() = default;
  /// Runs the guest until the next exit and describes it.
  virtual VcpuExit run() = 0;
  /// The guest's instruction pointer now, for error messages.
  virtual std::uint64_t instruction_pointer() = 0;
};

class Vcpu : public ExitSource {
 public:
  /// Takes a descriptor from KVM_CREATE_VCPU and the mapping of its kvm_run
  /// page; Vm::create_vcpu() calls this.
  Vcpu(UniqueFd fd, Mapping run, unsigned id) : fd_(std::move(fd)), run_(std::move(run)), id_(id) {}

  unsigned id() const { return id_; }

  /// KVM_GET_REGS / KVM_SET_REGS: the general-purpose registers, RIP, RFLAGS.
  kvm_regs regs() const;
  void set_regs(const kvm_regs& regs);

  /// KVM_GET_SREGS / KVM_SET_SREGS: segments, control registers, EFER.
  kvm_sregs sregs() const;
  void set_sregs(const kvm_sregs& sregs);

  /// KVM_SET_CPUID2: what CPUID shows the guest, leaf by leaf (usually
  /// Kvm::supported_cpuid(), adjusted). Set before the first run().
  void set_cpuid(std::span<const kvm_cpuid_entry2> entries);

  /// KVM_GET_LAPIC / KVM_SET_LAPIC: the local APIC's 1 KiB register page,
  /// as the guest would see it at 0xfee00000. REQUIRES: Vm::create_irqchip()
  /// before this vCPU was made.
  kvm_lapic_state lapic() const;
  void set_lapic(const kvm_lapic_state& lapic);

  /// KVM_TRANSLATE: what the CPU's own page walk makes of guest-virtual
  /// `address` with the vCPU's current CR3 (valid is 0 when unmapped).
  kvm_translation translate(std::uint64_t address) const;

  /// KVM_RUN once, decoded. Throws SysError when KVM_RUN itself fails (not
  /// when the guest misbehaves: that is an exit like any other).
  VcpuExit run() override;

  std::uint64_t instruction_pointer() override { return regs().rip; }

 private:
  kvm_run* run_page() const { return reinterpret_cast<kvm_run*>(run_.data()); }

  UniqueFd fd_;
  Mapping run_;
  unsigned id_;
};

}  // namespace uh::vmm
