#include "chain/merkle.h"

#include <algorithm>
#include <array>
#include <stdexcept>

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
  MerkleRoot result;
  if (leaves.empty()) return result;
  std::vector<Hash256> level(leaves.begin(), leaves.end());
  while (level.size() > 1) {
    // Check before doubling: the doubled pair is equal by construction.
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      if (level[i] == level[i + 1]) result.mutated = true;
    }
    if (level.size() % 2 == 1) level.push_back(level.back());
    std::vector<Hash256> next;
    next.reserve(level.size() / 2);
    for (std::size_t i = 0; i < level.size(); i += 2) {
      next.push_back(merkle_parent(level[i], level[i + 1]));
    }
    level = std::move(next);
  }
  result.root = level.front();
  return result;
  // END LAB
}

MerkleProof merkle_proof(std::span<const Hash256> leaves, std::size_t index) {
  if (index >= leaves.size()) throw std::out_of_range("merkle_proof: leaf index past the end");
  // LAB(07.2) Collect the sibling of the node on the leaf's path at every level
  // (the node itself when it is an odd last node), bottom up.
  MerkleProof proof{index, leaves.size(), {}};
  std::vector<Hash256> level(leaves.begin(), leaves.end());
  std::size_t position = index;
  while (level.size() > 1) {
    if (level.size() % 2 == 1) level.push_back(level.back());
    proof.siblings.push_back(level[position ^ 1]);
    std::vector<Hash256> next;
    for (std::size_t i = 0; i < level.size(); i += 2) {
      next.push_back(merkle_parent(level[i], level[i + 1]));
    }
    level = std::move(next);
    position /= 2;
  }
  return proof;
  // END LAB
}

bool verify_merkle_proof(const Hash256& leaf, const MerkleProof& proof, const Hash256& root) {
  // LAB(07.2) Fold the siblings into the leaf, left or right by the bits of
  // the index, and compare with the root; reject a proof of the wrong length.
  if (proof.leaf_count == 0 || proof.index >= proof.leaf_count) return false;
  if (proof.siblings.size() != depth_for(proof.leaf_count)) return false;
  Hash256 node = leaf;
  std::size_t position = proof.index;
  for (const Hash256& sibling : proof.siblings) {
    node = position % 2 == 0 ? merkle_parent(node, sibling) : merkle_parent(sibling, node);
    position /= 2;
  }
  return node == root;
  // END LAB
}

}  // namespace uh::chain
