// Chapter 07 — the toy proof-of-work: hard to find, easy to check.
#include "chain/proof_of_work.h"

#include <gtest/gtest.h>

namespace uh::chain {
namespace {

BlockHeader some_header() {
  BlockHeader h;
  h.height = 12;
  h.timestamp = 1'700'000'000;
  return h;
}

TEST(ProofOfWork, SealMeetsTheDifficultyAndChecks) {
  ProofOfWork pow(12);
  BlockHeader h = some_header();
  pow.seal(h);
  EXPECT_EQ(h.difficulty, 12u);
  EXPECT_GE(h.hash().leading_zero_bits(), 12);
  EXPECT_EQ(pow.check_seal(h), std::nullopt);
}

TEST(ProofOfWork, SealFindsTheFirstNonceThatWorks) {
  ProofOfWork pow(10);
  BlockHeader h = some_header();
  pow.seal(h);
  BlockHeader earlier = h;
  for (std::uint64_t n = 0; n < h.nonce; ++n) {
    earlier.nonce = n;
    EXPECT_LT(earlier.hash().leading_zero_bits(), 10) << "nonce " << n << " already worked";
  }
}

TEST(ProofOfWork, ChangedHeaderNoLongerChecks) {
  ProofOfWork pow(16);
  BlockHeader h = some_header();
  pow.seal(h);
  h.timestamp += 1;
  // One header in 65536 would still pass; this one is fixed, so the test is not flaky.
  auto why = pow.check_seal(h);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("leading zero bits"), std::string::npos) << *why;
}

TEST(ProofOfWork, WrongDifficultyFieldIsRejected) {
  ProofOfWork pow(4);
  BlockHeader h = some_header();
  ProofOfWork(0).seal(h);
  EXPECT_TRUE(pow.check_seal(h));
}

TEST(ProofOfWork, GivesUpAfterMaxAttempts) {
  ProofOfWork impossible(64, 1000);
  BlockHeader h = some_header();
  EXPECT_THROW(impossible.seal(h), std::runtime_error);
  EXPECT_THROW(ProofOfWork(65), std::invalid_argument);
}

TEST(ProofOfWork, DifficultyZeroTakesTheFirstNonce) {
  BlockHeader h = some_header();
  h.nonce = 99;
  ProofOfWork(0).seal(h);
  EXPECT_EQ(h.nonce, 0u);
}

}  // namespace
}  // namespace uh::chain
