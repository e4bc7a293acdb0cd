// chain/merkle.h — Merkle trees with Bitcoin's rules, and inclusion proofs.
//
// Owns: nothing; pure functions. The tree over leaves L0..Ln-1 hashes pairs
// with double SHA-256 of their 64-byte concatenation, level by level, until one
// hash is left. A level with an odd count pairs its last node with itself.
//
//   level 2:   root = H(H01 || H22)
//   level 1:   H01 = H(L0 || L1)     H22 = H(L2 || L2)   <- the odd node doubled
//   level 0:   L0    L1    L2
//
// That doubling is why two different leaf lists can share a root (CVE-2012-2459):
// [L0, L1, L2] and [L0, L1, L2, L2] hash the same. merkle_root() reports such a
// "mutated" list so a validator can reject it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "chain/hash.h"

namespace uh::chain {

struct MerkleRoot {
  Hash256 root;  ///< all zeros for an empty list
  /// True when some level held two equal hashes at positions 2k and 2k+1: the
  /// list (or a list with the same root) repeats a subtree. Reject the block.
  bool mutated = false;
};

/// The root of `leaves` under Bitcoin's rules, with the mutation flag.
MerkleRoot merkle_root(std::span<const Hash256> leaves);

/// The path from one leaf to the root: its sibling on every level, bottom up.
struct MerkleProof {
  std::size_t index = 0;       ///< the leaf's position in the list
  std::size_t leaf_count = 0;  ///< how many leaves the tree has
  std::vector<Hash256> siblings;
};

/// The proof for leaf `index`. REQUIRES: index < leaves.size().
MerkleProof merkle_proof(std::span<const Hash256> leaves, std::size_t index);

/// Whether `proof` shows `leaf` at proof.index in a tree whose root is `root`.
/// A light client runs this with only the block header: it never sees the other
/// leaves. Rejects proofs whose length does not match leaf_count.
bool verify_merkle_proof(const Hash256& leaf, const MerkleProof& proof, const Hash256& root);

/// H(left || right) with double SHA-256: one inner node.
Hash256 merkle_parent(const Hash256& left, const Hash256& right);

}  // namespace uh::chain
