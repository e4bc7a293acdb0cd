// Chapter 08 — snapshots and InstallSnapshot, membership changes, read index.
#include <gtest/gtest.h>

#include "sim_test_support.h"

namespace uh::raft {
namespace {

using testing::cluster;
using testing::replay;
using testing::seed_or;

TEST(Snapshots, CompactionKeepsTheClusterWorking) {
  Simulation sim = cluster(3, seed_or(401));
  ASSERT_TRUE(sim.wait_for_leader());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(sim.replicate("s" + std::to_string(i), 3));
  sim.compact_all();
  for (NodeId id : sim.ids()) EXPECT_GT(sim.node(id).raft().log().first_index(), LogIndex(1));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(sim.replicate("t" + std::to_string(i), 3));
  sim.check_logs();
}

TEST(Snapshots, ALaggingFollowerIsSentASnapshot) {
  Simulation sim = cluster(3, seed_or(402));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader);
  NodeId lagger = *leader % 3 + 1;
  sim.crash(lagger);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(sim.replicate("m" + std::to_string(i), 2));
  sim.compact_all();  // the entries it missed are gone from every live log
  sim.restart(lagger);
  ASSERT_TRUE(sim.replicate("after", 3, 2000)) << replay(sim);
  const RaftLog& log = sim.node(lagger).raft().log();
  EXPECT_GT(log.snapshot_index(), LogIndex(50)) << "it should have installed the snapshot";
  EXPECT_EQ(log.committed(), sim.node(*leader).raft().log().committed());
}

TEST(Snapshots, InstallOverAnUnreliableNetworkAndCrashes) {
  Simulation sim = cluster(5, seed_or(403));
  sim.set_faults({.drop = 0.1, .duplicate = 0.05, .min_delay = 1, .max_delay = 5});
  std::mt19937_64 rng(sim.seed());
  for (int round = 0; round < 20; ++round) {
    NodeId victim = 1 + rng() % 5;
    sim.crash(victim);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(sim.replicate("r" + std::to_string(round) + "." + std::to_string(i), 1, 3000))
          << replay(sim);
    }
    sim.compact_all();
    sim.restart(victim);
  }
  sim.set_faults({});
  ASSERT_TRUE(sim.replicate("done", 5, 3000)) << replay(sim);
  sim.check_logs();
}

TEST(Snapshots, EveryoneCrashesAfterCompaction) {
  Simulation sim = cluster(3, seed_or(404));
  ASSERT_TRUE(sim.wait_for_leader());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(sim.replicate("a" + std::to_string(i), 3));
  sim.compact_all();
  for (NodeId id : sim.ids()) sim.crash(id);
  for (NodeId id : sim.ids()) sim.restart(id);
  ASSERT_TRUE(sim.replicate("b", 3)) << replay(sim);
  for (NodeId id : sim.ids()) {
    EXPECT_EQ(sim.node(id).raft().log().first_index(), sim.node(1).raft().log().first_index())
        << "restart from the snapshot, not from an empty log";
  }
}

TEST(Membership, AddingANodeOneAtATime) {
  Simulation sim({1, 2, 3, 4}, seed_or(405), {}, {1, 2, 3});
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader);
  ASSERT_TRUE(sim.replicate("before", 3));
  EXPECT_EQ(sim.node(4).raft().role(), Role::kFollower);
  auto index = sim.node(*leader).propose_conf_change({ConfChange::Kind::kAddNode, 4});
  ASSERT_TRUE(index);
  // A second change is refused until the first is applied.
  EXPECT_FALSE(sim.node(*leader).propose_conf_change({ConfChange::Kind::kRemoveNode, 3}));
  ASSERT_TRUE(sim.replicate("after", 4, 2000)) << replay(sim);
  for (NodeId id : sim.ids()) {
    EXPECT_EQ(sim.node(id).raft().voters(), (Voters{1, 2, 3, 4})) << "node " << id;
  }
}

TEST(Membership, RemovingTheLeaderHandsOver) {
  Simulation sim = cluster(3, seed_or(406));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader);
  ASSERT_TRUE(sim.node(*leader).propose_conf_change({ConfChange::Kind::kRemoveNode, *leader}));
  sim.run(50);
  auto next = sim.wait_for_leader();
  ASSERT_TRUE(next) << replay(sim);
  EXPECT_NE(*next, *leader);
  EXPECT_EQ(sim.node(*next).raft().voters().size(), 2u);
  ASSERT_TRUE(sim.replicate("two left", 2)) << replay(sim);
}

TEST(ReadIndex, LeaderAndFollowerGetALinearizableReadPoint) {
  Simulation sim = cluster(3, seed_or(407));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader);
  auto written = sim.replicate("w", 3);
  ASSERT_TRUE(written);
  sim.node(*leader).read_index("read-1");
  NodeId follower = *leader % 3 + 1;
  sim.node(follower).read_index("read-2");
  sim.run(10);
  ASSERT_EQ(sim.read_states(*leader).size(), 1u) << replay(sim);
  EXPECT_EQ(sim.read_states(*leader)[0].context, "read-1");
  EXPECT_GE(sim.read_states(*leader)[0].index, *written);
  ASSERT_EQ(sim.read_states(follower).size(), 1u) << replay(sim);
  EXPECT_EQ(sim.read_states(follower)[0].context, "read-2");
  EXPECT_GE(sim.read_states(follower)[0].index, *written);
}

TEST(ReadIndex, ACutOffLeaderGivesNoReadPoint) {
  // A leader partitioned away cannot confirm it still leads: no read, since a
  // newer leader elsewhere may already have newer writes.
  Simulation sim = cluster(3, seed_or(408));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader);
  ASSERT_TRUE(sim.replicate("w", 3));
  std::vector<NodeId> rest;
  for (NodeId id : sim.ids()) {
    if (id != *leader) rest.push_back(id);
  }
  sim.partition({{*leader}, rest});
  sim.node(*leader).read_index("stale?");
  sim.run(50);
  EXPECT_TRUE(sim.read_states(*leader).empty()) << replay(sim);
}

}  // namespace
}  // namespace uh::raft
