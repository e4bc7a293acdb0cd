// Your workspace for chapter 07: write the code where the LAB markers are.
// Made from solutions/chain/proof_of_work.cc by ci/labgen.py; `./lab test 07` checks your work,
// `./lab hint 07` helps, `./lab reset 07` brings this skeleton back.
#include "chain/proof_of_work.h"

#include <stdexcept>
#include <string>
#include "support/todo.h"

namespace uh::chain {

ProofOfWork::ProofOfWork(std::uint32_t difficulty, std::uint64_t max_attempts)
    : difficulty_(difficulty), max_attempts_(max_attempts) {
  if (difficulty > 64) throw std::invalid_argument("proof-of-work difficulty is at most 64 bits");
}

std::string ProofOfWork::name() const {
  return "proof-of-work(" + std::to_string(difficulty_) + ")";
}

void ProofOfWork::seal(BlockHeader& header) const {
  // LAB(07.8) Set the header's difficulty, then try nonces from 0 until the
  // header's hash has that many leading zero bits; give up after max_attempts_.
  throw uh::Todo("07.8",
                 "Set the header's difficulty, then try nonces from 0 until the header's hash "
                 "has that many leading zero bits; give up after max_attempts_.");
  // END LAB
}

std::optional<std::string> ProofOfWork::check_seal(const BlockHeader& header) const {
  if (header.difficulty != difficulty_) {
    return "difficulty " + std::to_string(header.difficulty) + " where the chain requires " +
           std::to_string(difficulty_);
  }
  int zeros = header.hash().leading_zero_bits();
  if (zeros < static_cast<int>(difficulty_)) {
    return "hash has " + std::to_string(zeros) + " leading zero bits, needs " +
           std::to_string(difficulty_);
  }
  return std::nullopt;
}

}  // namespace uh::chain
