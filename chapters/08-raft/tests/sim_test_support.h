// Chapter 08 tests — helpers around the simulation: the seed in every failure.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "raft/simulation.h"

namespace uh::raft::testing {

/// The seed for a test: UH_RAFT_SEED from the environment replays a printed
/// failure; otherwise the test's own fixed seed.
inline std::uint64_t seed_or(std::uint64_t fixed) {
  if (const char* s = std::getenv("UH_RAFT_SEED")) return std::strtoull(s, nullptr, 0);
  return fixed;
}

/// Every assertion in a simulated test carries this, so a failure says how to replay it.
inline std::string replay(const Simulation& sim) {
  return "replay with UH_RAFT_SEED=" + std::to_string(sim.seed());
}

/// The data of the commands a node applied (normal, non-empty entries), in order.
inline std::vector<std::string> commands(const Simulation& sim, NodeId id) {
  std::vector<std::string> out;
  for (const Entry& e : sim.applied(id)) {
    if (e.type == EntryType::kNormal && !e.data.empty()) out.push_back(e.data);
  }
  return out;
}

inline Simulation cluster(int n, std::uint64_t seed, Config base = {}) {
  std::vector<NodeId> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(static_cast<NodeId>(i));
  return Simulation(ids, seed, base);
}

}  // namespace uh::raft::testing
