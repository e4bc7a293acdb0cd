#include "raw_vmm.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace uh::bench {

std::size_t run_raw_vmm(std::span<const std::uint8_t> image) {
  // Deliberately the textbook sequence with no wrappers: this is the floor
  // our classes are measured against. Errors only need to be detected.
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) throw std::runtime_error("raw VMM: open /dev/kvm failed");
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  const std::size_t ram_size = 0x10000;
  void* ram = mmap(nullptr, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  std::memcpy(static_cast<std::uint8_t*>(ram) + 0x1000, image.data(), image.size());
  kvm_userspace_memory_region region{0, 0, 0, ram_size, reinterpret_cast<std::uint64_t>(ram)};
  ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);
  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  auto* run = static_cast<kvm_run*>(mmap(nullptr, static_cast<std::size_t>(run_size),
                                         PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0));
  kvm_sregs sregs;
  ioctl(vcpu, KVM_GET_SREGS, &sregs);
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  ioctl(vcpu, KVM_SET_SREGS, &sregs);
  kvm_regs regs{};
  regs.rip = 0x1000;
  regs.rflags = 2;
  ioctl(vcpu, KVM_SET_REGS, &regs);

  std::size_t printed = 0;
  bool halted = false;
  while (!halted) {
    if (ioctl(vcpu, KVM_RUN, 0) < 0) break;
    if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xe9) {
      ++printed;
    } else {
      halted = run->exit_reason == KVM_EXIT_HLT;
      if (!halted) break;
    }
  }
  munmap(run, static_cast<std::size_t>(run_size));
  close(vcpu);
  munmap(ram, ram_size);
  close(vm);
  close(kvm);
  if (!halted) throw std::runtime_error("raw VMM: the guest did not halt");
  return printed;
}

}  // namespace uh::bench
