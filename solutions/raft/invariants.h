// raft/invariants.h — Raft's safety properties, checked while a cluster runs.
//
// Owns: what it has seen so far: each node's last term and commit, the leader
// of every term, every committed entry, and every (index, term) any log has
// held. observe() and check_log() are called after every step of every node
// in the tests; the first violation throws, naming the property, the node
// and the values, so a seeded run that breaks Raft stops at the exact moment
// it does. Not thread-safe.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "raft/raft.h"

namespace uh::raft {

class InvariantViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class InvariantChecker {
 public:
  /// Checks one node after it stepped: terms and commits never decrease, one
  /// leader per term, committed entries never change (Leader Completeness and
  /// State Machine Safety as the tests can see them).
  void observe(const Raft& node);

  /// The node crashed and restarted: its in-memory marks start again from
  /// what it persisted (terms must still not decrease).
  void restarted(NodeId node);

  /// Checks an entry a node applied: it must be the committed entry at its index.
  void applied(NodeId node, const Entry& entry);

  /// Log Matching (section 5.3), after every step of `node`: every entry in
  /// its log that may have changed since the last call (all of them after the
  /// commit index it had then) must be the only entry ever seen with its index
  /// and term, and must follow the same term at the index before. Then two
  /// logs holding the same (index, term) hold the same entry there, and the
  /// same term one index down, and so on: they are identical up to it.
  void check_log(const Raft& node);

  /// Log Matching across nodes, checked in full: if two logs hold an entry
  /// with the same index and term, they are identical up to it.
  void check_log_matching(const std::vector<const Raft*>& nodes) const;

  /// Entries known committed, by index (1-based; index 0 unused).
  const std::map<LogIndex, Entry>& committed() const { return committed_; }

 private:
  void record_committed(NodeId node, const Entry& entry);

  // An entry as first seen in some log, with the term of the entry before it.
  struct KnownEntry {
    Entry entry;
    Term previous_term;
  };

  std::map<NodeId, Term> last_term_;
  std::map<NodeId, LogIndex> last_commit_;
  std::map<Term, NodeId> leader_of_term_;
  std::map<LogIndex, Entry> committed_;
  std::map<std::pair<LogIndex, Term>, KnownEntry> known_;
  std::map<NodeId, LogIndex> log_checked_to_;  // commit index at the last check_log()
};

}  // namespace uh::raft
