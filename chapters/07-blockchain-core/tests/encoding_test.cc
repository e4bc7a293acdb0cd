// Chapter 07 — the canonical encoding: one encoding per value, everything else rejected.
#include "chain/encoding.h"

#include <gtest/gtest.h>

#include <vector>

namespace uh::chain {
namespace {

Decoded<std::uint64_t> read_varint(std::vector<std::uint8_t> bytes) {
  Reader in(bytes);
  auto v = in.varint();
  if (v && in.remaining() != 0) ADD_FAILURE() << "varint left " << in.remaining() << " bytes";
  return v;
}

TEST(Varint, RoundTripsAtEveryBoundary) {
  for (std::uint64_t v :
       std::initializer_list<std::uint64_t>{0, 1, 127, 128, 255, 16383, 16384, 1ull << 32,
                                            (1ull << 63) - 1, 1ull << 63, UINT64_MAX}) {
    Writer out;
    out.varint(v);
    auto back = read_varint(out.data());
    ASSERT_TRUE(back) << v << ": " << back.error().reason;
    EXPECT_EQ(*back, v);
  }
}

TEST(Varint, KnownEncodings) {
  EXPECT_EQ(*read_varint({0x00}), 0u);
  EXPECT_EQ(*read_varint({0x7f}), 127u);
  EXPECT_EQ(*read_varint({0x80, 0x01}), 128u);
  EXPECT_EQ(*read_varint({0xac, 0x02}), 300u);
}

TEST(Varint, OverlongFormsAreRejected) {
  // 0 and 1 written with a redundant zero group: same value, second encoding.
  auto zero = read_varint({0x80, 0x00});
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().reason.find("non-canonical"), std::string::npos);
  EXPECT_FALSE(read_varint({0x81, 0x80, 0x00}));
}

TEST(Varint, TruncationIsRejected) {
  auto v = read_varint({0x80});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().reason.find("truncated"), std::string::npos);
  EXPECT_FALSE(read_varint({}));
}

TEST(Varint, MoreThan64BitsIsRejected) {
  std::vector<std::uint8_t> max = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  EXPECT_EQ(*read_varint(max), UINT64_MAX);
  max[9] = 0x02;  // bit 64
  EXPECT_FALSE(read_varint(max));
  std::vector<std::uint8_t> eleven(10, 0x80);
  eleven.push_back(0x01);
  EXPECT_FALSE(read_varint(eleven));
}

TEST(Encoding, FixedIntegersAreBigEndian) {
  Writer out;
  out.u16(0x0102);
  out.u32(0x03040506);
  out.u64(0x0708090a0b0c0d0eull);
  std::vector<std::uint8_t> expected = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
  EXPECT_EQ(out.data(), expected);
  Reader in(out.data());
  EXPECT_EQ(*in.u16(), 0x0102);
  EXPECT_EQ(*in.u32(), 0x03040506u);
  EXPECT_EQ(*in.u64(), 0x0708090a0b0c0d0eull);
  EXPECT_TRUE(in.expect_end());
}

TEST(Encoding, ReaderStopsAtTheEndAndReportsTrailingBytes) {
  std::vector<std::uint8_t> three = {1, 2, 3};
  Reader in(three);
  EXPECT_FALSE(in.u32());
  EXPECT_FALSE(in.bytes(4));
  EXPECT_TRUE(in.bytes(2));
  auto end = in.expect_end();
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().offset, 2u);
}

}  // namespace
}  // namespace uh::chain
