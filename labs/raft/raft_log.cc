// Your workspace for chapter 08: write the code where the LAB markers are.
// Made from solutions/raft/raft_log.cc by ci/labgen.py; `./lab test 08` checks your work,
// `./lab hint 08` helps, `./lab reset 08` brings this skeleton back.
#include "raft/raft_log.h"

#include <algorithm>
#include <stdexcept>
#include "support/todo.h"

namespace uh::raft {

RaftLog::RaftLog(const std::optional<Snapshot>& snapshot, std::vector<Entry> entries,
                 LogIndex committed) {
  if (snapshot) {
    snapshot_index_ = snapshot->index;
    snapshot_term_ = snapshot->term;
  }
  entries_ = std::move(entries);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].index != snapshot_index_ + (i + 1)) {
      throw std::invalid_argument("RaftLog: persisted entries are not contiguous");
    }
  }
  committed_ = std::max(committed, snapshot_index_);
  if (committed_ > last_index()) throw std::invalid_argument("RaftLog: commit past the log's end");
  applied_ = snapshot_index_;
  stable_ = last_index();
}

std::optional<Term> RaftLog::term(LogIndex index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > last_index()) return std::nullopt;
  return at(index).term;
}

bool RaftLog::is_up_to_date(LogIndex index, Term term) const {
  // LAB(08.2) A log ending at (index, term) is at least as up to date as ours
  // if its last term is later, or equal with a log at least as long.
  throw uh::Todo("08.2",
                 "A log ending at (index, term) is at least as up to date as ours if its last "
                 "term is later, or equal with a log at least as long.");
  // END LAB
}

std::optional<LogIndex> RaftLog::maybe_append(LogIndex prev_index, Term prev_term,
                                              const std::vector<Entry>& entries) {
  // LAB(08.1) Refuse unless we hold (prev_index, prev_term); then append each
  // entry we lack, cutting our log at the first entry whose term differs.
  throw uh::Todo("08.1",
                 "Refuse unless we hold (prev_index, prev_term); then append each entry we lack, "
                 "cutting our log at the first entry whose term differs.");
  // END LAB
}

void RaftLog::append(std::vector<Entry> entries) {
  for (Entry& e : entries) entries_.push_back(std::move(e));
}

LogIndex RaftLog::find_conflict_by_term(LogIndex index, Term t) const {
  index = std::min(index, last_index());
  while (index > snapshot_index_) {
    if (at(index).term <= t) return index;
    index = index.prev();
  }
  return index;
}

std::vector<Entry> RaftLog::entries_from(LogIndex from, std::size_t max) const {
  std::vector<Entry> out;
  for (LogIndex i = from; i <= last_index() && out.size() < max; i = i.next()) out.push_back(at(i));
  return out;
}

void RaftLog::commit_to(LogIndex index) {
  if (index <= committed_) return;
  if (index > last_index()) throw std::logic_error("raft: commit past the end of the log");
  committed_ = index;
}

void RaftLog::applied_to(LogIndex index) {
  if (index > committed_) throw std::logic_error("raft: applied past commit");
  applied_ = std::max(applied_, index);
}

std::vector<Entry> RaftLog::next_committed_entries(std::size_t max) const {
  std::vector<Entry> out;
  for (LogIndex i = applied_.next(); i <= committed_ && out.size() < max; i = i.next()) {
    out.push_back(at(i));
  }
  return out;
}

std::vector<Entry> RaftLog::unstable_entries() const {
  return stable_ >= last_index()
             ? std::vector<Entry>{}
             : entries_from(std::max(stable_, snapshot_index_).next(), SIZE_MAX);
}

void RaftLog::stable_to(LogIndex index) { stable_ = std::max(stable_, index); }

void RaftLog::restore(const Snapshot& snapshot) {
  snapshot_index_ = snapshot.index;
  snapshot_term_ = snapshot.term;
  entries_.clear();
  committed_ = snapshot.index;
  applied_ = snapshot.index;
  stable_ = snapshot.index;
}

void RaftLog::compact(LogIndex index) {
  if (index <= snapshot_index_ || index > applied_) {
    throw std::logic_error("raft: compact outside (snapshot, applied]");
  }
  Term t = at(index).term;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(index - snapshot_index_));
  snapshot_index_ = index;
  snapshot_term_ = t;
}

}  // namespace uh::raft
