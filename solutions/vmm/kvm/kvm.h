// vmm/kvm/kvm.h — the KVM system handle, /dev/kvm.
//
// Owns: the open /dev/kvm descriptor. This is the first of three handles the
// KVM API hands out, each creating the next and owning its descriptor:
//
//   Kvm (/dev/kvm) --create_vm()--> Vm --create_vcpu()--> Vcpu
//
// Never: caches answers the kernel may change. Thread-safe: its calls are
// plain ioctls on a descriptor that never changes.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <string>
#include <vector>

#include "support/unique_fd.h"

namespace uh::vmm {

class Vm;

class Kvm {
 public:
  /// The only KVM API version there has ever been; anything else is not KVM.
  static constexpr int kApiVersion = 12;

  /// Opens `path` (normally /dev/kvm) and checks its API version.
  /// Throws SysError with advice when the device is missing or not ours to
  /// open, and std::runtime_error on a version other than 12.
  explicit Kvm(const std::string& path = "/dev/kvm");

  /// KVM_GET_API_VERSION.
  int api_version() const;

  /// KVM_CHECK_EXTENSION: 0 when `capability` (a KVM_CAP_* value) is absent,
  /// otherwise a positive number whose meaning depends on the capability.
  int check_extension(long capability) const;

  /// KVM_GET_VCPU_MMAP_SIZE: bytes to mmap from each vCPU descriptor.
  std::size_t vcpu_mmap_size() const;

  /// KVM_CREATE_VM: a new, empty virtual machine.
  Vm create_vm() const;

  /// KVM_GET_SUPPORTED_CPUID: every CPUID leaf (and subleaf) this host's
  /// KVM can show a guest, with the feature bits it can virtualize. A VMM
  /// hands them, adjusted, to Vcpu::set_cpuid(); Linux reads them to decide
  /// what the CPU can do. Added in chapter 03 for the Linux boot path.
  std::vector<kvm_cpuid_entry2> supported_cpuid() const;

 private:
  UniqueFd fd_;
  std::string path_;
};

}  // namespace uh::vmm
