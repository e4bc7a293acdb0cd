// Chapter 07 — transactions: canonical bytes, ids, signatures, a strict decoder.
#include "chain/transaction.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace uh::chain {
namespace {

using testing::key;

// A transaction with a well-formed but made-up signature (r = s = 1): enough
// to exercise the encoding without signing anything.
Transaction unsigned_transfer() {
  Transaction tx;
  tx.chain_id = 7;
  tx.nonce = 3;
  tx.sender = key(1).public_key().compressed();
  tx.to = key(2).public_key().address();
  tx.amount = 1000;
  tx.fee = 5;
  tx.memo = {'h', 'i'};
  tx.signature = testing::placeholder_signature();
  return tx;
}

TEST(TransactionDecoding, RoundTripsExactly) {
  Transaction tx = unsigned_transfer();
  std::vector<std::uint8_t> bytes = tx.encode();
  EXPECT_EQ(bytes.size(), Transaction::kMinEncodedSize + 2);
  auto back = Transaction::decode(bytes);
  ASSERT_TRUE(back) << back.error().reason;
  EXPECT_EQ(*back, tx);
  EXPECT_EQ(back->encode(), bytes);
}

TEST(TransactionDecoding, EveryTruncationIsRejected) {
  std::vector<std::uint8_t> bytes = unsigned_transfer().encode();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto tx = Transaction::decode(std::span(bytes).first(n));
    ASSERT_FALSE(tx) << "accepted the first " << n << " bytes";
    EXPECT_NE(tx.error().reason.find("truncated"), std::string::npos) << tx.error().reason;
  }
}

TEST(TransactionDecoding, TrailingBytesAreRejected) {
  std::vector<std::uint8_t> bytes = unsigned_transfer().encode();
  bytes.push_back(0);
  auto tx = Transaction::decode(bytes);
  ASSERT_FALSE(tx);
  EXPECT_NE(tx.error().reason.find("trailing"), std::string::npos);
}

TEST(TransactionDecoding, OversizeMemoLengthIsRejectedBeforeReading) {
  std::vector<std::uint8_t> bytes = unsigned_transfer().encode();
  // The memo length sits right after the two amounts: offset 82.
  bytes[82] = 0xff;
  bytes[83] = 0xff;
  auto tx = Transaction::decode(bytes);
  ASSERT_FALSE(tx);
  EXPECT_NE(tx.error().reason.find("over the limit"), std::string::npos) << tx.error().reason;
  EXPECT_EQ(tx.error().offset, 82u);
}

TEST(TransactionDecoding, UnknownVersionIsRejected) {
  std::vector<std::uint8_t> bytes = unsigned_transfer().encode();
  bytes[0] = 2;
  EXPECT_FALSE(Transaction::decode(bytes));
}

TEST(TransactionDecoding, SenderOffTheCurveIsRejected) {
  std::vector<std::uint8_t> bytes = unsigned_transfer().encode();
  // The sender key starts at offset 13; make x = 5, which has no point.
  std::fill(bytes.begin() + 14, bytes.begin() + 46, 0);
  bytes[45] = 5;
  auto tx = Transaction::decode(bytes);
  ASSERT_FALSE(tx);
  EXPECT_NE(tx.error().reason.find("sender"), std::string::npos) << tx.error().reason;
}

TEST(TransactionDecoding, HighSSignatureIsRejected) {
  std::vector<std::uint8_t> bytes = unsigned_transfer().encode();
  std::fill(bytes.end() - 32, bytes.end(), 0xee);  // s far above n / 2
  auto tx = Transaction::decode(bytes);
  ASSERT_FALSE(tx);
  EXPECT_EQ(tx.error().offset, bytes.size() - 64);
}

TEST(Transactions, SignedTransactionVerifiesAndTamperingBreaksIt) {
  PrivateKey alice = key(11);
  Transaction tx = Transaction::make_signed(alice, 1, 0, key(12).public_key().address(), 50, 1);
  EXPECT_TRUE(tx.signature_valid());
  EXPECT_EQ(tx.from(), alice.public_key().address());
  Transaction more = tx;
  more.amount = 5000;
  EXPECT_FALSE(more.signature_valid());
  Transaction other_chain = tx;
  other_chain.chain_id = 2;
  EXPECT_FALSE(other_chain.signature_valid());
}

TEST(Transactions, IdCoversEveryField) {
  Transaction base = unsigned_transfer();
  std::vector<Transaction> variants(6, base);
  variants[0].chain_id++;
  variants[1].nonce++;
  variants[2].to.bytes[0] ^= 1;
  variants[3].amount++;
  variants[4].fee++;
  variants[5].memo.push_back('!');
  for (const Transaction& v : variants) EXPECT_NE(v.id(), base.id());
}

}  // namespace
}  // namespace uh::chain
