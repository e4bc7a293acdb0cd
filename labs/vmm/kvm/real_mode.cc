// Your workspace for chapter 01: write the code where the LAB markers are.
// Made from solutions/vmm/kvm/real_mode.cc by ci/labgen.py; `./lab test 01` checks your work,
// `./lab hint 01` helps, `./lab reset 01` brings this skeleton back.
#include "vmm/kvm/real_mode.h"

#include <fmt/format.h>

#include <stdexcept>
#include "support/todo.h"

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
  throw uh::Todo("01.3",
                 "Point every segment at the 64 KiB block holding `entry`, clear CR0.PE and "
                 "CR0.PG, and set RIP, RSP and RFLAGS as the header describes.");
  // END LAB
}

}  // namespace uh::vmm
