// Your workspace for chapter 07: write the code where the LAB markers are.
// Made from solutions/chain/world_state.cc by ci/labgen.py; `./lab test 07` checks your work,
// `./lab hint 07` helps, `./lab reset 07` brings this skeleton back.
#include "chain/world_state.h"

#include <stdexcept>

#include "chain/encoding.h"
#include "chain/merkle.h"
#include "support/todo.h"

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
  throw uh::Todo("07.6",
                 "Check the sender's nonce (replay or gap) and that amount + fee fits the "
                 "balance without overflow, then debit, credit the recipient and the proposer, "
                 "and bump the nonce, through set() so rollback can undo it.");
  // END LAB
}

void WorldState::rollback(Checkpoint checkpoint) {
  // LAB(07.6) Undo the journal back to `checkpoint`, newest entry first,
  // erasing accounts that did not exist before.
  throw uh::Todo("07.6",
                 "Undo the journal back to `checkpoint`, newest entry first, erasing accounts "
                 "that did not exist before.");
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
