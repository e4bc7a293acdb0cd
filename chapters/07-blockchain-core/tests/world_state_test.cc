// Chapter 07 — the world state: balances and nonces, applied and rolled back.
#include "chain/world_state.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace uh::chain {
namespace {

using testing::key;

// Transfers need no signature here: apply() trusts validation to check it.
Transaction transfer(std::uint8_t from, std::uint8_t to, std::uint64_t amount, std::uint64_t fee,
                     std::uint64_t nonce) {
  Transaction tx;
  tx.chain_id = 1;
  tx.sender = key(from).public_key().compressed();
  tx.to = key(to).public_key().address();
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  return tx;
}

Address addr(std::uint8_t n) { return key(n).public_key().address(); }

TEST(WorldState, TransferMovesAmountAndFeeAndBumpsTheNonce) {
  WorldState state;
  state.credit(addr(1), 100);
  auto applied = state.apply(transfer(1, 2, 30, 2, 0), addr(9));
  ASSERT_TRUE(applied);
  EXPECT_EQ(state.account(addr(1)), (Account{68, 1}));
  EXPECT_EQ(state.account(addr(2)), (Account{30, 0}));
  EXPECT_EQ(state.account(addr(9)), (Account{2, 0}));
}

TEST(WorldState, ReplayedNonceIsRefused) {
  WorldState state;
  state.credit(addr(1), 100);
  ASSERT_TRUE(state.apply(transfer(1, 2, 10, 0, 0), addr(9)));
  auto replay = state.apply(transfer(1, 2, 10, 0, 0), addr(9));
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error(), TxError::kReplayedNonce);
  EXPECT_EQ(state.account(addr(2)).balance, 10u);
}

TEST(WorldState, NonceGapIsRefused) {
  WorldState state;
  state.credit(addr(1), 100);
  auto ahead = state.apply(transfer(1, 2, 10, 0, 1), addr(9));
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.error(), TxError::kNonceGap);
}

TEST(WorldState, OverspendIsRefusedCountingTheFee) {
  WorldState state;
  state.credit(addr(1), 100);
  auto over = state.apply(transfer(1, 2, 100, 1, 0), addr(9));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error(), TxError::kInsufficientFunds);
  EXPECT_EQ(state.account(addr(1)), (Account{100, 0}));
  // amount + fee wrapping past 2^64 must not look affordable.
  auto wrap = state.apply(transfer(1, 2, UINT64_MAX, 2, 0), addr(9));
  ASSERT_FALSE(wrap);
  EXPECT_EQ(wrap.error(), TxError::kInsufficientFunds);
}

TEST(WorldState, CreditPast2To64IsRefusedAndChangesNothing) {
  WorldState state;
  state.credit(addr(1), 100);
  state.credit(addr(2), UINT64_MAX - 5);
  auto overflow = state.apply(transfer(1, 2, 10, 0, 0), addr(9));
  ASSERT_FALSE(overflow);
  EXPECT_EQ(overflow.error(), TxError::kBalanceOverflow);
  EXPECT_EQ(state.account(addr(1)), (Account{100, 0}));
}

TEST(WorldState, GenesisCreditPast2To64IsRefused) {
  WorldState state;
  state.credit(addr(1), UINT64_MAX - 1);
  EXPECT_THROW(state.credit(addr(1), 2), std::overflow_error);
  EXPECT_EQ(state.account(addr(1)).balance, UINT64_MAX - 1);
}

TEST(WorldState, SendingToYourselfOnlyCostsTheFee) {
  WorldState state;
  state.credit(addr(1), 100);
  ASSERT_TRUE(state.apply(transfer(1, 1, 40, 3, 0), addr(9)));
  EXPECT_EQ(state.account(addr(1)), (Account{97, 1}));
}

TEST(WorldState, RollbackRestoresExactlyAndForgetsNewAccounts) {
  WorldState state;
  state.credit(addr(1), 100);
  state.commit();
  Hash256 before = state.root();
  std::size_t accounts = state.size();
  WorldState::Checkpoint cp = state.checkpoint();
  ASSERT_TRUE(state.apply(transfer(1, 2, 10, 1, 0), addr(9)));
  ASSERT_TRUE(state.apply(transfer(1, 3, 20, 1, 1), addr(9)));
  EXPECT_NE(state.root(), before);
  state.rollback(cp);
  EXPECT_EQ(state.root(), before);
  EXPECT_EQ(state.size(), accounts);
  EXPECT_EQ(state.account(addr(1)), (Account{100, 0}));
  EXPECT_EQ(state.account(addr(2)), Account{});
}

TEST(WorldState, PartialRollbackKeepsEarlierChanges) {
  WorldState state;
  state.credit(addr(1), 100);
  ASSERT_TRUE(state.apply(transfer(1, 2, 10, 0, 0), addr(9)));
  WorldState::Checkpoint cp = state.checkpoint();
  ASSERT_TRUE(state.apply(transfer(1, 2, 10, 0, 1), addr(9)));
  state.rollback(cp);
  EXPECT_EQ(state.account(addr(2)).balance, 10u);
  EXPECT_EQ(state.account(addr(1)).nonce, 1u);
}

}  // namespace
}  // namespace uh::chain
