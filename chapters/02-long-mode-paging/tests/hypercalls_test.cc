// Chapter 02 — hypercalls, handled over plain memory with real page tables.
#include "vmm/longmode/hypercalls.h"

#include <gtest/gtest.h>

#include <cstring>

#include "vmm/longmode/hypercall_abi.h"
#include "vmm/paging/page_tables.h"

namespace uh::vmm {
namespace {

class Hypercall_ : public ::testing::Test {
 protected:
  // Tables written by hand (not by build_identity_and_higher_half, so these
  // tests stand on their own): the first GiB with 2 MiB pages, identity
  // (PML4[0]) and higher half (PML4[511], PDPT[510]), sharing one PD.
  Hypercall_() {
    m_.add_region(GuestAddress(0), 8 << 20);
    const std::uint64_t rw = kPtePresent | kPteWritable;
    put(0x1000, 0, 0x2000 | rw);
    put(0x1000, 511, 0x3000 | rw);
    put(0x2000, 0, 0x4000 | rw);
    put(0x3000, 510, 0x4000 | rw);
    for (std::uint64_t i = 0; i < 512; ++i) put(0x4000, i, i * kPageSize2M | rw | kPtePageSize);
  }
  void put(std::uint64_t table, std::uint64_t index, std::uint64_t value) {
    m_.write_obj(GuestAddress(table + 8 * index), value);
  }
  std::uint32_t call(std::uint32_t number, std::uint64_t a0, std::uint64_t a1) {
    return calls_.handle(Hypercall{number, a0, a1, 0x1000});
  }
  GuestMemory m_;
  Hypercalls calls_{m_};
};

TEST_F(Hypercall_, WriteReadsTheBufferThroughTheGuestsPageTables) {
  const char text[] = "hi there";
  m_.write(GuestAddress(0x300000),
           std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text), 8));
  EXPECT_EQ(call(hypercall::kWrite, kHigherHalfBase + 0x300000, 8), 8u);
  EXPECT_EQ(call(hypercall::kWrite, 0x300000, 2), 2u) << "the identity address works too";
  EXPECT_EQ(calls_.output(), "hi therehi");
}

TEST_F(Hypercall_, AWriteAcrossAPageBoundaryIsWhole) {
  std::vector<std::uint8_t> bytes(5000, 'x');
  m_.write(GuestAddress(0x3ffc00), bytes);  // crosses the 2 MiB page at 0x400000
  EXPECT_EQ(call(hypercall::kWrite, 0x3ffc00, 5000), 5000u);
  EXPECT_EQ(calls_.output(), std::string(5000, 'x'));
}

TEST_F(Hypercall_, BadPointersAndLengthsAreRefusedAndWriteNothing) {
  EXPECT_EQ(call(hypercall::kWrite, 0x0000400000000000ull, 4), hypercall::kFault) << "unmapped";
  EXPECT_EQ(call(hypercall::kWrite, 0x3ff00000, 4), hypercall::kFault) << "mapped, not RAM";
  EXPECT_EQ(call(hypercall::kWrite, 0x7ffff0, 0x20), hypercall::kFault)
      << "starts in RAM, ends past it";
  EXPECT_EQ(call(hypercall::kWrite, 0, hypercall::kMaxWrite + 1), hypercall::kInvalid);
  EXPECT_EQ(call(hypercall::kWrite, 0xfffffffffffffff0ull, 0x20), hypercall::kFault)
      << "wraps around";
  EXPECT_EQ(call(99, 0, 0), hypercall::kInvalid);
  EXPECT_EQ(calls_.output(), "");
  EXPECT_FALSE(calls_.exit_code().has_value());
}

TEST_F(Hypercall_, ExitRecordsTheCode) {
  EXPECT_EQ(call(hypercall::kExit, 42, 0), 0u);
  EXPECT_EQ(calls_.exit_code(), 42u);
}

TEST_F(Hypercall_, TimeWritesTheMonotonicClockAtTheGuestsPointer) {
  EXPECT_EQ(call(hypercall::kTime, kHigherHalfBase + 0x300ffc, 0), 0u);
  const auto first = m_.read_obj<std::uint64_t>(GuestAddress(0x300ffc));
  EXPECT_GT(first, 0u);
  EXPECT_EQ(call(hypercall::kTime, 0x3ffffc, 0), 0u) << "a u64 across two pages";
  EXPECT_GE(m_.read_obj<std::uint64_t>(GuestAddress(0x3ffffc)), first);
  EXPECT_EQ(call(hypercall::kTime, 0x0000400000000000ull, 0), hypercall::kFault);
}

}  // namespace
}  // namespace uh::vmm
