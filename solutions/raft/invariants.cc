#include "raft/invariants.h"

#include <algorithm>
#include <sstream>
#include <string>

namespace uh::raft {

namespace {

[[noreturn]] void violated(const std::string& what) { throw InvariantViolation(what); }

std::string describe(const Entry& e) {
  std::ostringstream out;
  out << "(index " << e.index << ", term " << e.term << ", " << e.data.size() << " bytes)";
  return out.str();
}

}  // namespace

void InvariantChecker::observe(const Raft& node) {
  NodeId id = node.id();
  std::ostringstream who;
  who << "node " << id << ": ";
  if (auto it = last_term_.find(id); it != last_term_.end() && node.term() < it->second) {
    std::ostringstream m;
    m << who.str() << "term went back from " << it->second << " to " << node.term();
    violated(m.str());
  }
  last_term_[id] = node.term();
  const RaftLog& log = node.log();
  if (auto it = last_commit_.find(id); it != last_commit_.end() && log.committed() < it->second) {
    std::ostringstream m;
    m << who.str() << "commit went back from " << it->second << " to " << log.committed();
    violated(m.str());
  }
  if (log.committed() > log.last_index()) violated(who.str() + "commit past the end of its log");
  LogIndex from = last_commit_.count(id) ? last_commit_[id].next() : log.first_index();
  from = std::max(from, log.first_index());
  for (LogIndex i = from; i <= log.committed(); i = i.next()) {
    record_committed(id, log.entry(i));
  }
  last_commit_[id] = log.committed();
  if (node.role() == Role::kLeader) {
    auto [it, fresh] = leader_of_term_.emplace(node.term(), id);
    if (!fresh && it->second != id) {
      std::ostringstream m;
      m << "two leaders in term " << node.term() << ": nodes " << it->second << " and " << id;
      violated(m.str());
    }
  }
}

void InvariantChecker::restarted(NodeId node) {
  last_commit_.erase(node);
  log_checked_to_.erase(node);  // its log comes back from storage: check all of it once
}

void InvariantChecker::record_committed(NodeId node, const Entry& entry) {
  auto [it, fresh] = committed_.emplace(entry.index, entry);
  if (!fresh && it->second != entry) {
    std::ostringstream m;
    m << "node " << node << " committed " << describe(entry) << " where " << describe(it->second)
      << " was committed before: a committed entry changed";
    violated(m.str());
  }
}

void InvariantChecker::applied(NodeId node, const Entry& entry) {
  auto it = committed_.find(entry.index);
  if (it == committed_.end()) {
    // Applied before any observed commit (e.g. right after a snapshot): record it.
    record_committed(node, entry);
    return;
  }
  if (it->second != entry) {
    std::ostringstream m;
    m << "node " << node << " applied " << describe(entry) << " but " << describe(it->second)
      << " is the committed entry there";
    violated(m.str());
  }
}

void InvariantChecker::check_log(const Raft& node) {
  const RaftLog& log = node.log();
  // Entries up to the commit index seen last time were checked then, and a
  // committed entry never changes (check_log_matching() confirms that in
  // full). Everything after it may be new, or rewritten by a new leader.
  LogIndex& checked = log_checked_to_[node.id()];
  LogIndex from = std::max(std::min(checked, log.committed()).next(), log.first_index());
  for (LogIndex i = from; i <= log.last_index(); i = i.next()) {
    const Entry& e = log.entry(i);
    auto broken = [&](const std::string& why) {
      std::ostringstream m;
      m << "log matching broken: node " << node.id() << " holds " << describe(e) << why;
      violated(m.str());
    };
    if (e.index != i) broken(" at index " + std::to_string(i.value()));
    Term previous = *log.term(i.prev());
    auto known = known_.find({i, e.term});
    if (known == known_.end()) {
      known_.emplace(std::pair{i, e.term}, KnownEntry{e, previous});
      continue;
    }
    if (known->second.entry != e) {
      broken(" where another log holds " + describe(known->second.entry));
    }
    if (known->second.previous_term != previous) {
      broken(" after an entry of term " + std::to_string(previous.value()) +
             " where another log holds it after term " +
             std::to_string(known->second.previous_term.value()));
    }
  }
  checked = log.committed();
}

void InvariantChecker::check_log_matching(const std::vector<const Raft*>& nodes) const {
  for (std::size_t a = 0; a < nodes.size(); ++a) {
    for (std::size_t b = a + 1; b < nodes.size(); ++b) {
      const RaftLog& x = nodes[a]->log();
      const RaftLog& y = nodes[b]->log();
      LogIndex first = std::max(x.first_index(), y.first_index());
      LogIndex last = std::min(x.last_index(), y.last_index());
      // Find the highest index where both hold the same term...
      LogIndex top;
      for (LogIndex i = last; i >= first && i > LogIndex(); i = i.prev()) {
        if (x.term(i) == y.term(i)) {
          top = i;
          break;
        }
      }
      // ...then every entry up to it must be identical.
      for (LogIndex i = first; i <= top && top > LogIndex(); i = i.next()) {
        if (x.entry(i) != y.entry(i)) {
          std::ostringstream m;
          m << "log matching broken between nodes " << nodes[a]->id() << " and " << nodes[b]->id()
            << ": they agree on index " << top << " but differ at " << i;
          violated(m.str());
        }
      }
    }
  }
}

}  // namespace uh::raft
