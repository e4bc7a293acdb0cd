// Your workspace for chapter 07: write the code where the LAB markers are.
// Made from solutions/chain/encoding.cc by ci/labgen.py; `./lab test 07` checks your work,
// `./lab hint 07` helps, `./lab reset 07` brings this skeleton back.
#include "chain/encoding.h"
#include "support/todo.h"

namespace uh::chain {

void Writer::fixed(std::uint64_t v, int width) {
  for (int shift = 8 * (width - 1); shift >= 0; shift -= 8) {
    bytes_.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}

void Writer::varint(std::uint64_t v) {
  do {
    std::uint8_t group = v & 0x7f;
    v >>= 7;
    bytes_.push_back(v != 0 ? (group | 0x80) : group);
  } while (v != 0);
}

Decoded<std::uint64_t> Reader::fixed(int width) {
  if (remaining() < static_cast<std::size_t>(width)) {
    return unexpected(error("truncated: needs " + std::to_string(width) + " bytes, " +
                            std::to_string(remaining()) + " left"));
  }
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = v << 8 | bytes_[offset_++];
  return v;
}

Decoded<std::uint8_t> Reader::u8() {
  auto v = fixed(1);
  if (!v) return unexpected(v.error());
  return static_cast<std::uint8_t>(*v);
}

Decoded<std::uint16_t> Reader::u16() {
  auto v = fixed(2);
  if (!v) return unexpected(v.error());
  return static_cast<std::uint16_t>(*v);
}

Decoded<std::uint32_t> Reader::u32() {
  auto v = fixed(4);
  if (!v) return unexpected(v.error());
  return static_cast<std::uint32_t>(*v);
}

Decoded<std::uint64_t> Reader::u64() { return fixed(8); }

Decoded<std::uint64_t> Reader::varint() {
  // LAB(07.3) Read an unsigned LEB128 varint in its one canonical form: reject
  // truncation, more than 10 bytes, bits past 2^64 and a zero last group.
  throw uh::Todo("07.3",
                 "Read an unsigned LEB128 varint in its one canonical form: reject truncation, "
                 "more than 10 bytes, bits past 2^64 and a zero last group.");
  // END LAB
}

Decoded<std::span<const std::uint8_t>> Reader::bytes(std::size_t count) {
  if (remaining() < count) {
    return unexpected(error("truncated: needs " + std::to_string(count) + " bytes, " +
                            std::to_string(remaining()) + " left"));
  }
  std::span<const std::uint8_t> out = bytes_.subspan(offset_, count);
  offset_ += count;
  return out;
}

Expected<bool, DecodeError> Reader::expect_end() const {
  if (remaining() != 0) {
    return unexpected(error(std::to_string(remaining()) + " trailing bytes after the end"));
  }
  return true;
}

}  // namespace uh::chain
