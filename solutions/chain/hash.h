// chain/hash.h — SHA-256 and the 32-byte hash type everything in the chain is named by.
//
// Owns: nothing; value types and pure functions over OpenSSL 3's EVP digest API.
// Thread-safe: each call uses its own digest context.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace uh::chain {

/// A SHA-256 (or double SHA-256) digest. Bytes are kept in the order the hash
/// function produced them ("internal order"); Bitcoin *displays* hashes with the
/// bytes reversed, which to_display_hex() and from_display_hex() do.
class Hash256 {
 public:
  static constexpr std::size_t kSize = 32;

  constexpr Hash256() = default;
  constexpr explicit Hash256(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {}

  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }
  std::span<const std::uint8_t> span() const { return bytes_; }

  /// Lower-case hex of the bytes in internal order.
  std::string to_hex() const;
  /// Lower-case hex with the bytes reversed, as block explorers show hashes.
  std::string to_display_hex() const;

  /// Exactly 32 bytes in internal order; nothing on any other length.
  static std::optional<Hash256> from_bytes(std::span<const std::uint8_t> bytes);

  /// Parses 64 hex digits (either case); nothing on any other input.
  static std::optional<Hash256> from_hex(std::string_view hex);
  static std::optional<Hash256> from_display_hex(std::string_view hex);

  /// The number of leading zero bits, reading the hash as a big-endian number
  /// in internal order (what the toy proof-of-work counts).
  int leading_zero_bits() const;

  bool is_zero() const { return *this == Hash256(); }
  constexpr auto operator<=>(const Hash256&) const = default;

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

/// SHA-256 of `data`, through EVP_Digest. Throws std::runtime_error only if
/// OpenSSL itself fails (it does not on valid input).
Hash256 sha256(std::span<const std::uint8_t> data);

/// SHA-256 of SHA-256 of `data`: Bitcoin's hash for headers, transactions and
/// Merkle nodes (and immune to SHA-256's length-extension property).
Hash256 double_sha256(std::span<const std::uint8_t> data);

/// Lower-case hex of any bytes; parse_hex_bytes reads it back (nothing on bad input).
std::string to_hex(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> parse_hex_bytes(std::string_view hex);

}  // namespace uh::chain
