// chain/blockchain.h — the pieces put together: a chain that grows one valid block at a time.
//
// Owns: the world state, the tip header and, optionally, the ledger store; the
// Consensus is borrowed and must outlive the Blockchain. Not thread-safe.
//
// append() is the only way in: validate against the tip, apply to the state,
// store, then move the tip. A block that fails any step changes nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "chain/block.h"
#include "chain/consensus.h"
#include "chain/ledger_store.h"
#include "chain/validation.h"
#include "chain/world_state.h"

namespace uh::chain {

class Blockchain {
 public:
  /// A new chain whose genesis block (height 0, no transactions) credits
  /// `allocations`. When `store` is given, genesis is written to it, which
  /// must be empty. Genesis is the chain's agreed starting point: it is
  /// neither sealed nor validated, and every node must be given the same one.
  Blockchain(const Consensus& consensus, ChainParams params,
             const std::vector<std::pair<Address, std::uint64_t>>& allocations,
             std::uint64_t genesis_time, std::unique_ptr<LedgerStore> store = nullptr);

  /// A block on top of the tip holding `transactions`, with its Merkle root,
  /// state root and seal filled in. Does not append it. Throws
  /// std::invalid_argument naming the transaction that cannot be applied.
  Block make_block(std::vector<Transaction> transactions, const Address& proposer,
                   std::uint64_t timestamp) const;

  /// Validates `block` against the tip at time `now` and, if it is valid,
  /// applies and stores it. Returns the error and changes nothing otherwise.
  std::optional<ValidationError> append(const Block& block, std::uint64_t now);

  const BlockHeader& tip() const { return tip_; }
  const WorldState& state() const { return state_; }
  const ChainParams& params() const { return params_; }
  LedgerStore* store() const { return store_.get(); }

 private:
  const Consensus& consensus_;
  ChainParams params_;
  WorldState state_;
  BlockHeader tip_;
  std::unique_ptr<LedgerStore> store_;
};

}  // namespace uh::chain
