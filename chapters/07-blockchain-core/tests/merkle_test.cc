// Chapter 07 — Merkle trees with Bitcoin's rules, mutation detection and proofs.
#include "chain/merkle.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace uh::chain {
namespace {

using testing::bytes_of;
using testing::hash_from_display;

std::vector<Hash256> leaves(int n) {
  std::vector<Hash256> out;
  for (int i = 0; i < n; ++i) out.push_back(sha256(bytes_of("leaf " + std::to_string(i))));
  return out;
}

TEST(Merkle, GenesisRootIsItsOnlyTransaction) {
  Hash256 coinbase =
      hash_from_display("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
  MerkleRoot r = merkle_root(std::vector{coinbase});
  EXPECT_EQ(r.root, coinbase);
  EXPECT_FALSE(r.mutated);
}

TEST(Merkle, Block100000RootFromItsFourTransactions) {
  std::vector<Hash256> txids = {
      hash_from_display("8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87"),
      hash_from_display("fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4"),
      hash_from_display("6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4"),
      hash_from_display("e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d"),
  };
  EXPECT_EQ(merkle_root(txids).root.to_display_hex(),
            "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766");
}

TEST(Merkle, OddLevelPairsItsLastNodeWithItself) {
  auto l = leaves(3);
  Hash256 expected = merkle_parent(merkle_parent(l[0], l[1]), merkle_parent(l[2], l[2]));
  MerkleRoot r = merkle_root(l);
  EXPECT_EQ(r.root, expected);
  EXPECT_FALSE(r.mutated);
}

TEST(Merkle, EmptyListHasTheZeroRoot) {
  EXPECT_TRUE(merkle_root({}).root.is_zero());
  EXPECT_FALSE(merkle_root({}).mutated);
}

TEST(Merkle, DuplicatedTailIsDetectedAsMutated) {
  // CVE-2012-2459: [a, b, c] and [a, b, c, c] have the same root.
  auto l = leaves(3);
  std::vector<Hash256> mutated = {l[0], l[1], l[2], l[2]};
  MerkleRoot honest = merkle_root(l);
  MerkleRoot forged = merkle_root(mutated);
  EXPECT_EQ(honest.root, forged.root);
  EXPECT_FALSE(honest.mutated);
  EXPECT_TRUE(forged.mutated);
}

TEST(Merkle, MutationOnAHigherLevelIsDetectedToo) {
  // [a, b, c, d, e, f, e, f]: level 1 holds H(e,f) twice at positions 2 and 3.
  auto l = leaves(6);
  std::vector<Hash256> mutated = {l[0], l[1], l[2], l[3], l[4], l[5], l[4], l[5]};
  EXPECT_EQ(merkle_root(l).root, merkle_root(mutated).root);
  EXPECT_TRUE(merkle_root(mutated).mutated);
  EXPECT_FALSE(merkle_root(l).mutated);
}

TEST(Merkle, EqualNeighboursAtAnOddPositionAreNotAMutation) {
  // Positions 1 and 2 are not a pair: nothing is duplicated in the tree.
  auto l = leaves(4);
  std::vector<Hash256> list = {l[0], l[1], l[1], l[2]};
  EXPECT_FALSE(merkle_root(list).mutated);
}

TEST(MerkleProof, HandBuiltProofVerifies) {
  // Leaf 2 of 4: its sibling is leaf 3, then the parent of leaves 0 and 1.
  auto l = leaves(4);
  Hash256 root = merkle_parent(merkle_parent(l[0], l[1]), merkle_parent(l[2], l[3]));
  MerkleProof proof{2, 4, {l[3], merkle_parent(l[0], l[1])}};
  EXPECT_TRUE(verify_merkle_proof(l[2], proof, root));
  EXPECT_FALSE(verify_merkle_proof(l[3], proof, root));
}

TEST(MerkleProof, EveryLeafOfEverySizeVerifies) {
  for (int n = 1; n <= 9; ++n) {
    auto l = leaves(n);
    Hash256 root = merkle_root(l).root;
    for (int i = 0; i < n; ++i) {
      MerkleProof proof = merkle_proof(l, i);
      EXPECT_TRUE(verify_merkle_proof(l[i], proof, root)) << "leaf " << i << " of " << n;
    }
  }
}

TEST(MerkleProof, AlteredProofsFail) {
  auto l = leaves(7);
  Hash256 root = merkle_root(l).root;
  MerkleProof good = merkle_proof(l, 5);
  ASSERT_TRUE(verify_merkle_proof(l[5], good, root));

  MerkleProof sibling = good;
  sibling.siblings[1] = sha256(bytes_of("forged"));
  EXPECT_FALSE(verify_merkle_proof(l[5], sibling, root));

  MerkleProof index = good;
  index.index = 4;
  EXPECT_FALSE(verify_merkle_proof(l[5], index, root));

  MerkleProof shorter = good;
  shorter.siblings.pop_back();
  EXPECT_FALSE(verify_merkle_proof(l[5], shorter, root));

  MerkleProof longer = good;
  longer.siblings.push_back(root);
  EXPECT_FALSE(verify_merkle_proof(l[5], longer, root));

  EXPECT_FALSE(verify_merkle_proof(l[4], good, root));
  EXPECT_FALSE(verify_merkle_proof(l[5], good, sha256(bytes_of("other root"))));
}

TEST(MerkleProof, IndexPastTheEndIsRefused) {
  auto l = leaves(3);
  EXPECT_THROW(merkle_proof(l, 3), std::out_of_range);
  EXPECT_FALSE(verify_merkle_proof(l[0], MerkleProof{3, 3, {}}, merkle_root(l).root));
}

}  // namespace
}  // namespace uh::chain
