// Chapter 08 — the replicated key-value store: exactly-once commands, linearizable histories.
#include <gtest/gtest.h>

#include <algorithm>

#include "kv_harness.h"
#include "raft/kv_store.h"
#include "raft/linearizability.h"
#include "sim_test_support.h"

namespace uh::raft {
namespace {

using testing::cluster;
using testing::KvClients;
using testing::replay;
using testing::seed_or;

TEST(KvStore, PutAppendGet) {
  KvStore kv;
  EXPECT_EQ(kv.apply(encode_command({KvCommand::Op::kPut, 1, 1, "k", "a"})), "a");
  EXPECT_EQ(kv.apply(encode_command({KvCommand::Op::kAppend, 1, 2, "k", "b"})), "ab");
  EXPECT_EQ(kv.apply(encode_command({KvCommand::Op::kGet, 2, 1, "k", ""})), "ab");
  EXPECT_EQ(kv.apply(encode_command({KvCommand::Op::kGet, 2, 2, "missing", ""})), "");
}

TEST(KvStore, ARetriedCommandTakesEffectOnce) {
  KvStore kv;
  std::string append = encode_command({KvCommand::Op::kAppend, 7, 1, "k", "x"});
  EXPECT_EQ(kv.apply(append), "x");
  EXPECT_EQ(kv.apply(append), "x") << "the duplicate gets the first answer";
  EXPECT_EQ(kv.data().at("k"), "x");
  EXPECT_EQ(kv.result_of(7, 1), "x");
}

TEST(KvStore, GarbageIsNotACommand) {
  KvStore kv;
  EXPECT_EQ(kv.apply(""), std::nullopt);  // a leader's no-op
  EXPECT_EQ(kv.apply("kv13:put"), std::nullopt);
  EXPECT_EQ(kv.apply("kv13:put1:11:x1:k1:v"), std::nullopt);  // client "x"
  EXPECT_EQ(kv.apply(encode_command({KvCommand::Op::kPut, 1, 1, "k", "v"}) + "!"), std::nullopt);
  EXPECT_TRUE(kv.data().empty());
}

TEST(Linearizability, AcceptsConcurrentOverlapInEitherOrder) {
  // A put and a get overlap: the get may see the old or the new value.
  std::vector<KvOperation> h = {
      {KvCommand::Op::kPut, "k", "1", "1", 0, 10},
      {KvCommand::Op::kGet, "k", "", "", 1, 5},
      {KvCommand::Op::kGet, "k", "", "1", 6, 12},
  };
  EXPECT_TRUE(check_linearizable(h).ok);
}

TEST(Linearizability, RejectsAStaleReadAfterACompletedWrite) {
  std::vector<KvOperation> h = {
      {KvCommand::Op::kPut, "k", "1", "1", 0, 5},
      {KvCommand::Op::kGet, "k", "", "", 6, 8},  // started after the put returned
  };
  auto r = check_linearizable(h);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.key, "k");
}

TEST(Linearizability, RejectsAnAppendSeenTwice) {
  std::vector<KvOperation> h = {
      {KvCommand::Op::kAppend, "k", "x", "x", 0, 3},
      {KvCommand::Op::kGet, "k", "", "xx", 4, 6},
  };
  EXPECT_FALSE(check_linearizable(h).ok);
}

// Runs until every node is up and every replica has applied the same commit index.
bool settle(Simulation& sim, const KvClients& clients) {
  return sim.run_until(
      [&] {
        auto leader = sim.leader();
        if (!leader) return false;
        LogIndex commit = sim.node(*leader).raft().log().committed();
        return std::all_of(sim.ids().begin(), sim.ids().end(), [&](NodeId id) {
          return sim.node(id).raft().log().committed() == commit &&
                 clients.replica_applied(id) == commit;
        });
      },
      2000);
}

void run_clients(Simulation& sim, bool unreliable, bool crashes) {
  std::mt19937_64 rng(sim.seed());
  KvClients clients(sim, 5, {"a", "b", "c"}, sim.seed());
  if (unreliable) sim.set_faults({.drop = 0.1, .duplicate = 0.05, .min_delay = 1, .max_delay = 5});
  for (int t = 0; t < 1500; ++t) {
    clients.tick(t < 1200);
    if (crashes && t % 100 == 50) {
      NodeId id = 1 + rng() % 5;
      if (sim.is_up(id)) {
        sim.crash(id);
      } else {
        sim.restart(id);
      }
    }
    if (crashes && t % 150 == 0) {
      NodeId a = 1 + rng() % 5;
      std::vector<NodeId> rest;
      for (NodeId id : sim.ids()) {
        if (id != a) rest.push_back(id);
      }
      sim.partition({{a}, rest});
    } else if (t % 150 == 75) {
      sim.heal();
    }
    sim.run(1);
  }
  sim.heal();
  sim.set_faults({});
  for (NodeId id : sim.ids()) {
    if (!sim.is_up(id)) sim.restart(id);
  }
  ASSERT_TRUE(clients.drain(3000)) << replay(sim);
  ASSERT_GT(clients.history().size(), 50u) << "too little happened to check; " << replay(sim);
  // Every answer in the history is what the replica on the node the client
  // talked to returned when it applied the command.
  auto result = check_linearizable(clients.history());
  EXPECT_TRUE(result.ok) << "key " << result.key << " is not linearizable; " << replay(sim);
  // Every replica ends with the same map.
  ASSERT_TRUE(settle(sim, clients)) << replay(sim);
  const KvStore& first = clients.replica(sim.ids().front());
  for (NodeId id : sim.ids()) {
    EXPECT_EQ(clients.replica(id).data(), first.data()) << "replica " << id << "; " << replay(sim);
  }
  // Retries never apply a command twice: every command's tag is unique, so no
  // value may hold one twice. (A later put may erase an append: that is fine.)
  for (const auto& [key, value] : first.data()) {
    for (const KvOperation& op : clients.history()) {
      if (op.op != KvCommand::Op::kAppend || op.key != key) continue;
      std::size_t found = value.find(op.input);
      if (found == std::string::npos) continue;
      EXPECT_EQ(value.find(op.input, found + 1), std::string::npos)
          << op.input << " applied twice; " << replay(sim);
    }
  }
}

TEST(KvChurn, ReliableNetworkLinearizable) {
  Simulation sim = cluster(5, seed_or(501));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  run_clients(sim, false, false);
}

TEST(KvChurn, UnreliableNetworkLinearizable) {
  Simulation sim = cluster(5, seed_or(502));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  run_clients(sim, true, false);
}

TEST(KvChurn, CrashesAndPartitionsLinearizable) {
  Simulation sim = cluster(5, seed_or(503));
  ASSERT_TRUE(sim.wait_for_leader()) << replay(sim);
  run_clients(sim, true, true);
}

TEST(KvChurn, StaleReadsFromAFollowerAreCaught) {
  // The check must be able to fail. Here reads skip the log and are answered
  // by a follower that is cut off from the leader, from whatever its replica
  // has applied: a classic stale read. Writes still go through the leader.
  Simulation sim = cluster(3, seed_or(504));
  auto leader = sim.wait_for_leader();
  ASSERT_TRUE(leader) << replay(sim);
  NodeId follower = *leader % 3 + 1;
  KvClients clients(sim, 5, {"a", "b"}, sim.seed());
  clients.serve_reads_locally_from(follower);
  std::vector<NodeId> rest;
  for (NodeId id : sim.ids()) {
    if (id != follower) rest.push_back(id);
  }
  sim.partition({rest, {follower}});
  for (int t = 0; t < 300; ++t) {
    clients.tick(true);
    sim.run(1);
  }
  ASSERT_TRUE(clients.drain(1000)) << replay(sim);
  ASSERT_GT(clients.history().size(), 50u) << replay(sim);
  EXPECT_FALSE(check_linearizable(clients.history()).ok)
      << "stale reads went unnoticed; " << replay(sim);
}

}  // namespace
}  // namespace uh::raft
