// Chapter 08 — the log on its own: appending, conflicts, the up-to-date rule.
#include "raft/raft_log.h"

#include <gtest/gtest.h>

namespace uh::raft {
namespace {

std::vector<Entry> entries(std::initializer_list<std::pair<int, int>> index_term) {
  std::vector<Entry> out;
  for (auto [i, t] : index_term) out.push_back({Term(t), LogIndex(i), EntryType::kNormal, "e"});
  return out;
}

RaftLog log_of(std::initializer_list<std::pair<int, int>> index_term) {
  return RaftLog(std::nullopt, entries(index_term), LogIndex());
}

TEST(RaftLog, AppendAfterAMatchingEntry) {
  RaftLog log = log_of({{1, 1}, {2, 1}});
  auto last = log.maybe_append(LogIndex(2), Term(1), entries({{3, 2}, {4, 2}}));
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, LogIndex(4));
  EXPECT_EQ(log.last_index(), LogIndex(4));
  EXPECT_EQ(log.last_term(), Term(2));
}

TEST(RaftLog, RefusesWhenThePreviousEntryDoesNotMatch) {
  RaftLog log = log_of({{1, 1}, {2, 1}});
  EXPECT_FALSE(log.maybe_append(LogIndex(2), Term(2), entries({{3, 2}})));  // wrong term
  EXPECT_FALSE(log.maybe_append(LogIndex(3), Term(1), entries({{4, 2}})));  // gap
  EXPECT_EQ(log.last_index(), LogIndex(2));
}

TEST(RaftLog, AConflictDropsTheRestOfTheLog) {
  RaftLog log = log_of({{1, 1}, {2, 1}, {3, 1}, {4, 1}});
  auto last = log.maybe_append(LogIndex(1), Term(1), entries({{2, 3}}));
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, LogIndex(2));
  EXPECT_EQ(log.last_index(), LogIndex(2));  // 3 and 4 followed the conflict: gone
  EXPECT_EQ(log.term(LogIndex(2)), Term(3));
}

TEST(RaftLog, EntriesAlreadyPresentAreNotTruncated) {
  // A delayed, shorter append must not cut off entries that arrived later.
  RaftLog log = log_of({{1, 1}, {2, 1}, {3, 1}});
  auto last = log.maybe_append(LogIndex(0), Term(0), entries({{1, 1}, {2, 1}}));
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, LogIndex(2));
  EXPECT_EQ(log.last_index(), LogIndex(3));
}

TEST(RaftLog, UpToDateComparesLastTermsThenLengths) {
  RaftLog log = log_of({{1, 1}, {2, 2}, {3, 2}});
  EXPECT_TRUE(log.is_up_to_date(LogIndex(1), Term(3)));   // later term, shorter log: wins
  EXPECT_TRUE(log.is_up_to_date(LogIndex(3), Term(2)));   // same term, same length
  EXPECT_TRUE(log.is_up_to_date(LogIndex(5), Term(2)));   // same term, longer
  EXPECT_FALSE(log.is_up_to_date(LogIndex(2), Term(2)));  // same term, shorter
  EXPECT_FALSE(log.is_up_to_date(LogIndex(9), Term(1)));  // earlier term, however long
}

TEST(RaftLog, FindConflictByTermSkipsAWholeTerm) {
  RaftLog log = log_of({{1, 1}, {2, 2}, {3, 2}, {4, 2}, {5, 3}});
  EXPECT_EQ(log.find_conflict_by_term(LogIndex(5), Term(2)), LogIndex(4));
  EXPECT_EQ(log.find_conflict_by_term(LogIndex(5), Term(1)), LogIndex(1));
  EXPECT_EQ(log.find_conflict_by_term(LogIndex(9), Term(3)), LogIndex(5));
}

TEST(RaftLog, CommitNeverGoesBack) {
  RaftLog log = log_of({{1, 1}, {2, 1}});
  log.commit_to(LogIndex(2));
  log.commit_to(LogIndex(1));
  EXPECT_EQ(log.committed(), LogIndex(2));
  EXPECT_THROW(log.commit_to(LogIndex(3)), std::logic_error);
}

TEST(RaftLog, CompactionKeepsTheTermOfTheLastCompactedEntry) {
  RaftLog log = log_of({{1, 1}, {2, 2}, {3, 2}});
  log.commit_to(LogIndex(3));
  log.applied_to(LogIndex(2));
  log.compact(LogIndex(2));
  EXPECT_EQ(log.first_index(), LogIndex(3));
  EXPECT_EQ(log.term(LogIndex(2)), Term(2));
  EXPECT_EQ(log.term(LogIndex(1)), std::nullopt);
  EXPECT_TRUE(log.maybe_append(LogIndex(2), Term(2), entries({{3, 2}, {4, 3}})));
  EXPECT_EQ(log.last_index(), LogIndex(4));
}

}  // namespace
}  // namespace uh::raft
