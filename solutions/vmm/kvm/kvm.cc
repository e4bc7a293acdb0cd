#include "vmm/kvm/kvm.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "support/sys_error.h"
#include "vmm/kvm/vm.h"

namespace uh::vmm {

namespace {

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

Vm Kvm::create_vm() const {
  // The argument is the machine type; 0 is the default on x86.
  int fd = static_cast<int>(
      check_sys(::ioctl(fd_.get(), KVM_CREATE_VM, 0), "ioctl(KVM_CREATE_VM)", path_));
  return Vm(UniqueFd(fd), vcpu_mmap_size());
}

}  // namespace uh::vmm
