// Chapter 02 — page tables built and walked in plain memory: no KVM needed.
#include "vmm/paging/page_tables.h"

#include <gtest/gtest.h>

namespace uh::vmm {
namespace {

constexpr std::uint64_t kTables = 0x1000;

GuestMemory ram(std::uint64_t size = 8 << 20) {
  GuestMemory m;
  m.add_region(GuestAddress(0), size);
  return m;
}

std::uint64_t entry(const GuestMemory& m, std::uint64_t table, std::uint64_t index) {
  return m.read_obj<std::uint64_t>(GuestAddress(table + 8 * index));
}

TEST(PageTables, TheIdentityAndHigherHalfShareTheirDirectories) {
  GuestMemory m = ram();
  const PageTableLayout l = build_identity_and_higher_half(m, GuestAddress(kTables), 1ull << 30);
  EXPECT_EQ(l.pml4, GuestAddress(kTables));
  EXPECT_EQ(l.tables_bytes, 4 * 4096u) << "PML4, two PDPTs, one PD for one GiB";
  EXPECT_EQ(l.mapped_bytes, 1ull << 30);
  EXPECT_EQ(entry(m, 0x1000, 0), 0x2000u | kPtePresent | kPteWritable) << "PML4[0] -> PDPT low";
  EXPECT_EQ(entry(m, 0x1000, 511), 0x3000u | kPtePresent | kPteWritable)
      << "PML4[511] -> PDPT high";
  EXPECT_EQ(entry(m, 0x2000, 0), 0x4000u | kPtePresent | kPteWritable);
  EXPECT_EQ(entry(m, 0x3000, 510), 0x4000u | kPtePresent | kPteWritable) << "the same PD";
  EXPECT_EQ(entry(m, 0x4000, 0), kPtePresent | kPteWritable | kPtePageSize);
  EXPECT_EQ(entry(m, 0x4000, 3), 3 * kPageSize2M | kPtePresent | kPteWritable | kPtePageSize);
  for (std::uint64_t i = 1; i < 511; ++i) EXPECT_EQ(entry(m, 0x1000, i), 0u) << i;
  EXPECT_EQ(entry(m, 0x2000, 1), 0u) << "nothing past the mapped GiB";
}

TEST(PageTables, TwoGigabytesTakeTwoDirectories) {
  GuestMemory m = ram();
  const PageTableLayout l = build_identity_and_higher_half(m, GuestAddress(kTables), 2ull << 30);
  EXPECT_EQ(l.tables_bytes, 5 * 4096u);
  EXPECT_EQ(entry(m, 0x3000, 511), 0x5000u | kPtePresent | kPteWritable);
  EXPECT_EQ(entry(m, 0x5000, 511),
            ((2ull << 30) - kPageSize2M) | kPtePresent | kPteWritable | kPtePageSize);
}

TEST(PageTables, BadArgumentsAreRefused) {
  GuestMemory m = ram();
  EXPECT_THROW(build_identity_and_higher_half(m, GuestAddress(0x1001), 1 << 30),
               std::invalid_argument);
  EXPECT_THROW(build_identity_and_higher_half(m, GuestAddress(kTables), 3ull << 30),
               std::invalid_argument);
  EXPECT_THROW(build_identity_and_higher_half(m, GuestAddress((8 << 20) - 4096), 1 << 30),
               GuestMemoryError)
      << "tables that do not fit in RAM";
}

TEST(Walk, TranslatesBothMappingsOfTheBuiltTables) {
  GuestMemory m = ram();
  build_identity_and_higher_half(m, GuestAddress(kTables), 1ull << 30);
  for (std::uint64_t physical : {0x0ull, 0x1234ull, 0x200000ull, 0x3fffffffull}) {
    auto low = walk(m, kTables, physical);
    ASSERT_TRUE(low) << std::hex << physical << ": " << low.error().describe();
    EXPECT_EQ(low->physical, GuestAddress(physical));
    EXPECT_EQ(low->page_size, kPageSize2M);
    EXPECT_TRUE(low->writable);
    EXPECT_FALSE(low->user);
    auto high = walk(m, kTables, kHigherHalfBase + physical);
    ASSERT_TRUE(high) << high.error().describe();
    EXPECT_EQ(high->physical, GuestAddress(physical));
  }
  auto beyond = walk(m, kTables, 1ull << 30);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().reason, WalkFault::Reason::kNotPresent);
  EXPECT_EQ(beyond.error().level, 3) << "PDPT_low[1] is empty";
}

// Hand-made tables for the page sizes the builder does not use.
class HandMade : public ::testing::Test {
 protected:
  HandMade() : m_(ram()) {
    put(0x1000, 0, 0x2000 | kPtePresent | kPteWritable | kPteUser);  // PML4[0]
    put(0x2000, 0, 0x3000 | kPtePresent | kPteWritable | kPteUser);  // PDPT[0] -> PD
    put(0x2000, 1, 0x40000000 | kPtePresent | kPtePageSize);  // PDPT[1]: 1 GiB page, read-only
    put(0x3000, 0, 0x4000 | kPtePresent | kPteWritable | kPteUser);  // PD[0] -> PT
    put(0x3000, 1, 0x600000 | kPtePresent | kPteWritable | kPtePageSize | kPteNoExecute);
    put(0x4000, 5, 0x7000 | kPtePresent | kPteWritable | kPteUser);  // PT[5]: 4 KiB page
  }
  void put(std::uint64_t table, std::uint64_t index, std::uint64_t value) {
    m_.write_obj(GuestAddress(table + 8 * index), value);
  }
  GuestMemory m_;
};

TEST_F(HandMade, FourKilobytePages) {
  auto t = walk(m_, 0x1000, 0x5abc);
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(t->physical, GuestAddress(0x7abc));
  EXPECT_EQ(t->page_size, kPageSize4K);
  EXPECT_TRUE(t->user);
  EXPECT_TRUE(t->writable);
  EXPECT_TRUE(t->executable);
  auto missing = walk(m_, 0x1000, 0x6000);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().reason, WalkFault::Reason::kNotPresent);
  EXPECT_EQ(missing.error().level, 1);
}

TEST_F(HandMade, TwoMegabyteAndOneGigabytePages) {
  auto two = walk(m_, 0x1000, 0x200000 + 0x12345);
  ASSERT_TRUE(two) << two.error().describe();
  EXPECT_EQ(two->physical, GuestAddress(0x600000 + 0x12345));
  EXPECT_EQ(two->page_size, kPageSize2M);
  EXPECT_FALSE(two->executable) << "XD set in the PD entry";
  EXPECT_FALSE(two->user) << "U/S clear in the PD entry";
  auto one = walk(m_, 0x1000, 0x40000000 + 0x2345678);
  ASSERT_TRUE(one) << one.error().describe();
  EXPECT_EQ(one->physical, GuestAddress(0x40000000 + 0x2345678));
  EXPECT_EQ(one->page_size, kPageSize1G);
  EXPECT_FALSE(one->writable) << "W clear in the PDPT entry";
}

TEST_F(HandMade, ReservedBitsAreFaultsAtTheirLevel) {
  put(0x3000, 2, 0x900000 | kPtePresent | kPtePageSize | (1ull << 13));  // 2 MiB page, bit 13
  auto misaligned = walk(m_, 0x1000, 0x400000);
  ASSERT_FALSE(misaligned);
  EXPECT_EQ(misaligned.error().reason, WalkFault::Reason::kReservedBit);
  EXPECT_EQ(misaligned.error().level, 2);
  put(0x2000, 2, (1ull << 50) | kPtePresent | kPtePageSize);  // above MAXPHYADDR
  auto high_bits = walk(m_, 0x1000, 0x80000000);
  ASSERT_FALSE(high_bits);
  EXPECT_EQ(high_bits.error().reason, WalkFault::Reason::kReservedBit);
  EXPECT_EQ(high_bits.error().level, 3);
  put(0x1000, 1, 0x2000 | kPtePresent | kPtePageSize);  // PS in a PML4 entry
  auto pml4_ps = walk(m_, 0x1000, 1ull << 39);
  ASSERT_FALSE(pml4_ps);
  EXPECT_EQ(pml4_ps.error().reason, WalkFault::Reason::kReservedBit);
  EXPECT_EQ(pml4_ps.error().level, 4);
}

TEST_F(HandMade, HostileTablesGiveFaultsNotWildReads) {
  EXPECT_EQ(walk(m_, 0x1000, 0x0000800000000000ull).error().reason,
            WalkFault::Reason::kNonCanonical);
  put(0x1000, 2, 0x7ff0000000ull | kPtePresent);  // a table far outside RAM
  auto outside = walk(m_, 0x1000, 2ull << 39);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().reason, WalkFault::Reason::kOutsideRam);
  EXPECT_EQ(outside.error().level, 3);
  EXPECT_EQ(outside.error().describe(), "the PDPT table is not in guest RAM");
  // A table that points at itself: the walk still ends after four levels.
  put(0x1000, 3, 0x1000 | kPtePresent | kPteWritable);
  auto loop = walk(m_, 0x1000, 3ull << 39 | 3ull << 30 | 3ull << 21 | 3ull << 12);
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->physical, GuestAddress(0x1000));
}

}  // namespace
}  // namespace uh::vmm
