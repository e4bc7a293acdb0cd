// Chapter 07 — block validation: every broken rule rejected with its own error.
#include "chain/validation.h"

#include <gtest/gtest.h>

#include "chain/blockchain.h"
#include "chain/merkle.h"
#include "chain/proof_of_work.h"
#include "test_support.h"

namespace uh::chain {
namespace {

using testing::AcceptAll;
using testing::key;

constexpr std::uint64_t kGenesisTime = 1'700'000'000;
constexpr std::uint64_t kNow = kGenesisTime + 1000;

Address addr(std::uint8_t n) { return key(n).public_key().address(); }

// A parent header and a block on it whose fields are set by hand: no Merkle
// tree, no seal, no transactions. For the header rules.
struct HandMade {
  BlockHeader parent;
  Block block;
  WorldState state;
  AcceptAll consensus;
  ChainParams params;

  HandMade() {
    parent.height = 4;
    parent.timestamp = kGenesisTime;
    block.header.height = 5;
    block.header.previous = parent.hash();
    block.header.timestamp = kGenesisTime + 10;
    // An empty state's root is the zero hash (the Merkle root of no leaves).
    block.header.state_root = Hash256();
  }
  std::optional<ValidationError> validate() {
    return validate_block(block, parent, state, consensus, params, kNow);
  }
};

TEST(Validation, HandMadeEmptyBlockIsValid) {
  HandMade m;
  auto error = m.validate();
  EXPECT_FALSE(error) << to_string(error->code) << ": " << error->detail;
}

TEST(Validation, WrongHeightIsRejected) {
  HandMade m;
  m.block.header.height = 7;
  auto error = m.validate();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, BlockError::kBadHeight);
}

TEST(Validation, BrokenLinkIsRejected) {
  HandMade m;
  m.block.header.previous = sha256(std::vector<std::uint8_t>{1});
  auto error = m.validate();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, BlockError::kBadPrevious);
}

TEST(Validation, TimestampMustMoveForwardButNotTooFar) {
  HandMade m;
  m.block.header.timestamp = m.parent.timestamp;
  ASSERT_TRUE(m.validate());
  EXPECT_EQ(m.validate()->code, BlockError::kBadTimestamp);
  m.block.header.timestamp = kNow + m.params.max_future_seconds + 1;
  EXPECT_EQ(m.validate()->code, BlockError::kBadTimestamp);
}

TEST(Validation, TooLargeIsRejected) {
  HandMade m;
  m.params.max_block_bytes = 100;  // smaller than a header
  auto error = m.validate();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, BlockError::kTooLarge);
}

TEST(Validation, UnknownVersionIsRejected) {
  HandMade m;
  m.block.header.version = 9;
  EXPECT_EQ(m.validate()->code, BlockError::kBadVersion);
}

// A real chain with proof-of-work at a low difficulty: alice and bob start
// with funds; blocks are made by the chain itself, then broken on purpose.
class ChainTest : public ::testing::Test {
 protected:
  ChainTest()
      : pow_(8), chain_(pow_, ChainParams{}, {{addr(1), 1000}, {addr(2), 500}}, kGenesisTime) {}

  Transaction pay(std::uint8_t from, std::uint8_t to, std::uint64_t amount, std::uint64_t nonce,
                  std::uint32_t chain_id = 1) {
    return Transaction::make_signed(key(from), chain_id, nonce, addr(to), amount, 1);
  }

  // Recomputes the Merkle root and seal after `edit` changed the block, so
  // that only the rule under test is broken.
  Block reseal(Block block) {
    block.header.merkle_root = merkle_root(block.transaction_ids()).root;
    pow_.seal(block.header);
    return block;
  }

  std::optional<BlockError> append(const Block& block) {
    auto error = chain_.append(block, kNow);
    if (error) return error->code;
    return std::nullopt;
  }

  ProofOfWork pow_;
  Blockchain chain_;
};

TEST_F(ChainTest, ValidBlockIsAcceptedAndApplied) {
  Block block = chain_.make_block({pay(1, 3, 100, 0), pay(2, 3, 50, 0)}, addr(9), kGenesisTime + 1);
  EXPECT_EQ(append(block), std::nullopt);
  EXPECT_EQ(chain_.tip().height, 1u);
  EXPECT_EQ(chain_.state().account(addr(3)).balance, 150u);
  EXPECT_EQ(chain_.state().account(addr(9)).balance, 2u);
}

TEST_F(ChainTest, TamperedTransactionBreaksTheMerkleRoot) {
  Block block = chain_.make_block({pay(1, 3, 100, 0)}, addr(9), kGenesisTime + 1);
  block.transactions[0].amount = 900;
  EXPECT_EQ(append(block), BlockError::kBadMerkleRoot);
  EXPECT_EQ(chain_.tip().height, 0u);
}

TEST_F(ChainTest, TamperedHeaderBreaksTheSeal) {
  Block block = chain_.make_block({pay(1, 3, 100, 0)}, addr(9), kGenesisTime + 1);
  // Find a proposer change that the old nonce no longer satisfies.
  for (std::uint8_t i = 0; i < 255; ++i) {
    block.header.proposer.bytes[0] = i;
    if (block.header.hash().leading_zero_bits() < 8) break;
  }
  EXPECT_EQ(append(block), BlockError::kBadSeal);
}

TEST_F(ChainTest, BadSignatureIsRejected) {
  Transaction forged = pay(1, 3, 100, 0);
  forged.signature = key(2).sign(forged.signing_hash());  // bob signs alice's transfer
  Block block = chain_.make_block({pay(2, 3, 1, 0)}, addr(9), kGenesisTime + 1);
  block.transactions.push_back(forged);
  EXPECT_EQ(append(reseal(block)), BlockError::kBadSignature);
}

TEST_F(ChainTest, ReplayedTransactionFromAnEarlierBlockIsRejected) {
  Transaction tx = pay(1, 3, 100, 0);
  ASSERT_EQ(append(chain_.make_block({tx}, addr(9), kGenesisTime + 1)), std::nullopt);
  Block replay = chain_.make_block({}, addr(9), kGenesisTime + 2);
  replay.transactions.push_back(tx);
  EXPECT_EQ(append(reseal(replay)), BlockError::kReplayedNonce);
}

TEST_F(ChainTest, DoubleSpendInOneBlockIsRejected) {
  // Two different transfers with the same nonce: only one may happen.
  Block block = chain_.make_block({pay(1, 3, 600, 0)}, addr(9), kGenesisTime + 1);
  block.transactions.push_back(pay(1, 4, 600, 0));
  EXPECT_EQ(append(reseal(block)), BlockError::kDoubleSpend);
}

TEST_F(ChainTest, OverspendIsRejected) {
  Block block = chain_.make_block({}, addr(9), kGenesisTime + 1);
  block.transactions.push_back(pay(2, 3, 500, 0));  // 500 + fee 1 > 500
  EXPECT_EQ(append(reseal(block)), BlockError::kInsufficientFunds);
}

TEST_F(ChainTest, NonceGapIsRejected) {
  Block block = chain_.make_block({}, addr(9), kGenesisTime + 1);
  block.transactions.push_back(pay(1, 3, 5, 1));
  EXPECT_EQ(append(reseal(block)), BlockError::kNonceGap);
}

TEST_F(ChainTest, TransactionForAnotherChainIsRejected) {
  Block block = chain_.make_block({}, addr(9), kGenesisTime + 1);
  block.transactions.push_back(pay(1, 3, 5, 0, /*chain_id=*/2));
  EXPECT_EQ(append(reseal(block)), BlockError::kWrongChain);
}

TEST_F(ChainTest, MutatedTransactionListIsRejected) {
  // [a, b, c, c] has the root of [a, b, c]: a node given the long list
  // must not conclude that the honest block is invalid, nor accept it.
  Block block = chain_.make_block({pay(1, 3, 1, 0), pay(1, 3, 1, 1), pay(1, 3, 1, 2)}, addr(9),
                                  kGenesisTime + 1);
  block.transactions.push_back(block.transactions.back());
  EXPECT_EQ(append(block), BlockError::kMutatedMerkle);
}

TEST_F(ChainTest, WrongStateRootIsRejected) {
  Block block = chain_.make_block({pay(1, 3, 100, 0)}, addr(9), kGenesisTime + 1);
  block.header.state_root = sha256(std::vector<std::uint8_t>{42});
  pow_.seal(block.header);
  EXPECT_EQ(append(block), BlockError::kBadStateRoot);
}

TEST_F(ChainTest, RejectedBlockLeavesTheStateAsItWas) {
  Hash256 before = chain_.state().root();
  Block block = chain_.make_block({pay(1, 3, 100, 0)}, addr(9), kGenesisTime + 1);
  block.transactions.push_back(pay(2, 3, 900, 0));  // valid first, overspend second
  EXPECT_EQ(append(reseal(block)), BlockError::kInsufficientFunds);
  EXPECT_EQ(chain_.state().root(), before);
  EXPECT_EQ(chain_.state().account(addr(1)), (Account{1000, 0}));
}

TEST_F(ChainTest, MakeBlockRefusesAnInvalidTransaction) {
  EXPECT_THROW(chain_.make_block({pay(2, 3, 9999, 0)}, addr(9), kGenesisTime + 1),
               std::invalid_argument);
}

}  // namespace
}  // namespace uh::chain
