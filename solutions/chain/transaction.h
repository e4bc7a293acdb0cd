// chain/transaction.h — a signed transfer between accounts.
//
// Owns: its fields; a plain value type. The account model: every account has a
// balance and a nonce, the number of transactions it has sent. A transaction
// must carry exactly the sender's next nonce, so replaying an old one fails.
//
// Canonical encoding (chain/encoding.h rules), 148 + memo bytes:
//   version u8 (=1) | chain_id u32 | nonce u64 | sender 33 (compressed key)
//   | to 20 | amount u64 | fee u64 | memo_length u16 (<= 128) | memo
//   | signature 64 (compact, low-S)
// The signature covers double SHA-256 of everything before it; the id is
// double SHA-256 of all of it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "chain/encoding.h"
#include "chain/hash.h"
#include "chain/keys.h"

namespace uh::chain {

struct Transaction {
  static constexpr std::uint8_t kVersion = 1;
  static constexpr std::size_t kMaxMemo = 128;
  static constexpr std::size_t kMinEncodedSize = 148;  ///< with an empty memo

  std::uint32_t chain_id = 0;
  std::uint64_t nonce = 0;
  std::array<std::uint8_t, PublicKey::kSize> sender{};  ///< the sender's compressed key
  Address to;
  std::uint64_t amount = 0;
  std::uint64_t fee = 0;
  std::vector<std::uint8_t> memo;
  Signature signature;

  /// A transaction from `key`'s account, signed by it.
  static Transaction make_signed(const PrivateKey& key, std::uint32_t chain_id, std::uint64_t nonce,
                                 const Address& to, std::uint64_t amount, std::uint64_t fee,
                                 std::vector<std::uint8_t> memo = {});

  /// The sender's address, from its public key.
  Address from() const;

  /// The encoding without the signature, and the digest that gets signed.
  std::vector<std::uint8_t> signing_bytes() const;
  Hash256 signing_hash() const;

  std::vector<std::uint8_t> encode() const;
  void encode_to(Writer& out) const;
  /// The transaction id: double SHA-256 of the whole encoding.
  Hash256 id() const;

  /// Whether `signature` is the sender's signature of signing_hash().
  bool signature_valid() const;

  /// Exactly one transaction, nothing before or after it.
  static Decoded<Transaction> decode(std::span<const std::uint8_t> bytes);
  /// The next transaction from `in` (blocks hold several back to back).
  static Decoded<Transaction> read(Reader& in);

  bool operator==(const Transaction&) const = default;
};

}  // namespace uh::chain
