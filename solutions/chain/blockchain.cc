#include "chain/blockchain.h"

#include <stdexcept>

#include "chain/merkle.h"

namespace uh::chain {

Blockchain::Blockchain(const Consensus& consensus, ChainParams params,
                       const std::vector<std::pair<Address, std::uint64_t>>& allocations,
                       std::uint64_t genesis_time, std::unique_ptr<LedgerStore> store)
    : consensus_(consensus), params_(params), store_(std::move(store)) {
  for (const auto& [address, amount] : allocations) state_.credit(address, amount);
  state_.commit();
  Block genesis;
  genesis.header.height = 0;
  genesis.header.timestamp = genesis_time;
  genesis.header.state_root = state_.root();
  if (store_) store_->append(genesis);
  tip_ = genesis.header;
}

Block Blockchain::make_block(std::vector<Transaction> transactions, const Address& proposer,
                             std::uint64_t timestamp) const {
  Block block;
  block.header.height = tip_.height + 1;
  block.header.previous = tip_.hash();
  block.header.timestamp = timestamp;
  block.header.proposer = proposer;
  block.transactions = std::move(transactions);
  block.header.merkle_root = merkle_root(block.transaction_ids()).root;
  // The state root is the state *after* the block: apply on a copy to find it.
  WorldState trial = state_;
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    if (auto applied = trial.apply(block.transactions[i], proposer); !applied) {
      throw std::invalid_argument("transaction " + std::to_string(i) + ": " +
                                  to_string(applied.error()));
    }
  }
  block.header.state_root = trial.root();
  consensus_.seal(block.header);
  return block;
}

std::optional<ValidationError> Blockchain::append(const Block& block, std::uint64_t now) {
  WorldState::Checkpoint before = state_.checkpoint();
  if (auto error = validate_block(block, tip_, state_, consensus_, params_, now)) return error;
  try {
    if (store_) store_->append(block);
  } catch (...) {
    state_.rollback(before);
    throw;
  }
  state_.commit();
  tip_ = block.header;
  return std::nullopt;
}

}  // namespace uh::chain
