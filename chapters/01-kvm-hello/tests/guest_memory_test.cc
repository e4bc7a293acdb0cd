// Chapter 01 — guest memory: every host access to guest RAM is bounds-checked.
#include "vmm/memory/guest_memory.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace uh::vmm {
namespace {

constexpr std::uint64_t kPage = 4096;

TEST(GuestMemory, SliceInsideARegionIsTheHostBytesBehindIt) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0x10000), 4 * kPage);
  std::span<std::uint8_t> bytes = memory.slice(GuestAddress(0x10010), 4);
  ASSERT_EQ(bytes.size(), 4u);
  EXPECT_EQ(bytes.data(), memory.regions()[0].mapping.data() + 0x10);
}

TEST(GuestMemory, WriteThenReadRoundTrips) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0), kPage);
  memory.write_obj<std::uint32_t>(GuestAddress(0x102), 0xdeadbeef);  // unaligned on purpose
  EXPECT_EQ(memory.read_obj<std::uint32_t>(GuestAddress(0x102)), 0xdeadbeefu);
}

TEST(GuestMemory, RangeEndingExactlyAtTheEndIsFine) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0), kPage);
  EXPECT_EQ(memory.slice(GuestAddress(kPage - 8), 8).size(), 8u);
  EXPECT_EQ(memory.slice(GuestAddress(kPage), 0).size(), 0u);
}

TEST(GuestMemory, RangeCrossingTheEndIsRejected) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0), kPage);
  EXPECT_THROW(memory.slice(GuestAddress(kPage - 8), 9), GuestMemoryError);
  EXPECT_THROW(memory.slice(GuestAddress(kPage), 1), GuestMemoryError);
}

TEST(GuestMemory, AddressBelowTheRegionIsRejected) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0x10000), kPage);
  EXPECT_THROW(memory.slice(GuestAddress(0xfff8), 4), GuestMemoryError);
}

TEST(GuestMemory, LengthThatWrapsPast2To64IsRejected) {
  // A guest that hands us address 0x10 and length 2^64 - 8 must not get the
  // check "address + length <= end" to pass by wrapping around to 8.
  GuestMemory memory;
  memory.add_region(GuestAddress(0), kPage);
  EXPECT_THROW(memory.slice(GuestAddress(0x10), UINT64_MAX - 7), GuestMemoryError);
  EXPECT_THROW(memory.slice(GuestAddress(UINT64_MAX), 2), GuestMemoryError);
}

TEST(GuestMemory, RangeSpanningTwoAdjacentRegionsIsRejected) {
  // The regions are separate mappings on the host: no single pointer covers both.
  GuestMemory memory;
  memory.add_region(GuestAddress(0), kPage);
  memory.add_region(GuestAddress(kPage), kPage);
  EXPECT_THROW(memory.slice(GuestAddress(kPage - 2), 4), GuestMemoryError);
  EXPECT_EQ(memory.slice(GuestAddress(kPage + 2), 4).size(), 4u);
}

TEST(GuestMemory, ErrorNamesTheRange) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0), kPage);
  try {
    memory.slice(GuestAddress(0x5000), 16);
    FAIL() << "expected GuestMemoryError";
  } catch (const GuestMemoryError& e) {
    EXPECT_NE(std::string(e.what()).find("0x5000"), std::string::npos) << e.what();
  }
}

TEST(GuestMemory, OverlappingRegionsAreRejected) {
  GuestMemory memory;
  memory.add_region(GuestAddress(0x4000), 2 * kPage);
  EXPECT_THROW(memory.add_region(GuestAddress(0x5000), kPage), GuestMemoryError);
  EXPECT_THROW(memory.add_region(GuestAddress(0x3000), 2 * kPage), GuestMemoryError);
  EXPECT_THROW(memory.add_region(GuestAddress(0x1000), 123), GuestMemoryError);
  memory.add_region(GuestAddress(0x6000), kPage);  // adjacent is fine
  EXPECT_EQ(memory.total_size(), 3 * kPage);
}

}  // namespace
}  // namespace uh::vmm
