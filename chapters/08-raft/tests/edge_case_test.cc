// Chapter 08 — edge cases of one Raft node, driven message by message.
//
// Each test pins down one rule that an implementation can get subtly wrong
// while the cluster-level tests still pass: how far a follower may commit,
// how it answers an append it already knows to be old, when a vote restarts
// the election timer, how a probing leader treats a stale rejection, and how
// a streaming leader recovers appends the network lost.
#include <gtest/gtest.h>

#include "raft/raft.h"

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

Entry entry(std::uint64_t term, std::uint64_t index) {
  return {Term(term), LogIndex(index), EntryType::kNormal, ""};
}

// A log of one entry per term in `terms`, from index 1.
std::vector<Entry> log_of_terms(std::vector<std::uint64_t> terms) {
  std::vector<Entry> out;
  for (std::size_t i = 0; i < terms.size(); ++i) out.push_back(entry(terms[i], i + 1));
  return out;
}

bool campaigned(std::vector<Message> out) {
  return !of_type(out, MessageType::kPreVote).empty() || !of_type(out, MessageType::kVote).empty();
}

// ---------------------------------------------------------------- follower commit

// Guards against a follower adopting the leader's commit past the entries this
// append proved to match: its stale suffix from an old leader would be committed.
TEST(RaftEdgeFollowerCommit, StopsAtTheLastEntryTheAppendCarried) {
  // Node 2 holds 1..5 of term 1; entries 4 and 5 came from a leader of term 1
  // that never committed them. The leader of term 2 has 1..3 of term 1, then
  // its own 4 and 5, committed. Its append matches at 2 and carries only 3.
  PersistedState state;
  state.hard_state.term = Term(2);
  state.entries = log_of_terms({1, 1, 1, 1, 1});
  Raft r(config(2, {1, 2, 3}), state);
  Message append = msg(MessageType::kAppend, 1, 2, Term(2));
  append.index = LogIndex(2);
  append.log_term = Term(1);
  append.entries = {entry(1, 3)};
  append.commit = LogIndex(5);
  r.step(append);

  auto replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].reject);
  EXPECT_EQ(replies[0].index, LogIndex(3));
  EXPECT_EQ(r.log().committed(), LogIndex(3))
      << "the append only proved the logs agree up to 3; entries 4 and 5 here are not the "
         "leader's and must not be committed";
}

// ---------------------------------------------------------------- old appends

// Guards against checking a delayed append below our commit against a log that
// was compacted since: it is old news, not a mismatch to back up over.
TEST(RaftEdgeFollowerAppend, ADelayedAppendBelowTheSnapshotIsOldNews) {
  // Node 2 restarted from a snapshot at 5 (term 1): entries up to 5 are gone
  // from its log. An append the leader sent long ago, matching at 2, arrives.
  PersistedState state;
  state.hard_state = {Term(1), kNoNode, LogIndex(5)};
  state.snapshot = Snapshot{LogIndex(5), Term(1), {1, 2, 3}, "state at 5"};
  Raft r(config(2, {1, 2, 3}), state);
  Message late = msg(MessageType::kAppend, 1, 2, Term(1));
  late.index = LogIndex(2);
  late.log_term = Term(1);
  late.entries = {entry(1, 3), entry(1, 4)};
  late.commit = LogIndex(4);
  r.step(late);

  auto replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].reject)
      << "everything up to our commit (5) is agreed: the leader must not be sent backwards "
         "(reject_hint "
      << replies[0].reject_hint << ")";
  EXPECT_EQ(replies[0].index, LogIndex(5)) << "old news is answered with our commit index";
  EXPECT_EQ(r.log().last_index(), LogIndex(5));
  EXPECT_EQ(r.log().committed(), LogIndex(5));
}

// Guards against answering an append below our commit with only what it
// carried: the leader should learn at once that we hold everything committed.
TEST(RaftEdgeFollowerAppend, AnAppendBelowTheCommitIsAnsweredWithTheCommitIndex) {
  // Node 2 restarted with 1..5 of term 1, all committed. The leader (which
  // does not know that yet) probes at 1 with entry 2.
  PersistedState state;
  state.hard_state = {Term(1), kNoNode, LogIndex(5)};
  state.entries = log_of_terms({1, 1, 1, 1, 1});
  Raft r(config(2, {1, 2, 3}), state);
  Message probe = msg(MessageType::kAppend, 1, 2, Term(1));
  probe.index = LogIndex(1);
  probe.log_term = Term(1);
  probe.entries = {entry(1, 2)};
  probe.commit = LogIndex(2);
  r.step(probe);

  auto replies = r.take_messages();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_FALSE(replies[0].reject);
  EXPECT_EQ(replies[0].index, LogIndex(5))
      << "entries up to our commit index are known to match the leader's";
  EXPECT_EQ(r.log().last_index(), LogIndex(5));
}

// ---------------------------------------------------------------- election timer

// How many ticks a fresh node built from (c, state) waits before campaigning:
// its randomized election timeout. The timeout comes from a seeded generator,
// so a second node built the same way draws the same one.
int ticks_until_campaign(const Config& c, const PersistedState& state) {
  Raft probe(c, state);
  for (int t = 1; t <= 2 * c.election_tick; ++t) {
    probe.tick();
    if (campaigned(probe.take_messages())) return t;
  }
  ADD_FAILURE() << "no campaign within twice the election timeout";
  return 2 * c.election_tick;
}

// Guards against granting a vote without restarting the election timer: the
// voter would soon campaign and disrupt the candidate it just voted for.
TEST(RaftEdgeElection, GrantingAVoteRestartsTheElectionTimer) {
  // Node 1 is in term 1 with no leader and no vote; node 2 asks for its vote
  // in that same term (a new term would reset the timer on its own).
  Config c = config(1, {1, 2, 3});
  PersistedState state;
  state.hard_state.term = Term(1);
  const int timeout = ticks_until_campaign(c, state);
  ASSERT_GE(timeout, c.election_tick);

  Raft r(c, state);
  for (int t = 1; t < timeout; ++t) r.tick();  // one tick short of campaigning
  ASSERT_FALSE(campaigned(r.take_messages()));
  r.step(msg(MessageType::kVote, 2, 1, Term(1)));
  auto replies = of_type(r.take_messages(), MessageType::kVoteResponse);
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_FALSE(replies[0].reject);
  ASSERT_EQ(r.vote(), 2u);

  // No election timeout is shorter than election_tick: until then, silence.
  for (int t = 1; t < c.election_tick; ++t) {
    r.tick();
    ASSERT_FALSE(campaigned(r.take_messages()))
        << "campaigned " << t << " tick(s) after granting a vote: the vote must restart the "
        << "election timer";
  }
  EXPECT_EQ(r.role(), Role::kFollower);
  EXPECT_EQ(r.term(), Term(1));
}

// ---------------------------------------------------------------- probing

// Node 1 restarted in term 3 with log terms [1, 1, 1, 3, 3] and won term 4:
// its no-op is at 6 and it probes node 2 at 5. Node 2's log is [1, 1, 2, 2, 2]
// (stale entries of a term-2 leader from 3 on).
Raft leader_probing_node_2() {
  PersistedState state;
  state.hard_state.term = Term(3);
  state.entries = log_of_terms({1, 1, 1, 3, 3});
  Raft r(config(1, {1, 2, 3}), state);
  r.step(msg(MessageType::kTimeoutNow, 2, 1, Term(3)));
  r.step(msg(MessageType::kVoteResponse, 2, 1, Term(4)));
  EXPECT_EQ(r.role(), Role::kLeader);
  auto probes = of_type(r.take_messages(), MessageType::kAppend);
  EXPECT_EQ(probes.size(), 2u) << "one probe to each follower";
  EXPECT_EQ(r.progress().at(2).next, LogIndex(6));
  EXPECT_EQ(r.progress().at(2).state, Progress::State::kProbe);
  return r;
}

// What node 2 answers to a probe at `index`: no match there; its own log could
// match up to `hint`, which it holds with term `hint_term`.
Message rejection(std::uint64_t index, std::uint64_t hint, std::uint64_t hint_term) {
  Message no = msg(MessageType::kAppendResponse, 2, 1, Term(4));
  no.reject = true;
  no.index = LogIndex(index);
  no.reject_hint = LogIndex(hint);
  no.log_term = Term(hint_term);
  return no;
}

// Guards against acting twice on one rejection (the network duplicated it):
// the leader would send a second probe while the first is still in flight.
TEST(RaftEdgeProbe, ADuplicateRejectionSendsNoSecondProbe) {
  Raft r = leader_probing_node_2();
  Message no_at_5 = rejection(5, 5, 2);
  r.step(no_at_5);
  auto probes = of_type(r.take_messages(), MessageType::kAppend);
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].index, LogIndex(3)) << "fast backup: skip the leader's term-3 entries";
  ASSERT_EQ(r.progress().at(2).next, LogIndex(4));

  r.step(no_at_5);  // the same rejection, delivered again
  EXPECT_EQ(r.progress().at(2).next, LogIndex(4)) << "a duplicate rejection moved next";
  EXPECT_TRUE(r.take_messages().empty())
      << "the probe at 3 is still in flight: a duplicate rejection of 5 must not send another";
}

// Guards against acting on a rejection of an older probe: it would drag next
// back to an index the follower has already refused.
TEST(RaftEdgeProbe, ALateRejectionOfAnOlderProbeDoesNotMoveNext) {
  Raft r = leader_probing_node_2();
  Message no_at_5 = rejection(5, 5, 2);
  r.step(no_at_5);
  r.take_messages();
  ASSERT_EQ(r.progress().at(2).next, LogIndex(4));
  r.step(rejection(3, 2, 1));  // the probe at 3 is refused too
  auto probes = of_type(r.take_messages(), MessageType::kAppend);
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].index, LogIndex(2));
  ASSERT_EQ(r.progress().at(2).next, LogIndex(3));

  r.step(no_at_5);  // a late copy of the first rejection
  EXPECT_EQ(r.progress().at(2).next, LogIndex(3))
      << "a rejection of the probe at 5 says nothing about the probe at 2 now in flight";
  EXPECT_TRUE(r.take_messages().empty()) << "no append may answer a stale rejection";
}

// ---------------------------------------------------------------- lost appends

// Guards against a leader that streams entries, loses the message, and then
// waits for a new proposal before it notices: with no more writes, the
// follower would stay behind forever while heartbeats keep succeeding.
TEST(RaftEdgeReplicate, AHeartbeatAckFromABehindFollowerResendsLostEntries) {
  Raft r(config(1, {1, 2, 3}), {});
  r.step(msg(MessageType::kTimeoutNow, 2, 1, Term()));
  r.step(msg(MessageType::kVoteResponse, 2, 1, Term(1)));
  r.take_messages();  // the probes carrying the no-op at 1
  Message ack = msg(MessageType::kAppendResponse, 2, 1, Term(1));
  ack.index = LogIndex(1);
  r.step(ack);  // node 2 has the no-op: the leader streams to it from now on
  ASSERT_EQ(r.progress().at(2).state, Progress::State::kReplicate);
  r.take_messages();
  for (int i = 0; i < 3; ++i) r.propose("x");
  r.take_messages();  // entries 2..4 to node 2: this message is lost
  ASSERT_EQ(r.progress().at(2).next, LogIndex(5)) << "sent optimistically";

  // Heartbeat rounds pass; node 2 answers each, still holding only index 1.
  std::vector<Message> resent;
  for (int tick = 0; tick < 10 && resent.empty(); ++tick) {
    r.tick();  // heartbeat_tick is 1: a round per tick
    for (const Message& m : of_type(r.take_messages(), MessageType::kAppend)) {
      if (m.to == 2 && !m.entries.empty()) resent.push_back(m);
    }
    r.step(ack);
  }
  ASSERT_EQ(resent.size(), 1u) << "ten heartbeat rounds without an ack, and the entries never "
                                  "went again: node 2 stays behind until the next proposal";
  EXPECT_EQ(resent[0].index, LogIndex(1));
  EXPECT_EQ(resent[0].entries.size(), 3u) << "the lost entries 2..4 are sent again";
  EXPECT_EQ(r.role(), Role::kLeader);
}

}  // namespace
}  // namespace uh::raft
