// Chapter 08 — leader election: one leader, re-elected after failure, none without quorum.
#include <gtest/gtest.h>

#include "sim_test_support.h"

namespace uh::raft {
namespace {

using testing::cluster;
using testing::replay;
using testing::seed_or;

TEST(Election, InitialElectionPicksOneLeaderEveryoneFollows) {
  Simulation sim = cluster(3, seed_or(101));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  Term term = sim.node(*leader).raft().term();
  // With no failures the leader keeps its term: nothing disturbs it.
  sim.run(200);
  EXPECT_EQ(sim.leader(), leader) << replay(sim);
  EXPECT_EQ(sim.node(*leader).raft().term(), term) << replay(sim);
  for (NodeId id : sim.ids()) EXPECT_EQ(sim.node(id).raft().leader(), *leader) << replay(sim);
}

TEST(Election, ReElectionAfterTheLeaderCrashes) {
  Simulation sim = cluster(3, seed_or(102));
  auto first = sim.wait_for_leader();
  ASSERT_TRUE(first) << replay(sim);
  sim.crash(*first);
  auto second = sim.wait_for_leader();
  ASSERT_TRUE(second) << replay(sim);
  EXPECT_NE(*second, *first) << replay(sim);
  // The old leader comes back as a follower and does not disturb the new one.
  sim.restart(*first);
  sim.run(100);
  EXPECT_EQ(sim.leader(), second) << replay(sim);
  EXPECT_EQ(sim.node(*first).raft().leader(), *second) << replay(sim);
}

TEST(Election, NoLeaderWithoutAQuorum) {
  Simulation sim = cluster(3, seed_or(103));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  for (NodeId id : sim.ids()) {
    if (id != *leader) sim.crash(id);
  }
  sim.run(100);  // check-quorum: the lone leader steps down
  EXPECT_EQ(sim.leader(), std::nullopt) << replay(sim);
  sim.run(300);
  EXPECT_EQ(sim.leader(), std::nullopt) << replay(sim);
  for (NodeId id : sim.ids()) {
    if (id != *leader) sim.restart(id);
  }
  EXPECT_TRUE(sim.wait_for_leader()) << replay(sim);
}

TEST(Election, ManyElectionsUnderRandomPartitions) {
  Simulation sim = cluster(7, seed_or(104));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  std::mt19937_64 rng(sim.seed());
  for (int round = 0; round < 10; ++round) {
    // Cut three random nodes off; the other four must still elect a leader.
    std::vector<NodeId> ids = sim.ids();
    std::shuffle(ids.begin(), ids.end(), rng);
    sim.partition({{ids[0], ids[1], ids[2], ids[3]}, {ids[4], ids[5], ids[6]}});
    auto leader = sim.wait_for_leader();
    ASSERT_TRUE(leader) << "round " << round << "; " << replay(sim);
    EXPECT_TRUE(*leader == ids[0] || *leader == ids[1] || *leader == ids[2] || *leader == ids[3])
        << replay(sim);
    sim.heal();
    ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  }
}

TEST(Election, PreVoteStopsAPartitionedNodeFromDisruptingTheCluster) {
  Simulation sim = cluster(3, seed_or(105));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  Term term = sim.node(*leader).raft().term();
  NodeId loner = *leader == 1 ? 2 : 1;
  std::vector<NodeId> rest;
  for (NodeId id : sim.ids()) {
    if (id != loner) rest.push_back(id);
  }
  sim.partition({rest, {loner}});
  sim.run(500);  // the loner times out again and again, but only pre-votes
  EXPECT_EQ(sim.node(loner).raft().term(), term) << replay(sim);
  sim.heal();
  sim.run(100);
  EXPECT_EQ(sim.leader(), leader) << "the rejoining node deposed the leader; " << replay(sim);
  EXPECT_EQ(sim.node(*leader).raft().term(), term) << replay(sim);
}

TEST(Election, LeaderTransferHandsOverWithinATimeout) {
  Simulation sim = cluster(5, seed_or(106));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("before transfer", 5)) << replay(sim);
  NodeId target = *leader % 5 + 1;
  sim.node(*leader).transfer_leadership(target);
  sim.run(30);
  EXPECT_EQ(sim.leader(), target) << replay(sim);
  EXPECT_TRUE(sim.replicate("after transfer", 5)) << replay(sim);
}

}  // namespace
}  // namespace uh::raft
