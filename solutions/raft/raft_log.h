// raft/raft_log.h — one node's copy of the replicated log.
//
// Owns: the entries after the last snapshot, in memory, and three marks:
//   snapshot_index  <=  applied  <=  committed  <=  last_index
//   stable: entries up to here have been handed out to be persisted.
// Entries at or below `committed` never change (the Log Matching and Leader
// Completeness properties guarantee it; the invariant checker verifies it).
// Not thread-safe: owned by one Raft.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "raft/message.h"

namespace uh::raft {

class RaftLog {
 public:
  RaftLog() = default;

  /// Restores a log from persisted state: an optional snapshot, then entries
  /// that follow it. REQUIRES: entries are contiguous after the snapshot.
  RaftLog(const std::optional<Snapshot>& snapshot, std::vector<Entry> entries, LogIndex committed);

  LogIndex first_index() const { return snapshot_index_.next(); }
  LogIndex last_index() const { return snapshot_index_ + entries_.size(); }
  Term last_term() const { return *term(last_index()); }
  LogIndex committed() const { return committed_; }
  LogIndex applied() const { return applied_; }
  LogIndex snapshot_index() const { return snapshot_index_; }

  /// The term of entry `index`; for the snapshot's index, the snapshot's term;
  /// nothing when the entry is compacted away or not there yet.
  std::optional<Term> term(LogIndex index) const;
  bool match_term(LogIndex index, Term term) const { return this->term(index) == term; }

  /// Whether a log ending at (last_term, last_index) is at least as up to
  /// date as this one (Raft section 5.4.1): the later last term wins; on equal
  /// terms, the longer log.
  bool is_up_to_date(LogIndex last_index, Term last_term) const;

  /// The follower side of AppendEntries: if this log has (prev_index,
  /// prev_term), append `entries` after it, dropping any conflicting suffix,
  /// and return the index of the last new entry. Nothing if the check fails.
  /// REQUIRES: a conflict never reaches at or below `committed`.
  std::optional<LogIndex> maybe_append(LogIndex prev_index, Term prev_term,
                                       const std::vector<Entry>& entries);

  /// Appends entries at the end (the leader's own proposals).
  void append(std::vector<Entry> entries);

  /// The last index <= `index` whose term is <= `term`: where a log that
  /// disagrees could match ours (the fast log backup of etcd/raft).
  LogIndex find_conflict_by_term(LogIndex index, Term term) const;

  /// Entry `index`, without a copy. REQUIRES: first_index() <= index <= last_index().
  const Entry& entry(LogIndex index) const { return at(index); }

  /// Entries [from, last_index], at most `max` of them. REQUIRES: from >= first_index().
  std::vector<Entry> entries_from(LogIndex from, std::size_t max) const;

  /// Raises `committed` (never lowers it). REQUIRES: index <= last_index().
  void commit_to(LogIndex index);
  void applied_to(LogIndex index);

  /// Entries committed but not applied yet: (applied, committed], at most `max`.
  std::vector<Entry> next_committed_entries(std::size_t max) const;

  /// Entries not yet handed out to be persisted, and marking them persisted.
  std::vector<Entry> unstable_entries() const;
  void stable_to(LogIndex index);
  LogIndex stable() const { return stable_; }

  /// Replaces the whole log by a snapshot (a follower catching up).
  void restore(const Snapshot& snapshot);
  /// Drops entries up to `index` (they are in a snapshot now).
  /// REQUIRES: snapshot_index() < index <= applied().
  void compact(LogIndex index);

 private:
  const Entry& at(LogIndex index) const { return entries_[index - snapshot_index_ - 1]; }

  LogIndex snapshot_index_;
  Term snapshot_term_;
  std::vector<Entry> entries_;  // entries_[0] has index snapshot_index_ + 1
  LogIndex committed_;
  LogIndex applied_;
  LogIndex stable_;
};

}  // namespace uh::raft
