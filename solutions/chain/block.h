// chain/block.h — blocks: a header that commits to a list of transactions.
//
// Owns: its header and transactions; plain value types.
//
// Header encoding, 148 bytes, fixed: version u32 | height u64 | previous 32 |
// merkle_root 32 | state_root 32 | timestamp u64 | proposer 20 | difficulty u32
// | nonce u64. The block's hash is double SHA-256 of the header alone: the
// transactions are covered through merkle_root, the balances through state_root.
// Block encoding: header | varint transaction count | transactions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "chain/encoding.h"
#include "chain/hash.h"
#include "chain/keys.h"
#include "chain/transaction.h"

namespace uh::chain {

struct BlockHeader {
  static constexpr std::uint32_t kVersion = 1;
  static constexpr std::size_t kEncodedSize = 148;

  std::uint32_t version = kVersion;
  std::uint64_t height = 0;
  Hash256 previous;              ///< hash of the parent's header; zero for genesis
  Hash256 merkle_root;           ///< root over the transaction ids (chain/merkle.h)
  Hash256 state_root;            ///< WorldState::root() after applying the block
  std::uint64_t timestamp = 0;   ///< seconds since the Unix epoch
  Address proposer;              ///< who made the block; collects the fees
  std::uint32_t difficulty = 0;  ///< leading zero bits the proof-of-work needs
  std::uint64_t nonce = 0;       ///< varied by the proof-of-work

  void encode_to(Writer& out) const;
  std::vector<std::uint8_t> encode() const;
  Hash256 hash() const;
  static Decoded<BlockHeader> read(Reader& in);

  bool operator==(const BlockHeader&) const = default;
};

struct Block {
  /// The most transactions a block may hold; decode rejects larger counts
  /// before allocating anything.
  static constexpr std::uint64_t kMaxTransactions = 10'000;

  BlockHeader header;
  std::vector<Transaction> transactions;

  std::vector<std::uint8_t> encode() const;
  static Decoded<Block> decode(std::span<const std::uint8_t> bytes);

  /// The ids of the transactions, in order: the Merkle tree's leaves.
  std::vector<Hash256> transaction_ids() const;

  bool operator==(const Block&) const = default;
};

}  // namespace uh::chain
