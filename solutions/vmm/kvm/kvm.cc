#include "vmm/kvm/kvm.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "support/sys_error.h"
#include "vmm/kvm/vm.h"

namespace uh::vmm {

namespace {

// struct kvm_cpuid2 as the kernel lays it out: two u32s, then the entries.
// <linux/kvm.h> declares it with __DECLARE_FLEX_ARRAY, which the Linux 6.1
// headers (Debian 12's) expand wrongly in C++: sizeof becomes 12, not 8,
// moving the entries and changing the ioctl's number. So the VMM spells
// the layout and the number out itself.
struct CpuidHeader {
  std::uint32_t nent;
  std::uint32_t padding;
};
static_assert(sizeof(CpuidHeader) == 8 && sizeof(kvm_cpuid_entry2) == 40);
constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, CpuidHeader);

// What a reader can do about each way opening /dev/kvm fails.
const char* open_advice(int err) {
  switch (err) {
    case ENOENT:
      return "this machine has no KVM; enable virtualization (VT-x/AMD-V, or nested "
             "virtualization for a VM) and load kvm_intel or kvm_amd";
    case EACCES:
    case EPERM:
      return "add yourself to the kvm group (sudo usermod -aG kvm $USER) and log in again";
    default:
      return "";
  }
}

}  // namespace

Kvm::Kvm(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw SysError("open", path, errno, open_advice(errno));
  fd_.reset(fd);
  int version = api_version();
  if (version != kApiVersion) {
    throw std::runtime_error(path + " speaks KVM API version " + std::to_string(version) +
                             ", this VMM needs version 12");
  }
}

int Kvm::api_version() const {
  return static_cast<int>(
      check_sys(::ioctl(fd_.get(), KVM_GET_API_VERSION, 0), "ioctl(KVM_GET_API_VERSION)", path_));
}

int Kvm::check_extension(long capability) const {
  return static_cast<int>(check_sys(::ioctl(fd_.get(), KVM_CHECK_EXTENSION, capability),
                                    "ioctl(KVM_CHECK_EXTENSION)", path_));
}

std::size_t Kvm::vcpu_mmap_size() const {
  return static_cast<std::size_t>(check_sys(::ioctl(fd_.get(), KVM_GET_VCPU_MMAP_SIZE, 0),
                                            "ioctl(KVM_GET_VCPU_MMAP_SIZE)", path_));
}

std::vector<kvm_cpuid_entry2> Kvm::supported_cpuid() const {
  // The caller says how many entries it has room for; KVM answers E2BIG
  // when that is too few, so grow until it fits (the API's documented dance).
  for (std::size_t room = 64; room <= 4096; room *= 2) {
    // One buffer: the C layout of kvm_cpuid2, then the entries.
    std::vector<std::uint64_t> buffer((sizeof(CpuidHeader) + room * sizeof(kvm_cpuid_entry2) + 7) /
                                      8);
    auto* header = reinterpret_cast<CpuidHeader*>(buffer.data());
    header->nent = static_cast<std::uint32_t>(room);
    if (::ioctl(fd_.get(), kGetSupportedCpuid, header) == 0) {
      auto* entries = reinterpret_cast<const kvm_cpuid_entry2*>(header + 1);
      return std::vector<kvm_cpuid_entry2>(entries, entries + header->nent);
    }
    if (errno != E2BIG) throw SysError("ioctl(KVM_GET_SUPPORTED_CPUID)", path_, errno);
  }
  throw SysError("ioctl(KVM_GET_SUPPORTED_CPUID)", path_, E2BIG);
}

Vm Kvm::create_vm() const {
  // The argument is the machine type; 0 is the default on x86.
  int fd = static_cast<int>(
      check_sys(::ioctl(fd_.get(), KVM_CREATE_VM, 0), "ioctl(KVM_CREATE_VM)", path_));
  return Vm(UniqueFd(fd), vcpu_mmap_size());
}

}  // namespace uh::vmm
