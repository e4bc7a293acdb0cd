// chain/validation.h — the rules a block must follow before the chain accepts it.
//
// Owns: nothing; one function over a block, its parent and the world state.
// Every rule has its own error code, so a test (or a peer's log) says exactly
// which rule a block broke.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chain/block.h"
#include "chain/consensus.h"
#include "chain/world_state.h"

namespace uh::chain {

struct ChainParams {
  std::uint32_t chain_id = 1;
  std::size_t max_block_bytes = 1 << 20;   ///< encoded size limit
  std::uint64_t max_future_seconds = 120;  ///< how far ahead of "now" a timestamp may be
};

enum class BlockError {
  kTooLarge,           ///< encoded size over max_block_bytes, or too many transactions
  kBadVersion,         ///< unknown header version
  kBadHeight,          ///< height is not parent's + 1
  kBadPrevious,        ///< previous is not the parent's hash: a broken link
  kBadTimestamp,       ///< not after the parent's, or too far in the future
  kBadSeal,            ///< the consensus does not accept the header
  kMutatedMerkle,      ///< the transaction list repeats a subtree (CVE-2012-2459)
  kBadMerkleRoot,      ///< merkle_root does not match the transactions: tampered
  kWrongChain,         ///< a transaction for another chain id
  kBadSignature,       ///< a signature that does not verify
  kDoubleSpend,        ///< two transactions from one sender with the same nonce
  kReplayedNonce,      ///< a transaction whose nonce was used in an earlier block
  kNonceGap,           ///< a transaction whose nonce skips ahead
  kInsufficientFunds,  ///< an overspend
  kBalanceOverflow,    ///< a credit past 2^64 - 1
  kBadStateRoot,       ///< state_root does not match the state after the block
};

std::string to_string(BlockError error);

struct ValidationError {
  BlockError code;
  std::string detail;  ///< which transaction, which values
};

/// Checks `block` against `parent` (the header it claims to follow), the
/// consensus and the parameters, then applies its transactions to `state` in
/// order (fees to the proposer) and checks the resulting state root.
/// On success the state holds the block's effects (at a new checkpoint the
/// caller may commit); on failure `state` is exactly as it was.
/// `now` is the validator's clock, seconds since the Unix epoch.
std::optional<ValidationError> validate_block(const Block& block, const BlockHeader& parent,
                                              WorldState& state, const Consensus& consensus,
                                              const ChainParams& params, std::uint64_t now);

}  // namespace uh::chain
