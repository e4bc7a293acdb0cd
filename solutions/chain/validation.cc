#include "chain/validation.h"

#include <set>
#include <utility>

#include "chain/merkle.h"

namespace uh::chain {

std::string to_string(BlockError error) {
  switch (error) {
    case BlockError::kTooLarge:
      return "block too large";
    case BlockError::kBadVersion:
      return "unknown block version";
    case BlockError::kBadHeight:
      return "wrong height";
    case BlockError::kBadPrevious:
      return "does not link to its parent";
    case BlockError::kBadTimestamp:
      return "bad timestamp";
    case BlockError::kBadSeal:
      return "rejected by consensus";
    case BlockError::kMutatedMerkle:
      return "mutated Merkle tree";
    case BlockError::kBadMerkleRoot:
      return "Merkle root does not match the transactions";
    case BlockError::kWrongChain:
      return "transaction for another chain";
    case BlockError::kBadSignature:
      return "bad signature";
    case BlockError::kDoubleSpend:
      return "double spend";
    case BlockError::kReplayedNonce:
      return "replayed nonce";
    case BlockError::kNonceGap:
      return "nonce gap";
    case BlockError::kInsufficientFunds:
      return "insufficient funds";
    case BlockError::kBalanceOverflow:
      return "balance overflow";
    case BlockError::kBadStateRoot:
      return "state root does not match";
  }
  return "unknown";
}

namespace {

BlockError from_tx_error(TxError e) {
  switch (e) {
    case TxError::kReplayedNonce:
      return BlockError::kReplayedNonce;
    case TxError::kNonceGap:
      return BlockError::kNonceGap;
    case TxError::kInsufficientFunds:
      return BlockError::kInsufficientFunds;
    case TxError::kBalanceOverflow:
      return BlockError::kBalanceOverflow;
  }
  return BlockError::kInsufficientFunds;
}

}  // namespace

std::optional<ValidationError> validate_block(const Block& block, const BlockHeader& parent,
                                              WorldState& state, const Consensus& consensus,
                                              const ChainParams& params, std::uint64_t now) {
  // LAB(07.7) Check, in this order: size, version, height, link to the parent,
  // timestamp, seal, Merkle root (mutation first), then each transaction's chain
  // id, signature, double spend and effect on the state, and last the state
  // root; on any failure roll the state back and return the error.
  const BlockHeader& h = block.header;
  auto fail = [](BlockError code, std::string detail) {
    return std::optional<ValidationError>(ValidationError{code, std::move(detail)});
  };
  if (block.transactions.size() > Block::kMaxTransactions ||
      block.encode().size() > params.max_block_bytes) {
    return fail(BlockError::kTooLarge, std::to_string(block.transactions.size()) + " transactions");
  }
  if (h.version != BlockHeader::kVersion) return fail(BlockError::kBadVersion, "");
  if (h.height != parent.height + 1) {
    return fail(BlockError::kBadHeight,
                "height " + std::to_string(h.height) + " after " + std::to_string(parent.height));
  }
  if (h.previous != parent.hash()) {
    return fail(BlockError::kBadPrevious,
                "previous " + h.previous.to_hex() + ", parent is " + parent.hash().to_hex());
  }
  if (h.timestamp <= parent.timestamp || h.timestamp > now + params.max_future_seconds) {
    return fail(BlockError::kBadTimestamp, "timestamp " + std::to_string(h.timestamp));
  }
  if (auto why = consensus.check_seal(h)) return fail(BlockError::kBadSeal, *why);
  MerkleRoot merkle = merkle_root(block.transaction_ids());
  if (merkle.mutated) return fail(BlockError::kMutatedMerkle, "");
  if (merkle.root != h.merkle_root) return fail(BlockError::kBadMerkleRoot, "");

  WorldState::Checkpoint start = state.checkpoint();
  std::set<std::pair<Address, std::uint64_t>> spent;  // (sender, nonce) in this block
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const Transaction& tx = block.transactions[i];
    std::string which = "transaction " + std::to_string(i);
    std::optional<BlockError> error;
    if (tx.chain_id != params.chain_id) {
      error = BlockError::kWrongChain;
    } else if (!tx.signature_valid()) {
      error = BlockError::kBadSignature;
    } else if (!spent.emplace(tx.from(), tx.nonce).second) {
      error = BlockError::kDoubleSpend;
    } else if (auto applied = state.apply(tx, h.proposer); !applied) {
      error = from_tx_error(applied.error());
    }
    if (error) {
      state.rollback(start);
      return fail(*error, which);
    }
  }
  if (state.root() != h.state_root) {
    state.rollback(start);
    return fail(BlockError::kBadStateRoot, "");
  }
  return std::nullopt;
  // END LAB
}

}  // namespace uh::chain
