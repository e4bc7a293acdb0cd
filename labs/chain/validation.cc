// Your workspace for chapter 07: write the code where the LAB markers are.
// Made from solutions/chain/validation.cc by ci/labgen.py; `./lab test 07` checks your work,
// `./lab hint 07` helps, `./lab reset 07` brings this skeleton back.
#include "chain/validation.h"

#include <set>
#include <utility>

#include "chain/merkle.h"
#include "support/todo.h"

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
  throw uh::Todo("07.7",
                 "Check, in this order: size, version, height, link to the parent, timestamp, "
                 "seal, Merkle root (mutation first), then each transaction's chain id, "
                 "signature, double spend and effect on the state, and last the state root; on "
                 "any failure roll the state back and return the error.");
  // END LAB
}

}  // namespace uh::chain
