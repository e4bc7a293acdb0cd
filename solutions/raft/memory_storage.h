// raft/memory_storage.h — what a node has "on disk", kept in memory for tests.
//
// Owns: a hard state, an optional snapshot and the entries after it: exactly
// what Ready asks a node to persist, and exactly what survives a simulated
// crash. The durable, file-backed twin is raft/disk_storage.h. Not thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "raft/raft.h"
#include "raft/raw_node.h"

namespace uh::raft {

class MemoryStorage {
 public:
  /// Persists what `ready` asks: a snapshot from the leader first (replacing
  /// the whole log), then entries (replacing any stored suffix from the first
  /// new index), then the hard state.
  void persist(const Ready& ready);

  /// This node's own compaction: keeps `snapshot` and drops the entries it covers.
  void save_snapshot(const Snapshot& snapshot);

  /// Everything persisted, to restart a node from.
  PersistedState state() const { return {hard_state_, snapshot_, entries_}; }

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  HardState hard_state_;
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
};

}  // namespace uh::raft
