// Chapter 08 — one Raft node driven message by message, no network at all.
#include "raft/raft.h"

#include <gtest/gtest.h>

namespace uh::raft {
namespace {

Config config(NodeId id, Voters voters) {
  Config c;
  c.id = id;
  c.voters = std::move(voters);
  return c;
}

Message msg(MessageType type, NodeId from, NodeId to, Term term) {
  Message m;
  m.type = type;
  m.from = from;
  m.to = to;
  m.term = term;
  return m;
}

std::vector<Message> of_type(std::vector<Message> all, MessageType type) {
  std::erase_if(all, [&](const Message& m) { return m.type != type; });
  return all;
}

// Node 1 of {1, 2, 3} made leader of term 1 by hand: TimeoutNow starts an
// election without waiting for a timeout, then both votes arrive.
Raft leader_of_three() {
  Raft r(config(1, {1, 2, 3}), {});
  r.step(msg(MessageType::kTimeoutNow, 2, 1, Term()));
  r.step(msg(MessageType::kVoteResponse, 2, 1, Term(1)));
  r.take_messages();
  return r;
}

TEST(RaftVoting, GrantsOneVotePerTerm) {
  Raft r(config(1, {1, 2, 3}), {});
  Message ask = msg(MessageType::kVote, 2, 1, Term(1));
  r.step(ask);
  auto replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].reject);
  EXPECT_EQ(r.vote(), 2u);
  Message other = msg(MessageType::kVote, 3, 1, Term(1));
  r.step(other);
  replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].reject) << "voted twice in one term";
  r.step(ask);  // the same candidate asking again gets the same answer
  EXPECT_FALSE(r.take_messages()[0].reject);
}

TEST(RaftVoting, RefusesACandidateWithAStalerLog) {
  PersistedState state;
  state.hard_state.term = Term(2);
  state.entries = {{Term(1), LogIndex(1), EntryType::kNormal, ""},
                   {Term(2), LogIndex(2), EntryType::kNormal, ""}};
  Raft r(config(1, {1, 2, 3}), state);
  Message ask = msg(MessageType::kVote, 2, 1, Term(3));
  ask.index = LogIndex(5);
  ask.log_term = Term(1);  // longer, but its last entry is older
  r.step(ask);
  auto replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].reject);
  EXPECT_EQ(r.term(), Term(3)) << "a higher term is adopted even when the vote is refused";
  EXPECT_EQ(r.vote(), kNoNode);
}

TEST(RaftVoting, PreVoteChangesNoTerm) {
  Raft r(config(1, {1, 2, 3}), {});
  Message ask = msg(MessageType::kPreVote, 2, 1, Term(1));
  r.step(ask);
  auto replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].reject);
  EXPECT_EQ(r.term(), Term(0));
  EXPECT_EQ(r.vote(), kNoNode);
}

TEST(RaftCommit, ASingleNodeCommitsItsOwnEntries) {
  Raft r(config(1, {1}), {});
  r.step(msg(MessageType::kTimeoutNow, 1, 1, Term()));
  ASSERT_EQ(r.role(), Role::kLeader);
  EXPECT_EQ(r.log().committed(), LogIndex(1));  // its no-op
  auto index = r.propose("a");
  ASSERT_TRUE(index);
  EXPECT_EQ(r.log().committed(), *index);
}

TEST(RaftCommit, AMajorityOfMatchesCommits) {
  Raft r = leader_of_three();
  ASSERT_EQ(r.role(), Role::kLeader);
  auto index = r.propose("x");
  ASSERT_TRUE(index);
  EXPECT_LT(r.log().committed(), *index);
  Message ack = msg(MessageType::kAppendResponse, 2, 1, Term(1));
  ack.index = *index;
  r.step(ack);
  EXPECT_EQ(r.log().committed(), *index) << "leader + node 2 are a majority of 3";
}

TEST(RaftCommit, OldTermEntriesAreNotCommittedByCounting) {
  // Node 1 restarts in term 2 with an entry of term 1 that nobody else has,
  // becomes leader of term 3. A majority acking only the old entry must not
  // commit it (Figure 8); acking the new no-op commits both.
  PersistedState state;
  state.hard_state.term = Term(2);
  state.entries = {{Term(1), LogIndex(1), EntryType::kNormal, "old"}};
  Raft r(config(1, {1, 2, 3}), state);
  r.step(msg(MessageType::kTimeoutNow, 2, 1, Term(2)));
  r.step(msg(MessageType::kVoteResponse, 2, 1, Term(3)));
  ASSERT_EQ(r.role(), Role::kLeader);
  Message ack_old = msg(MessageType::kAppendResponse, 2, 1, Term(3));
  ack_old.index = LogIndex(1);
  r.step(ack_old);
  EXPECT_EQ(r.log().committed(), LogIndex(0));
  Message ack_new = msg(MessageType::kAppendResponse, 2, 1, Term(3));
  ack_new.index = LogIndex(2);
  r.step(ack_new);
  EXPECT_EQ(r.log().committed(), LogIndex(2));
}

TEST(RaftReplication, ARejectionBacksUpByTheFollowersHint) {
  // The leader has 1..6; the follower says it can only match up to index 2,
  // which it holds with term 1: the next append starts right after that.
  PersistedState state;
  state.hard_state.term = Term(3);
  for (int i = 1; i <= 5; ++i) {
    state.entries.push_back({Term(i <= 2 ? 1 : 3), LogIndex(i), EntryType::kNormal, ""});
  }
  Raft r(config(1, {1, 2, 3}), state);
  r.step(msg(MessageType::kTimeoutNow, 2, 1, Term(3)));
  r.step(msg(MessageType::kVoteResponse, 2, 1, Term(4)));
  ASSERT_EQ(r.role(), Role::kLeader);
  r.take_messages();
  Message no = msg(MessageType::kAppendResponse, 2, 1, Term(4));
  no.reject = true;
  no.index = LogIndex(5);
  no.reject_hint = LogIndex(2);
  no.log_term = Term(1);
  r.step(no);
  auto appends = of_type(r.take_messages(), MessageType::kAppend);
  ASSERT_EQ(appends.size(), 1u);
  EXPECT_EQ(appends[0].index, LogIndex(2)) << "should resend from just after index 2";
  EXPECT_EQ(appends[0].log_term, Term(1));
}

TEST(RaftElection, TicksStartAnElectionWithinTwoTimeouts) {
  Config c = config(1, {1, 2, 3});
  c.pre_vote = false;
  Raft r(c, {});
  for (int t = 0; t < 2 * c.election_tick && r.role() == Role::kFollower; ++t) r.tick();
  EXPECT_EQ(r.role(), Role::kCandidate);
  EXPECT_EQ(r.term(), Term(1));
  EXPECT_EQ(of_type(r.take_messages(), MessageType::kVote).size(), 2u);
}

TEST(RaftElection, ALeaderSendsHeartbeatsEveryHeartbeatTick) {
  Raft r = leader_of_three();
  r.tick();
  auto beats = of_type(r.take_messages(), MessageType::kAppend);
  EXPECT_EQ(beats.size(), 2u);
}

}  // namespace
}  // namespace uh::raft

namespace uh::raft {
namespace {

TEST(RaftFollower, AcceptsAnAppendAndLearnsTheCommit) {
  Raft r(Config{.id = 2, .voters = {1, 2, 3}}, {});
  Message append;
  append.type = MessageType::kAppend;
  append.from = 1;
  append.to = 2;
  append.term = Term(1);
  append.entries = {{Term(1), LogIndex(1), EntryType::kNormal, "a"},
                    {Term(1), LogIndex(2), EntryType::kNormal, "b"}};
  append.commit = LogIndex(1);
  r.step(append);
  auto replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].reject);
  EXPECT_EQ(replies[0].index, LogIndex(2));
  EXPECT_EQ(r.log().committed(), LogIndex(1));
  EXPECT_EQ(r.leader(), 1u);
}

TEST(RaftFollower, RefusesAGapWithAHint) {
  Raft r(Config{.id = 2, .voters = {1, 2, 3}}, {});
  Message append;
  append.type = MessageType::kAppend;
  append.from = 1;
  append.to = 2;
  append.term = Term(2);
  append.index = LogIndex(7);
  append.log_term = Term(2);
  r.step(append);
  auto replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].reject);
  EXPECT_EQ(replies[0].reject_hint, LogIndex(0)) << "an empty log can only match at 0";
}

}  // namespace
}  // namespace uh::raft
