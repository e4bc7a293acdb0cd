#include "chain/world_state.h"

#include <stdexcept>

#include "chain/encoding.h"
#include "chain/merkle.h"

namespace uh::chain {

std::string to_string(TxError error) {
  switch (error) {
    case TxError::kReplayedNonce:
      return "replayed nonce";
    case TxError::kNonceGap:
      return "nonce gap";
    case TxError::kInsufficientFunds:
      return "insufficient funds";
    case TxError::kBalanceOverflow:
      return "balance overflow";
  }
  return "unknown";
}

Account WorldState::account(const Address& address) const {
  auto it = accounts_.find(address);
  return it == accounts_.end() ? Account{} : it->second;
}

void WorldState::set(const Address& address, const Account& account) {
  auto it = accounts_.find(address);
  journal_.emplace_back(address,
                        it == accounts_.end() ? std::nullopt : std::optional<Account>(it->second));
  accounts_[address] = account;
}

void WorldState::credit(const Address& address, std::uint64_t amount) {
  Account a = account(address);
  if (a.balance > UINT64_MAX - amount) {
    throw std::overflow_error("credit of " + std::to_string(amount) + " to " + address.to_hex() +
                              " would pass 2^64 - 1");
  }
  a.balance += amount;
  set(address, a);
}

Expected<bool, TxError> WorldState::apply(const Transaction& tx, const Address& proposer) {
  // LAB(07.6) Check the sender's nonce (replay or gap) and that amount + fee
  // fits the balance without overflow, then debit, credit the recipient and
  // the proposer, and bump the nonce, through set() so rollback can undo it.
  Address from = tx.from();
  Account sender = account(from);
  if (tx.nonce < sender.nonce) return unexpected(TxError::kReplayedNonce);
  if (tx.nonce > sender.nonce) return unexpected(TxError::kNonceGap);
  if (tx.amount > UINT64_MAX - tx.fee || sender.balance < tx.amount + tx.fee) {
    return unexpected(TxError::kInsufficientFunds);
  }
  // Check every credit before changing anything, so an error leaves no trace.
  // Sender, recipient and proposer may be the same account.
  std::map<Address, Account> after;
  after[from] = sender;
  after[from].balance -= tx.amount + tx.fee;
  after[from].nonce += 1;
  for (auto [address, amount] : {std::pair{tx.to, tx.amount}, std::pair{proposer, tx.fee}}) {
    Account& a = after.try_emplace(address, account(address)).first->second;
    if (a.balance > UINT64_MAX - amount) return unexpected(TxError::kBalanceOverflow);
    a.balance += amount;
  }
  for (const auto& [address, a] : after) set(address, a);
  return true;
  // END LAB
}

void WorldState::rollback(Checkpoint checkpoint) {
  // LAB(07.6) Undo the journal back to `checkpoint`, newest entry first,
  // erasing accounts that did not exist before.
  while (journal_.size() > checkpoint) {
    auto& [address, before] = journal_.back();
    if (before) {
      accounts_[address] = *before;
    } else {
      accounts_.erase(address);
    }
    journal_.pop_back();
  }
  // END LAB
}

Hash256 WorldState::root() const {
  std::vector<Hash256> leaves;
  leaves.reserve(accounts_.size());
  for (const auto& [address, a] : accounts_) {
    Writer out;
    out.bytes(address.bytes);
    out.u64(a.balance);
    out.u64(a.nonce);
    leaves.push_back(double_sha256(out.data()));
  }
  return merkle_root(leaves).root;
}

}  // namespace uh::chain
