#include "vmm/longmode/hypercalls.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include "vmm/longmode/hypercall_abi.h"
#include "vmm/paging/page_tables.h"

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
  switch (call.number) {
    case hypercall::kWrite: {
      if (call.arg1 > hypercall::kMaxWrite) return hypercall::kInvalid;
      auto pieces = guest_virtual(memory_, call.cr3, call.arg0, call.arg1);
      if (!pieces) return hypercall::kFault;
      std::string text;
      for (const auto& piece : *pieces) text.append(piece.begin(), piece.end());
      output_ += text;
      if (echo_) echo_(text);
      return static_cast<std::uint32_t>(call.arg1);
    }
    case hypercall::kExit:
      exit_code_ = call.arg0;
      return 0;
    case hypercall::kTime: {
      auto pieces = guest_virtual(memory_, call.cr3, call.arg0, sizeof(std::uint64_t));
      if (!pieces) return hypercall::kFault;
      timespec now{};
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      const std::uint64_t ns = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
                               static_cast<std::uint64_t>(now.tv_nsec);
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(&ns);
      for (const auto& piece : *pieces) {
        std::memcpy(piece.data(), bytes, piece.size());
        bytes += piece.size();
      }
      return 0;
    }
    default:
      return hypercall::kInvalid;
  }
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
