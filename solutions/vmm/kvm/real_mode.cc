#include "vmm/kvm/real_mode.h"

#include <fmt/format.h>

#include <stdexcept>

namespace uh::vmm {

namespace {

constexpr std::uint64_t kCr0ProtectionEnable = 1u << 0;
constexpr std::uint64_t kCr0Paging = 1u << 31;
constexpr std::uint64_t kRflagsReserved = 1u << 1;

}  // namespace

void setup_real_mode(kvm_sregs& sregs, kvm_regs& regs, GuestAddress entry) {
  if (entry.value() >= kRealModeLimit) {
    throw std::invalid_argument(
        fmt::format("real-mode entry {:#x} is not below 1 MiB", entry.value()));
  }
  // LAB(01.3) Point every segment at the 64 KiB block holding `entry`, clear
  // CR0.PE and CR0.PG, and set RIP, RSP and RFLAGS as the header describes.
  std::uint16_t selector = static_cast<std::uint16_t>((entry.value() & 0xf0000) >> 4);
  for (kvm_segment* segment : {&sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss}) {
    segment->selector = selector;
    segment->base = std::uint64_t{selector} << 4;
  }
  sregs.cr0 &= ~(kCr0ProtectionEnable | kCr0Paging);
  regs = kvm_regs{};
  regs.rip = entry.value() - sregs.cs.base;
  regs.rsp = 0;
  regs.rflags = kRflagsReserved;
  // END LAB
}

}  // namespace uh::vmm
