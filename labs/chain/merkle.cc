// Your workspace for chapter 07: write the code where the LAB markers are.
// Made from solutions/chain/merkle.cc by ci/labgen.py; `./lab test 07` checks your work,
// `./lab hint 07` helps, `./lab reset 07` brings this skeleton back.
#include "chain/merkle.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include "support/todo.h"

namespace uh::chain {

namespace {

// How many levels above the leaves a tree of `count` leaves has.
std::size_t depth_for(std::size_t count) {
  std::size_t depth = 0;
  for (std::size_t width = count; width > 1; width = (width + 1) / 2) ++depth;
  return depth;
}

}  // namespace

Hash256 merkle_parent(const Hash256& left, const Hash256& right) {
  std::array<std::uint8_t, 2 * Hash256::kSize> pair;
  std::copy(left.bytes().begin(), left.bytes().end(), pair.begin());
  std::copy(right.bytes().begin(), right.bytes().end(), pair.begin() + Hash256::kSize);
  return double_sha256(pair);
}

MerkleRoot merkle_root(std::span<const Hash256> leaves) {
  // LAB(07.1) Hash the levels pairwise up to one root, doubling an odd last
  // node, and flag the list as mutated when a pair at 2k, 2k+1 is equal.
  throw uh::Todo("07.1",
                 "Hash the levels pairwise up to one root, doubling an odd last node, and flag "
                 "the list as mutated when a pair at 2k, 2k+1 is equal.");
  // END LAB
}

MerkleProof merkle_proof(std::span<const Hash256> leaves, std::size_t index) {
  if (index >= leaves.size()) throw std::out_of_range("merkle_proof: leaf index past the end");
  // LAB(07.2) Collect the sibling of the node on the leaf's path at every level
  // (the node itself when it is an odd last node), bottom up.
  throw uh::Todo("07.2",
                 "Collect the sibling of the node on the leaf's path at every level (the node "
                 "itself when it is an odd last node), bottom up.");
  // END LAB
}

bool verify_merkle_proof(const Hash256& leaf, const MerkleProof& proof, const Hash256& root) {
  // LAB(07.2) Fold the siblings into the leaf, left or right by the bits of
  // the index, and compare with the root; reject a proof of the wrong length.
  throw uh::Todo("07.2",
                 "Fold the siblings into the leaf, left or right by the bits of the index, and "
                 "compare with the root; reject a proof of the wrong length.");
  // END LAB
}

}  // namespace uh::chain
