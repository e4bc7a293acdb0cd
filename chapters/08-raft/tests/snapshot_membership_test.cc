// Chapter 08 — snapshots and InstallSnapshot, membership changes, read index.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "sim_test_support.h"

namespace uh::raft {
namespace {

using testing::cluster;
using testing::commands;
using testing::replay;
using testing::seed_or;

TEST(Snapshots, CompactionKeepsTheClusterWorking) {
  Simulation sim = cluster(3, seed_or(401));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(sim.replicate("s" + std::to_string(i), 3)) << replay(sim);
  }
  sim.compact_all();
  for (NodeId id : sim.ids()) {
    EXPECT_GT(sim.node(id).raft().log().first_index(), LogIndex(1)) << replay(sim);
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sim.replicate("t" + std::to_string(i), 3)) << replay(sim);
  }
  sim.check_logs();
}

TEST(Snapshots, ALaggingFollowerIsSentASnapshot) {
  Simulation sim = cluster(3, seed_or(402));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  NodeId lagger = *leader % 3 + 1;
  sim.crash(lagger);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(sim.replicate("m" + std::to_string(i), 2)) << replay(sim);
  }
  sim.compact_all();  // the entries it missed are gone from every live log
  sim.restart(lagger);
  ASSERT_TRUE(sim.replicate("after", 3, 2000)) << replay(sim);
  const RaftLog& log = sim.node(lagger).raft().log();
  EXPECT_GT(log.snapshot_index(), LogIndex(50))
      << "it should have installed the snapshot; " << replay(sim);
  EXPECT_EQ(log.committed(), sim.node(*leader).raft().log().committed()) << replay(sim);
}

// The highest snapshot index among the live nodes other than `except`.
LogIndex newest_snapshot(Simulation& sim, NodeId except) {
  LogIndex newest;
  for (NodeId id : sim.ids()) {
    if (id != except && sim.is_up(id)) {
      newest = std::max(newest, sim.node(id).raft().log().snapshot_index());
    }
  }
  return newest;
}

TEST(Snapshots, InstallOverAnUnreliableNetwork) {
  // Each round one node is cut off while the others commit and compact past
  // everything it holds; when it rejoins, over a network that drops,
  // duplicates and reorders messages, only a snapshot can bring it back.
  Simulation sim = cluster(5, seed_or(403));
  sim.set_faults({.drop = 0.1, .duplicate = 0.05, .min_delay = 1, .max_delay = 5});
  std::mt19937_64 rng(sim.seed());
  ASSERT_TRUE(sim.replicate("start", 5, 3000)) << replay(sim);
  for (int round = 0; round < 10; ++round) {
    NodeId victim = 1 + rng() % 5;
    std::vector<NodeId> rest;
    for (NodeId id : sim.ids()) {
      if (id != victim) rest.push_back(id);
    }
    sim.partition({rest, {victim}});
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(sim.replicate("r" + std::to_string(round) + "." + std::to_string(i), 4, 3000))
          << "round " << round << "; " << replay(sim);
    }
    sim.compact_all();
    LogIndex compacted = newest_snapshot(sim, victim);
    ASSERT_GT(compacted, sim.node(victim).raft().log().last_index()) << replay(sim);
    sim.heal();
    ASSERT_TRUE(sim.replicate("r" + std::to_string(round) + " done", 5, 3000))
        << "round " << round << "; " << replay(sim);
    EXPECT_GE(sim.node(victim).raft().log().snapshot_index(), compacted)
        << "node " << victim << " caught up without the snapshot; " << replay(sim);
  }
  sim.set_faults({});
  ASSERT_TRUE(sim.replicate("done", 5, 3000)) << replay(sim);
  sim.check_logs();
}

TEST(Snapshots, InstallWithCrashes) {
  // Each round one node crashes, the others commit and compact past its log,
  // and it restarts from what it persisted: the leader must send it a
  // snapshot.
  Simulation sim = cluster(5, seed_or(409));
  std::mt19937_64 rng(sim.seed());
  ASSERT_TRUE(sim.replicate("start", 5)) << replay(sim);
  for (int round = 0; round < 10; ++round) {
    NodeId victim = 1 + rng() % 5;
    sim.crash(victim);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(sim.replicate("r" + std::to_string(round) + "." + std::to_string(i), 4))
          << "round " << round << "; " << replay(sim);
    }
    sim.compact_all();
    LogIndex compacted = newest_snapshot(sim, victim);
    sim.restart(victim);
    ASSERT_GT(compacted, sim.node(victim).raft().log().last_index()) << replay(sim);
    ASSERT_TRUE(sim.replicate("r" + std::to_string(round) + " done", 5))
        << "round " << round << "; " << replay(sim);
    EXPECT_GE(sim.node(victim).raft().log().snapshot_index(), compacted)
        << "node " << victim << " caught up without the snapshot; " << replay(sim);
  }
  ASSERT_TRUE(sim.replicate("done", 5)) << replay(sim);
  sim.check_logs();
  for (NodeId id : sim.ids()) {
    EXPECT_EQ(sim.node(id).raft().log().committed(), sim.node(1).raft().log().committed())
        << replay(sim);
  }
}

TEST(Snapshots, ANodeRestartsFromItsSnapshotTwice) {
  // A node restarts from its snapshot and the entries after it, takes more
  // entries, and restarts again: both times it must come back with the same
  // snapshot, the entries after it, and nothing it had compacted.
  Simulation sim = cluster(3, seed_or(410));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(sim.replicate("a" + std::to_string(i), 3)) << replay(sim);
  }
  sim.compact_all();
  NodeId node = *leader % 3 + 1;
  LogIndex snapshot = sim.node(node).raft().log().snapshot_index();
  ASSERT_GT(snapshot, LogIndex(20)) << replay(sim);
  auto check = [&](const char* when) {
    const Raft& r = sim.node(node).raft();
    EXPECT_EQ(r.log().snapshot_index(), snapshot) << when << "; " << replay(sim);
    EXPECT_EQ(r.log().first_index(), snapshot.next()) << when << "; " << replay(sim);
    ASSERT_TRUE(r.snapshot()) << when << "; " << replay(sim);
    EXPECT_EQ(r.snapshot()->data, "applied through " + std::to_string(snapshot.value()))
        << when << "; " << replay(sim);
  };
  sim.crash(node);
  sim.restart(node);
  check("after the first restart");
  auto b = sim.replicate("b", 3);
  ASSERT_TRUE(b) << replay(sim);
  sim.crash(node);
  sim.restart(node);
  check("after the second restart");
  auto c = sim.replicate("c", 3);
  ASSERT_TRUE(c) << replay(sim);
  // It applied what follows its snapshot, in order, and nothing before it.
  const std::vector<Entry>& applied = sim.applied(node);
  ASSERT_FALSE(applied.empty()) << replay(sim);
  EXPECT_EQ(applied.front().index, snapshot.next()) << replay(sim);
  EXPECT_EQ(applied.back().index, *c) << replay(sim);
  EXPECT_EQ(commands(sim, node), (std::vector<std::string>{"b", "c"})) << replay(sim);
  sim.check_logs();
}

TEST(Snapshots, EveryoneCrashesAfterCompaction) {
  Simulation sim = cluster(3, seed_or(404));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(sim.replicate("a" + std::to_string(i), 3)) << replay(sim);
  }
  sim.compact_all();
  for (NodeId id : sim.ids()) sim.crash(id);
  for (NodeId id : sim.ids()) sim.restart(id);
  ASSERT_TRUE(sim.replicate("b", 3)) << replay(sim);
  for (NodeId id : sim.ids()) {
    EXPECT_GT(sim.node(id).raft().log().first_index(), LogIndex(1))
        << "node " << id << " restarted from an empty log, not from its snapshot; " << replay(sim);
    EXPECT_EQ(sim.node(id).raft().log().first_index(), sim.node(1).raft().log().first_index())
        << replay(sim);
  }
}

TEST(Membership, AddingANodeOneAtATime) {
  Simulation sim({1, 2, 3, 4}, seed_or(405), {}, {1, 2, 3});
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("before", 3)) << replay(sim);
  EXPECT_EQ(sim.node(4).raft().role(), Role::kFollower) << replay(sim);
  auto index = sim.node(*leader).propose_conf_change({ConfChange::Kind::kAddNode, 4});
  ASSERT_TRUE(index) << replay(sim);
  // A second change is refused until the first is applied.
  EXPECT_FALSE(sim.node(*leader).propose_conf_change({ConfChange::Kind::kRemoveNode, 3}))
      << replay(sim);
  ASSERT_TRUE(sim.replicate("after", 4, 2000)) << replay(sim);
  for (NodeId id : sim.ids()) {
    EXPECT_EQ(sim.node(id).raft().voters(), (Voters{1, 2, 3, 4}))
        << "node " << id << "; " << replay(sim);
  }
}

TEST(Membership, RemovingTheLeaderHandsOver) {
  Simulation sim = cluster(3, seed_or(406));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.node(*leader).propose_conf_change({ConfChange::Kind::kRemoveNode, *leader}))
      << replay(sim);
  sim.run(50);
  auto next = sim.wait_for_leader();
  ASSERT_TRUE(next) << replay(sim);
  EXPECT_NE(*next, *leader) << replay(sim);
  EXPECT_EQ(sim.node(*next).raft().voters().size(), 2u) << replay(sim);
  ASSERT_TRUE(sim.replicate("two left", 2)) << replay(sim);
}

TEST(ReadIndex, LeaderAndFollowerGetALinearizableReadPoint) {
  Simulation sim = cluster(3, seed_or(407));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  auto written = sim.replicate("w", 3);
  ASSERT_TRUE(written) << replay(sim);
  sim.node(*leader).read_index("read-1");
  NodeId follower = *leader % 3 + 1;
  sim.node(follower).read_index("read-2");
  sim.run(10);
  ASSERT_EQ(sim.read_states(*leader).size(), 1u) << replay(sim);
  EXPECT_EQ(sim.read_states(*leader)[0].context, "read-1") << replay(sim);
  EXPECT_GE(sim.read_states(*leader)[0].index, *written) << replay(sim);
  ASSERT_EQ(sim.read_states(follower).size(), 1u) << replay(sim);
  EXPECT_EQ(sim.read_states(follower)[0].context, "read-2") << replay(sim);
  EXPECT_GE(sim.read_states(follower)[0].index, *written) << replay(sim);
}

TEST(ReadIndex, ACutOffLeaderGivesNoReadPoint) {
  // A leader partitioned away cannot confirm it still leads: no read, since a
  // newer leader elsewhere may already have newer writes.
  Simulation sim = cluster(3, seed_or(408));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("w", 3)) << replay(sim);
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
