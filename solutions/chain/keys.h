// chain/keys.h — secp256k1 keys, ECDSA signatures and addresses.
//
// Owns: PrivateKey and PublicKey share ownership of an OpenSSL EVP_PKEY, which
// is never modified after creation; copies are cheap and may be used from
// several threads at once (each operation makes its own EVP_PKEY_CTX).
//
// Signatures are kept in the 64-byte compact form r || s (each 32 bytes,
// big-endian) with s in the lower half of the curve order ("low-S"). ECDSA
// accepts both s and n - s for the same message and key; allowing only one of
// them makes every signature canonical, so a third party cannot change a
// transaction's bytes (and id) without invalidating it (BIP 62, BIP 146).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "chain/encoding.h"
#include "chain/hash.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace uh::chain {

/// 20 bytes naming an account: the last 20 bytes of SHA-256 of the compressed
/// public key. (Bitcoin uses RIPEMD-160 of SHA-256; Ethereum, Keccak-256.)
struct Address {
  static constexpr std::size_t kSize = 20;
  std::array<std::uint8_t, kSize> bytes{};

  /// The address of a compressed public key (its 33 bytes; not validated here).
  static Address of_key(std::span<const std::uint8_t> compressed_key);

  std::string to_hex() const { return chain::to_hex(bytes); }
  auto operator<=>(const Address&) const = default;
};

/// An ECDSA signature in compact, low-S form.
class Signature {
 public:
  static constexpr std::size_t kSize = 64;

  Signature() = default;

  /// Parses r || s; rejects r or s of zero or not below the curve order, and a
  /// high s (the other, non-canonical, half).
  static Decoded<Signature> from_compact(std::span<const std::uint8_t> bytes);
  /// Parses strict DER (as OpenSSL produces); applies the same rules.
  static Decoded<Signature> from_der(std::span<const std::uint8_t> der);

  const std::array<std::uint8_t, kSize>& compact() const { return bytes_; }
  std::vector<std::uint8_t> der() const;

  auto operator<=>(const Signature&) const = default;

 private:
  explicit Signature(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {}
  friend class PrivateKey;

  std::array<std::uint8_t, kSize> bytes_{};
};

class PublicKey {
 public:
  static constexpr std::size_t kSize = 33;  ///< compressed: 0x02/0x03 prefix + x

  /// Parses a compressed point; rejects a wrong prefix or a point not on the curve.
  static Decoded<PublicKey> from_compressed(std::span<const std::uint8_t> bytes);

  const std::array<std::uint8_t, kSize>& compressed() const { return compressed_; }
  Address address() const;

  /// Whether `signature` is this key's signature of `digest` (32 bytes).
  bool verify(const Hash256& digest, const Signature& signature) const;

  bool operator==(const PublicKey& other) const { return compressed_ == other.compressed_; }

 private:
  PublicKey(std::shared_ptr<EVP_PKEY> key, const std::array<std::uint8_t, kSize>& compressed)
      : key_(std::move(key)), compressed_(compressed) {}
  friend class PrivateKey;

  std::shared_ptr<EVP_PKEY> key_;
  std::array<std::uint8_t, kSize> compressed_{};
};

class PrivateKey {
 public:
  /// A fresh random key from OpenSSL's CSPRNG.
  static PrivateKey generate();
  /// The key with scalar `secret` (32 bytes, big-endian, 1 <= secret < n).
  /// Deterministic, for tests and demos. Throws std::invalid_argument otherwise.
  static PrivateKey from_secret(std::span<const std::uint8_t> secret);

  const PublicKey& public_key() const { return public_; }

  /// Signs the 32-byte `digest` (not the message: hash it first). The result is
  /// always low-S.
  Signature sign(const Hash256& digest) const;

 private:
  explicit PrivateKey(std::shared_ptr<EVP_PKEY> key);

  std::shared_ptr<EVP_PKEY> key_;
  PublicKey public_;
};

}  // namespace uh::chain
