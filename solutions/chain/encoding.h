// chain/encoding.h — the canonical binary encoding every hash in the chain covers.
//
// Owns: Writer owns its growing buffer; Reader borrows the bytes it reads and
// must not outlive them. Not thread-safe.
//
// The rules make every value have exactly one encoding, so that equal objects
// have equal hashes and a decoder can reject everything else:
//   - fixed-width integers are big-endian;
//   - a varint is unsigned LEB128 (7 bits a byte, low group first, high bit
//     "more follows") in its shortest form: no trailing zero groups, at most
//     10 bytes, no value above 2^64 - 1;
//   - a decoder consumes its input exactly: trailing bytes are an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "support/expected.h"

namespace uh::chain {

/// Why some bytes are not a valid encoding, and where the decoder stopped.
struct DecodeError {
  std::string reason;
  std::size_t offset = 0;
};

template <typename T>
using Decoded = Expected<T, DecodeError>;

class Writer {
 public:
  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u16(std::uint16_t v) { fixed(v, 2); }
  void u32(std::uint32_t v) { fixed(v, 4); }
  void u64(std::uint64_t v) { fixed(v, 8); }
  void varint(std::uint64_t v);
  void bytes(std::span<const std::uint8_t> b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); }

  const std::vector<std::uint8_t>& data() const { return bytes_; }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  void fixed(std::uint64_t v, int width);
  std::vector<std::uint8_t> bytes_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  Decoded<std::uint8_t> u8();
  Decoded<std::uint16_t> u16();
  Decoded<std::uint32_t> u32();
  Decoded<std::uint64_t> u64();
  /// A canonical varint; rejects overlong forms, more than 10 bytes, overflow.
  Decoded<std::uint64_t> varint();
  /// The next `count` bytes, without copying.
  Decoded<std::span<const std::uint8_t>> bytes(std::size_t count);

  /// An error unless every byte has been read.
  Expected<bool, DecodeError> expect_end() const;

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }

  /// An error at the current offset.
  DecodeError error(std::string reason) const { return {std::move(reason), offset_}; }

 private:
  Decoded<std::uint64_t> fixed(int width);

  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

}  // namespace uh::chain
