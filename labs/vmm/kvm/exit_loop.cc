// Your workspace for chapter 01: write the code where the LAB markers are.
// Made from solutions/vmm/kvm/exit_loop.cc by ci/labgen.py; `./lab test 01` checks your work,
// `./lab hint 01` helps, `./lab reset 01` brings this skeleton back.
#include "vmm/kvm/exit_loop.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <variant>
#include "support/todo.h"

namespace uh::vmm {

namespace {

std::string hex_bytes(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::uint8_t b : bytes) out += fmt::format("{}{:02x}", out.empty() ? "" : " ", b);
  return out;
}

}  // namespace

RunOutcome run_until_halt(ExitSource& vcpu, const IoBus& ports, const IoBus& mmio) {
  // LAB(01.4) Loop on vcpu.run(): send port and MMIO accesses to their bus, stop
  // on HLT or an interruption, and throw GuestError (with the RIP) on the rest.
  throw uh::Todo("01.4",
                 "Loop on vcpu.run(): send port and MMIO accesses to their bus, stop on HLT or "
                 "an interruption, and throw GuestError (with the RIP) on the rest.");
  // END LAB
}

}  // namespace uh::vmm
