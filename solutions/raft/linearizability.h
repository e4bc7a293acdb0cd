// raft/linearizability.h — did a key-value history behave like one copy of the data?
//
// Owns: nothing; a pure check over a recorded history. Each operation has a
// call time and a return time; the history is linearizable if the operations
// can be put in one order that respects real time (an operation that returned
// before another was called comes first) and in which every result is what a
// single, sequential map would have answered.
//
// The search is Wing and Gong's, with the memoisation Porcupine adds: try each
// operation that may go next, recurse, backtrack, and never explore the same
// (set of operations done, state) twice. Keys are independent, so each key's
// history is checked on its own. Exponential in the worst case: keep the
// histories to tens of operations per key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raft/kv_store.h"

namespace uh::raft {

struct KvOperation {
  KvCommand::Op op = KvCommand::Op::kGet;
  std::string key;
  std::string input;   ///< put/append value
  std::string output;  ///< what the client was told: the value after the operation
  std::uint64_t call = 0;
  std::uint64_t ret = 0;  ///< REQUIRES: ret >= call
};

struct LinearizabilityResult {
  bool ok = true;
  std::string key;  ///< the first key whose history is not linearizable
};

LinearizabilityResult check_linearizable(const std::vector<KvOperation>& history);

}  // namespace uh::raft
