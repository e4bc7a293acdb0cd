#include "raft/memory_storage.h"

#include <algorithm>

namespace uh::raft {

void MemoryStorage::persist(const Ready& ready) {
  if (ready.snapshot) {
    // A snapshot from the leader replaces the whole log: whatever we held
    // after it may belong to a history that lost.
    entries_.clear();
    snapshot_ = ready.snapshot;
    hard_state_.commit = std::max(hard_state_.commit, ready.snapshot->index);
  }
  if (!ready.entries.empty()) {
    LogIndex first = ready.entries.front().index;
    // Replace whatever we hold from `first` on: a new leader may have
    // overwritten an uncommitted suffix. The entries are contiguous, so where
    // that starts is a subtraction away.
    if (!entries_.empty() && first <= entries_.back().index) {
      std::size_t keep = first > entries_.front().index ? first - entries_.front().index : 0;
      entries_.resize(keep);
    }
    entries_.insert(entries_.end(), ready.entries.begin(), ready.entries.end());
  }
  if (ready.hard_state) hard_state_ = *ready.hard_state;
}

void MemoryStorage::save_snapshot(const Snapshot& snapshot) {
  if (snapshot_ && snapshot_->index >= snapshot.index) return;
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.index <= snapshot.index; }),
                 entries_.end());
  // Entries after the snapshot that do not follow it are from another history.
  if (!entries_.empty() && entries_.front().index != snapshot.index.next()) entries_.clear();
  snapshot_ = snapshot;
  hard_state_.commit = std::max(hard_state_.commit, snapshot.index);
}

}  // namespace uh::raft
