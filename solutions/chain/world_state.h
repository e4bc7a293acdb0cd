// chain/world_state.h — every account's balance and nonce, with undo.
//
// Owns: the accounts and a journal of their previous values since the oldest
// open checkpoint. apply() changes accounts only when the whole transaction is
// valid; rollback() restores the accounts exactly as they were at a
// checkpoint, which is how a block that fails half-way leaves no trace.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chain/hash.h"
#include "chain/keys.h"
#include "chain/transaction.h"
#include "support/expected.h"

namespace uh::chain {

struct Account {
  std::uint64_t balance = 0;
  std::uint64_t nonce = 0;  ///< the nonce the account's next transaction must carry
  bool operator==(const Account&) const = default;
};

/// Why a transaction cannot be applied to the state as it is.
enum class TxError {
  kReplayedNonce,      ///< the nonce was used already: a replay
  kNonceGap,           ///< the nonce is ahead of the account's: an earlier one is missing
  kInsufficientFunds,  ///< amount + fee exceeds the balance (or overflows)
  kBalanceOverflow,    ///< crediting the recipient or proposer would pass 2^64 - 1
};

std::string to_string(TxError error);

class WorldState {
 public:
  /// A position in the journal to roll back to.
  using Checkpoint = std::size_t;

  /// The account at `address` (a zero account when it has never been seen).
  Account account(const Address& address) const;

  /// Adds `amount` to an account without a transaction (genesis allocations).
  /// Throws std::overflow_error if the balance would pass 2^64 - 1.
  void credit(const Address& address, std::uint64_t amount);

  /// Checks `tx`'s nonce and funds against the sender's account, then moves
  /// amount to the recipient and fee to `proposer`, and bumps the sender's
  /// nonce. Does not check the signature (validation does, first). On an
  /// error nothing has changed.
  Expected<bool, TxError> apply(const Transaction& tx, const Address& proposer);

  Checkpoint checkpoint() const { return journal_.size(); }
  /// Restores every account changed since `checkpoint`, newest change first.
  void rollback(Checkpoint checkpoint);
  /// Forgets the journal: the changes so far are final.
  void commit() { journal_.clear(); }

  /// A hash committing to every account: the Merkle root of
  /// double SHA-256(address || balance || nonce), in address order.
  Hash256 root() const;

  std::size_t size() const { return accounts_.size(); }

 private:
  void set(const Address& address, const Account& account);

  std::map<Address, Account> accounts_;
  // (address, value before the change; nullopt when the account did not exist)
  std::vector<std::pair<Address, std::optional<Account>>> journal_;
};

}  // namespace uh::chain
