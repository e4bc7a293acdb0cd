// chain/proof_of_work.h — a toy proof-of-work, to show why consensus is needed.
//
// Owns: its difficulty. A header is sealed when its hash has at least
// `difficulty` leading zero bits; finding one takes about 2^difficulty tries,
// checking one takes a single hash. Anyone may make a block, and when two do
// at once the chain forks until more work piles on one side: that is the
// problem chapter 09 solves differently. Thread-safe.
#pragma once

#include <cstdint>

#include "chain/consensus.h"

namespace uh::chain {

class ProofOfWork : public Consensus {
 public:
  /// `difficulty` leading zero bits (0 to 64); give up after `max_attempts` nonces.
  explicit ProofOfWork(std::uint32_t difficulty, std::uint64_t max_attempts = UINT64_MAX);

  std::string name() const override;
  /// Sets header.difficulty and searches nonces from 0 until the hash has
  /// enough leading zero bits. Throws std::runtime_error after max_attempts.
  void seal(BlockHeader& header) const override;
  std::optional<std::string> check_seal(const BlockHeader& header) const override;

  std::uint32_t difficulty() const { return difficulty_; }

 private:
  std::uint32_t difficulty_;
  std::uint64_t max_attempts_;
};

}  // namespace uh::chain
