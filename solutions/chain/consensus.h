// chain/consensus.h — who may add the next block: a strategy the chain is given.
//
// Owns: nothing; an interface. A consensus algorithm answers two questions
// about a block header: how to make it acceptable (seal) and whether a header
// someone else made is acceptable (check_seal). Proof-of-work (chain/
// proof_of_work.h) answers with a hash puzzle; chapter 09 answers with Raft,
// where a block is acceptable because a majority of known nodes agreed on it.
// Implementations must be thread-safe for check_seal().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chain/block.h"

namespace uh::chain {

class Consensus {
 public:
  virtual ~Consensus() = default;

  /// A short name for logs and errors, e.g. "proof-of-work(16)".
  virtual std::string name() const = 0;

  /// Makes `header` acceptable under this consensus (may take a while).
  /// Throws std::runtime_error if it cannot.
  virtual void seal(BlockHeader& header) const = 0;

  /// Nothing when `header` is acceptable; otherwise why not.
  virtual std::optional<std::string> check_seal(const BlockHeader& header) const = 0;
};

}  // namespace uh::chain
