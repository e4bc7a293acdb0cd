#include "host/probe_vm.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/sys_error.h"

namespace uh::host {

namespace {

// Guest-physical layout of the long-mode probe (all inside the 2 MiB of RAM).
constexpr std::uint64_t kGdt = 0x500;
constexpr std::uint64_t kPml4 = 0x1000;
constexpr std::uint64_t kPdpt = 0x2000;
constexpr std::uint64_t kPd = 0x3000;
constexpr std::uint64_t kIdt = 0x4000;
constexpr std::uint64_t kTss = 0x7000;
constexpr std::uint64_t kStackTop = 0x10000;

constexpr std::uint16_t kProbePort = 0x10;

void write_u64(std::span<std::uint8_t> ram, std::uint64_t at, std::uint64_t value) {
  std::memcpy(ram.data() + at, &value, sizeof value);
}

void write_idt_gate(std::span<std::uint8_t> ram, unsigned vector, std::uint64_t handler) {
  // A 64-bit interrupt gate: offset split in three, code selector 0x8,
  // type 0xe (interrupt gate), present, DPL 0.
  std::uint64_t low = (handler & 0xffff) | (std::uint64_t{0x8} << 16) |
                      (std::uint64_t{0x8e} << 40) | ((handler >> 16 & 0xffff) << 48);
  std::uint64_t high = handler >> 32;
  write_u64(ram, kIdt + vector * 16, low);
  write_u64(ram, kIdt + vector * 16 + 8, high);
}

void ignore_signal(int) {}

}  // namespace

ProbeVm::ProbeVm() {
  kvm_.reset(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm_) throw SysError("open", "/dev/kvm", errno);
  long version = check_sys(::ioctl(kvm_.get(), KVM_GET_API_VERSION, 0),
                           "ioctl(KVM_GET_API_VERSION)", "/dev/kvm");
  if (version != 12) {
    throw std::runtime_error("/dev/kvm speaks API version " + std::to_string(version) + ", not 12");
  }
  vm_.reset(static_cast<int>(
      check_sys(::ioctl(kvm_.get(), KVM_CREATE_VM, 0), "ioctl(KVM_CREATE_VM)", "/dev/kvm")));
  ram_ = Mapping::anonymous(kRamSize, "probe guest RAM");
  kvm_userspace_memory_region region{};
  region.memory_size = kRamSize;
  region.userspace_addr = reinterpret_cast<std::uint64_t>(ram_.data());
  check_sys(::ioctl(vm_.get(), KVM_SET_USER_MEMORY_REGION, &region),
            "ioctl(KVM_SET_USER_MEMORY_REGION)", "probe VM");
  vcpu_.reset(static_cast<int>(
      check_sys(::ioctl(vm_.get(), KVM_CREATE_VCPU, 0), "ioctl(KVM_CREATE_VCPU)", "probe VM")));
  long size = check_sys(::ioctl(kvm_.get(), KVM_GET_VCPU_MMAP_SIZE, 0),
                        "ioctl(KVM_GET_VCPU_MMAP_SIZE)", "/dev/kvm");
  run_ = Mapping::of_fd(vcpu_.get(), static_cast<std::size_t>(size), "probe kvm_run");
}

void ProbeVm::enter_real_mode(std::uint64_t entry) {
  kvm_sregs sregs{};
  check_sys(::ioctl(vcpu_.get(), KVM_GET_SREGS, &sregs), "ioctl(KVM_GET_SREGS)", "probe vCPU");
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  check_sys(::ioctl(vcpu_.get(), KVM_SET_SREGS, &sregs), "ioctl(KVM_SET_SREGS)", "probe vCPU");
  kvm_regs regs{};
  regs.rip = entry;
  regs.rflags = 2;
  check_sys(::ioctl(vcpu_.get(), KVM_SET_REGS, &regs), "ioctl(KVM_SET_REGS)", "probe vCPU");
}

void ProbeVm::enter_long_mode(std::uint64_t entry, std::uint64_t int3_handler,
                              std::uint64_t page_fault_handler) {
  std::span<std::uint8_t> ram = ram_.bytes();
  // Page tables: PML4[0] -> PDPT[0] -> PD[0] = one 2 MiB page at 0 (present,
  // writable, page size). Nothing else is mapped, so touching 2 MiB and above
  // page-faults.
  write_u64(ram, kPml4, kPdpt | 0x3);
  write_u64(ram, kPdpt, kPd | 0x3);
  write_u64(ram, kPd, 0x83);
  // GDT: null, 64-bit code, data.
  write_u64(ram, kGdt + 8, 0x00af9a000000ffff);
  write_u64(ram, kGdt + 16, 0x00cf92000000ffff);
  write_idt_gate(ram, 3, int3_handler);
  write_idt_gate(ram, 14, page_fault_handler);

  kvm_sregs sregs{};
  check_sys(::ioctl(vcpu_.get(), KVM_GET_SREGS, &sregs), "ioctl(KVM_GET_SREGS)", "probe vCPU");
  kvm_segment code{};
  code.limit = 0xffffffff;
  code.selector = 0x8;
  code.type = 11;  // execute/read, accessed
  code.present = 1;
  code.s = 1;
  code.l = 1;
  code.g = 1;
  kvm_segment data = code;
  data.selector = 0x10;
  data.type = 3;  // read/write, accessed
  data.l = 0;
  data.db = 1;
  sregs.cs = code;
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
  kvm_segment tss{};
  tss.base = kTss;
  tss.limit = 0x67;
  tss.selector = 0x18;
  tss.type = 11;  // busy 64-bit TSS
  tss.present = 1;
  sregs.tr = tss;
  sregs.gdt.base = kGdt;
  sregs.gdt.limit = 3 * 8 - 1;
  sregs.idt.base = kIdt;
  sregs.idt.limit = 256 * 16 - 1;
  sregs.cr3 = kPml4;
  sregs.cr4 = 1u << 5;     // PAE
  sregs.cr0 = 0x80000033;  // PG | NE | ET | MP | PE
  sregs.efer = 0x500;      // LMA | LME
  check_sys(::ioctl(vcpu_.get(), KVM_SET_SREGS, &sregs), "ioctl(KVM_SET_SREGS)", "probe vCPU");
  kvm_regs regs{};
  regs.rip = entry;
  regs.rsp = kStackTop;
  regs.rflags = 2;
  check_sys(::ioctl(vcpu_.get(), KVM_SET_REGS, &regs), "ioctl(KVM_SET_REGS)", "probe vCPU");
}

ProbeVm::Outcome ProbeVm::run() {
  // A guest that loops (as some do on hosts that cannot deliver exceptions)
  // must not hang the probe: a SIGALRM with a do-nothing handler makes KVM_RUN
  // return EINTR. The previous handler and timer are restored afterwards.
  struct sigaction action {};
  action.sa_handler = ignore_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  ::sigaction(SIGALRM, &action, &previous);
  itimerval timer{};
  timer.it_value.tv_sec = 2;
  itimerval previous_timer{};
  ::setitimer(ITIMER_REAL, &timer, &previous_timer);

  auto* run = reinterpret_cast<kvm_run*>(run_.data());
  Outcome outcome;
  for (int exits = 0; exits < 64; ++exits) {
    if (::ioctl(vcpu_.get(), KVM_RUN, 0) < 0) {
      outcome.stop = errno == EINTR ? "the guest made no progress for 2 seconds"
                                    : std::string("KVM_RUN failed: ") + std::strerror(errno);
      break;
    }
    if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
        run->io.port == kProbePort && run->io.size == 1) {
      outcome.port_bytes +=
          static_cast<char>(reinterpret_cast<std::uint8_t*>(run)[run->io.data_offset]);
      continue;
    }
    if (run->exit_reason == KVM_EXIT_HLT) {
      outcome.halted = true;
      break;
    }
    switch (run->exit_reason) {
      case KVM_EXIT_SHUTDOWN:
        outcome.stop = "KVM_EXIT_SHUTDOWN (triple fault)";
        break;
      case KVM_EXIT_INTERNAL_ERROR:
        outcome.stop =
            "KVM_EXIT_INTERNAL_ERROR (suberror " + std::to_string(run->internal.suberror) + ")";
        break;
      case KVM_EXIT_FAIL_ENTRY:
        outcome.stop = "KVM_EXIT_FAIL_ENTRY";
        break;
      default:
        outcome.stop = "unexpected exit reason " + std::to_string(run->exit_reason);
    }
    break;
  }
  if (!outcome.halted && outcome.stop.empty())
    outcome.stop = "the guest did not halt within 64 exits";

  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &previous, nullptr);
  ::setitimer(ITIMER_REAL, &previous_timer, nullptr);
  return outcome;
}

}  // namespace uh::host
