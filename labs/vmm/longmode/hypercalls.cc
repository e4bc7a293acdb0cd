// Your workspace for chapter 02: write the code where the LAB markers are.
// Made from solutions/vmm/longmode/hypercalls.cc by ci/labgen.py; `./lab test 02` checks your work,
// `./lab hint 02` helps, `./lab reset 02` brings this skeleton back.
#include "vmm/longmode/hypercalls.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include "vmm/longmode/hypercall_abi.h"
#include "vmm/paging/page_tables.h"
#include "support/todo.h"

namespace uh::vmm {

namespace {

// Each piece of guest-virtual [address, address + length) as a host span,
// one page at a time (contiguous virtual pages need not be contiguous in
// physical memory). Nothing when any page is unmapped or not RAM.
std::optional<std::vector<std::span<std::uint8_t>>> guest_virtual(const GuestMemory& memory,
                                                                  std::uint64_t cr3,
                                                                  std::uint64_t address,
                                                                  std::uint64_t length) {
  std::vector<std::span<std::uint8_t>> pieces;
  if (length > UINT64_MAX - address) return std::nullopt;
  while (length > 0) {
    auto t = walk(memory, cr3, address);
    if (!t) return std::nullopt;
    const std::uint64_t in_page = t->page_size - (address & (t->page_size - 1));
    const std::uint64_t n = std::min(length, in_page);
    try {
      pieces.push_back(memory.slice(t->physical, n));
    } catch (const GuestMemoryError&) {
      return std::nullopt;  // mapped, but to something that is not RAM
    }
    address += n;
    length -= n;
  }
  return pieces;
}

}  // namespace

std::uint32_t Hypercalls::handle(const Hypercall& call) {
  // LAB(02.5) Dispatch on call.number: write (translate the buffer page by page, bounded
  // by kMaxWrite), exit (record the code), time (write CLOCK_MONOTONIC at the pointer).
  throw uh::Todo("02.5",
                 "Dispatch on call.number: write (translate the buffer page by page, bounded by "
                 "kMaxWrite), exit (record the code), time (write CLOCK_MONOTONIC at the "
                 "pointer).");
  // END LAB
}

void HypercallPort::read(std::uint64_t, std::span<std::uint8_t> data) {
  const kvm_regs regs = vcpu_.regs();
  const kvm_sregs sregs = vcpu_.sregs();
  const std::uint32_t result =
      calls_.handle(Hypercall{static_cast<std::uint32_t>(regs.rax), regs.rdi, regs.rsi, sregs.cr3});
  std::fill(data.begin(), data.end(), 0);
  std::memcpy(data.data(), &result, std::min(data.size(), sizeof result));
}

}  // namespace uh::vmm
