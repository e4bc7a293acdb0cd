// Chapter 08 — log replication: agreement, failures, backup over divergent logs.
#include <gtest/gtest.h>

#include "sim_test_support.h"

namespace uh::raft {
namespace {

using testing::cluster;
using testing::replay;
using testing::seed_or;

TEST(Agreement, BasicAgreementInOrder) {
  Simulation sim = cluster(3, seed_or(201));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  LogIndex previous;
  for (int i = 1; i <= 5; ++i) {
    auto index = sim.replicate("cmd " + std::to_string(i), 3);
    ASSERT_TRUE(index) << replay(sim);
    EXPECT_GT(*index, previous) << replay(sim);
    previous = *index;
  }
  for (NodeId id : sim.ids()) {
    EXPECT_EQ(sim.applied(id).size(), sim.applied(1).size()) << replay(sim);
  }
}

TEST(Agreement, MessageCountStaysWithinBudget) {
  // Agreement on a command in a quiet 3-node cluster takes one append and one
  // response per follower, plus the heartbeats (one round per tick here) of
  // the ~4 ticks until every node has applied it: about 20 messages. A leader
  // that resends whole logs or answers every response with a new append would
  // use many times that.
  Simulation sim = cluster(3, seed_or(202));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  std::uint64_t before = sim.messages_delivered();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sim.replicate("x" + std::to_string(i), 3)) << replay(sim);
  }
  std::uint64_t used = sim.messages_delivered() - before;
  EXPECT_LE(used, 10u * 25) << replay(sim);
}

TEST(Agreement, BytesSentAreProportionalToTheData) {
  // Each command's bytes go to each follower about once, not many times.
  Simulation sim = cluster(3, seed_or(203));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  std::uint64_t before = sim.bytes_delivered();
  std::string big(5000, 'x');
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sim.replicate(big + std::to_string(i), 3)) << replay(sim);
  }
  std::uint64_t payload = 10 * 5001;
  EXPECT_LE(sim.bytes_delivered() - before, 2 * payload + 2 * payload / 10 + 20000) << replay(sim);
}

TEST(Agreement, FollowerFailureAndRecovery) {
  Simulation sim = cluster(3, seed_or(204));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("101", 3)) << replay(sim);
  NodeId follower = *leader % 3 + 1;
  sim.crash(follower);
  ASSERT_TRUE(sim.replicate("102", 2)) << replay(sim);
  ASSERT_TRUE(sim.replicate("103", 2)) << replay(sim);
  sim.restart(follower);
  ASSERT_TRUE(sim.replicate("104", 3)) << replay(sim);
}

TEST(Agreement, LeaderFailureNewLeaderCarriesOn) {
  Simulation sim = cluster(3, seed_or(205));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("201", 3)) << replay(sim);
  sim.crash(*leader);
  ASSERT_TRUE(sim.replicate("202", 2)) << replay(sim);
  sim.restart(*leader);
  ASSERT_TRUE(sim.replicate("203", 3)) << replay(sim);
}

TEST(Agreement, NoAgreementWithoutAMajority) {
  Simulation sim = cluster(5, seed_or(206));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("10", 5)) << replay(sim);
  // Three of five followers gone: the leader accepts but cannot commit.
  int crashed = 0;
  for (NodeId id : sim.ids()) {
    if (id != *leader && crashed < 3) {
      sim.crash(id);
      ++crashed;
    }
  }
  auto index = sim.propose(*leader, "20");
  ASSERT_TRUE(index) << replay(sim);
  sim.run(30);  // less than an election timeout: still the leader
  EXPECT_EQ(sim.applied_count(*index, "20"), 0u) << replay(sim);
  for (NodeId id : sim.ids()) {
    if (!sim.is_up(id)) sim.restart(id);
  }
  ASSERT_TRUE(sim.replicate("30", 5)) << replay(sim);
}

TEST(Agreement, ConcurrentProposalsAllCommitOnce) {
  Simulation sim = cluster(3, seed_or(207));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  std::vector<LogIndex> indexes;
  for (int i = 0; i < 20; ++i) {
    auto index = sim.propose(*leader, "c" + std::to_string(i));
    ASSERT_TRUE(index) << replay(sim);
    indexes.push_back(*index);
  }
  sim.run(50);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(sim.applied_count(indexes[i], "c" + std::to_string(i)), 3u) << replay(sim);
  }
}

TEST(Agreement, PartitionedLeaderRejoinsAndItsUncommittedEntriesGo) {
  Simulation sim = cluster(3, seed_or(208));
  auto old_leader = sim.wait_for_leader();
  ASSERT_TRUE(old_leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("101", 3)) << replay(sim);
  std::vector<NodeId> others;
  for (NodeId id : sim.ids()) {
    if (id != *old_leader) others.push_back(id);
  }
  sim.partition({{*old_leader}, others});
  // The cut-off leader accepts entries it can never commit.
  for (int i = 0; i < 3; ++i) sim.propose(*old_leader, "lost " + std::to_string(i));
  ASSERT_TRUE(sim.replicate("103", 2)) << replay(sim);
  sim.heal();
  ASSERT_TRUE(sim.replicate("104", 3)) << replay(sim);
  for (const Entry& e : sim.applied(*old_leader)) {
    EXPECT_EQ(e.data.rfind("lost", 0), std::string::npos)
        << "applied an uncommitted entry; " << replay(sim);
  }
}

TEST(Agreement, BackupOverFiftyDivergentEntries) {
  // The classic log repair case: a leader and a follower are partitioned away
  // with 50 uncommitted entries while the other three commit 50 others. Then
  // the leader of the three crashes and the partition heals: a new leader,
  // elected with the committed entries, starts its probes at its own last
  // index, the two stale nodes refuse them, and it must back up over their 50
  // divergent entries (with the hint, in a round trip or two) and replace them.
  Simulation sim = cluster(5, seed_or(209));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  ASSERT_TRUE(sim.replicate("start", 5)) << replay(sim);
  NodeId buddy = *leader % 5 + 1;
  std::vector<NodeId> rest;
  for (NodeId id : sim.ids()) {
    if (id != *leader && id != buddy) rest.push_back(id);
  }
  sim.partition({{*leader, buddy}, rest});
  for (int i = 0; i < 50; ++i) sim.propose(*leader, "doomed " + std::to_string(i));
  sim.run(20);
  auto new_leader = sim.wait_for_leader();
  ASSERT_TRUE(new_leader && *new_leader != *leader) << replay(sim);
  for (int i = 0; i < 50; ++i) sim.propose(*new_leader, "kept " + std::to_string(i));
  ASSERT_TRUE(sim.replicate("committed by three", 3)) << replay(sim);
  sim.crash(*new_leader);
  sim.heal();
  ASSERT_TRUE(sim.replicate("after", 4, 2000)) << replay(sim);
  sim.restart(*new_leader);
  ASSERT_TRUE(sim.replicate("all five", 5, 2000)) << replay(sim);
  sim.check_logs();
  for (NodeId id : sim.ids()) {
    for (const Entry& e : sim.applied(id)) {
      EXPECT_EQ(e.data.rfind("doomed", 0), std::string::npos) << replay(sim);
    }
  }
}

}  // namespace
}  // namespace uh::raft
