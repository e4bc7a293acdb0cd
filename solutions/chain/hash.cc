#include "chain/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace uh::chain {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> parse_hex_bytes(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]);
    int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::string Hash256::to_hex() const { return chain::to_hex(bytes_); }

std::string Hash256::to_display_hex() const {
  std::array<std::uint8_t, kSize> reversed = bytes_;
  std::reverse(reversed.begin(), reversed.end());
  return chain::to_hex(reversed);
}

std::optional<Hash256> Hash256::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) return std::nullopt;
  std::array<std::uint8_t, kSize> raw;
  std::copy(bytes.begin(), bytes.end(), raw.begin());
  return Hash256(raw);
}

std::optional<Hash256> Hash256::from_hex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::nullopt;
  std::optional<std::vector<std::uint8_t>> raw = parse_hex_bytes(hex);
  if (!raw) return std::nullopt;
  return from_bytes(*raw);
}

std::optional<Hash256> Hash256::from_display_hex(std::string_view hex) {
  std::optional<Hash256> h = from_hex(hex);
  if (!h) return std::nullopt;
  std::array<std::uint8_t, kSize> bytes = h->bytes();
  std::reverse(bytes.begin(), bytes.end());
  return Hash256(bytes);
}

int Hash256::leading_zero_bits() const {
  int bits = 0;
  for (std::uint8_t b : bytes_) {
    if (b != 0) return bits + std::countl_zero(b);
    bits += 8;
  }
  return bits;
}

Hash256 sha256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, Hash256::kSize> out;
  unsigned int length = 0;
  // EVP_Digest is the one-shot form of DigestInit/Update/Final. EVP_sha256()
  // returns the implementation from the default provider.
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != out.size()) {
    throw std::runtime_error("EVP_Digest(SHA-256) failed");
  }
  return Hash256(out);
}

Hash256 double_sha256(std::span<const std::uint8_t> data) { return sha256(sha256(data).span()); }

}  // namespace uh::chain
