// Chapter 08 — the invariant checker catches what it claims to, at the step it happens.
#include "raft/invariants.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim_test_support.h"

namespace uh::raft {
namespace {

using testing::cluster;
using testing::replay;
using testing::seed_or;

Entry entry(std::uint64_t term, std::uint64_t index, std::string data) {
  return {Term(term), LogIndex(index), EntryType::kNormal, std::move(data)};
}

// Node `id` of {1, 2, 3}, restored with `entries` as its log and nothing committed.
Raft node_with(NodeId id, std::vector<Entry> entries) {
  Config config;
  config.id = id;
  config.voters = {1, 2, 3};
  PersistedState state;
  state.hard_state.term = entries.back().term;
  state.entries = std::move(entries);
  return Raft(config, state);
}

TEST(InvariantChecker, LogsThatAgreeWhereTheyOverlapPass) {
  Raft a = node_with(1, {entry(1, 1, "a"), entry(1, 2, "b"), entry(2, 3, "c")});
  Raft b = node_with(2, {entry(1, 1, "a"), entry(1, 2, "b")});
  Raft c = node_with(3, {entry(1, 1, "a"), entry(1, 2, "b"), entry(3, 3, "d")});  // another term
  InvariantChecker checker;
  EXPECT_NO_THROW(checker.check_log(a));
  EXPECT_NO_THROW(checker.check_log(b));
  EXPECT_NO_THROW(checker.check_log(c));
  EXPECT_NO_THROW(checker.check_log_matching({&a, &b, &c}));
}

TEST(InvariantChecker, CatchesTwoEntriesWithTheSameIndexAndTerm) {
  Raft a = node_with(1, {entry(1, 1, "a"), entry(1, 2, "b")});
  Raft b = node_with(2, {entry(1, 1, "a"), entry(1, 2, "not b")});
  InvariantChecker checker;
  checker.check_log(a);
  EXPECT_THROW(checker.check_log(b), InvariantViolation);
  EXPECT_THROW(checker.check_log_matching({&a, &b}), InvariantViolation);
}

TEST(InvariantChecker, CatchesTheSameEntryAfterADifferentHistory) {
  // Both logs hold (index 3, term 2, "c"), but one reached it through term 1
  // at index 2 and the other through term 2: Log Matching says that cannot be.
  Raft a = node_with(1, {entry(1, 1, "a"), entry(1, 2, "b"), entry(2, 3, "c")});
  Raft b = node_with(2, {entry(1, 1, "a"), entry(2, 2, "x"), entry(2, 3, "c")});
  InvariantChecker checker;
  checker.check_log(a);
  try {
    checker.check_log(b);
    FAIL() << "a log that reached (3, 2) through another term passed";
  } catch (const InvariantViolation& e) {
    EXPECT_NE(std::string(e.what()).find("after an entry of term 2"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(checker.check_log_matching({&a, &b}), InvariantViolation);
}

TEST(InvariantChecker, AForgedEntryStopsTheNextStepAndNamesTheSeed) {
  // A forged append, as a lying node would send it, gives a follower its own
  // entry at an index and term the leader has already used. The very next
  // tick must stop with the violation, and the message must say how to
  // replay the run.
  Simulation sim = cluster(3, seed_or(601));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("first", 3)) << replay(sim);
  auto index = sim.propose(*leader, "honest");
  ASSERT_TRUE(index) << replay(sim);
  const Raft& l = sim.node(*leader).raft();
  NodeId follower = *leader % 3 + 1;
  Message forged;
  forged.type = MessageType::kAppend;
  forged.from = *leader;
  forged.to = follower;
  forged.term = l.term();
  forged.index = index->prev();
  forged.log_term = *l.log().term(index->prev());
  forged.entries = {{l.term(), *index, EntryType::kNormal, "forged!"}};
  forged.commit = sim.node(follower).raft().log().committed();
  sim.node(follower).step(forged);
  try {
    sim.run(1);
    FAIL() << "the forged entry went unnoticed; " << replay(sim);
  } catch (const InvariantViolation& e) {
    std::string what = e.what();
    // The step's own check names the node and the entry it just took.
    EXPECT_NE(what.find("log matching broken: node " + std::to_string(follower) + " holds"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("UH_RAFT_SEED=" + std::to_string(sim.seed())), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace uh::raft
