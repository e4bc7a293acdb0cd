#include "raft/linearizability.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>

namespace uh::raft {

namespace {

// The value after `op` on a map holding `state` at its key.
std::string step(const KvOperation& op, const std::string& state) {
  switch (op.op) {
    case KvCommand::Op::kGet:
      return state;
    case KvCommand::Op::kPut:
      return op.input;
    case KvCommand::Op::kAppend:
      return state + op.input;
  }
  return state;
}

bool linearizable(const std::vector<KvOperation>& ops) {
  const std::size_t n = ops.size();
  std::vector<bool> done(n, false);
  std::set<std::pair<std::vector<bool>, std::string>> seen;
  std::function<bool(std::size_t, const std::string&)> search = [&](std::size_t count,
                                                                    const std::string& state) {
    if (count == n) return true;
    if (!seen.insert({done, state}).second) return false;  // explored before
    // An operation may go next only if no pending operation returned before it was called.
    std::uint64_t earliest_return = UINT64_MAX;
    for (std::size_t i = 0; i < n; ++i) {
      if (!done[i]) earliest_return = std::min(earliest_return, ops[i].ret);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (done[i] || ops[i].call > earliest_return) continue;
      std::string after = step(ops[i], state);
      if (after != ops[i].output) continue;  // the client saw something else
      done[i] = true;
      if (search(count + 1, after)) return true;
      done[i] = false;
    }
    return false;
  };
  return search(0, "");
}

}  // namespace

LinearizabilityResult check_linearizable(const std::vector<KvOperation>& history) {
  std::map<std::string, std::vector<KvOperation>> by_key;
  for (const KvOperation& op : history) by_key[op.key].push_back(op);
  for (const auto& [key, ops] : by_key) {
    if (!linearizable(ops)) return {false, key};
  }
  return {};
}

}  // namespace uh::raft
