// Chapter 08 — the replicated key-value store: exactly-once commands, linearizable histories.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string>

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

// ---------------------------------------------------------------- snapshots

std::string command(KvCommand::Op op, std::uint64_t client, std::uint64_t seq, std::string key,
                    std::string value = {}) {
  return encode_command({op, client, seq, std::move(key), std::move(value)});
}

// A store with a few keys and three clients' sessions.
KvStore busy_store() {
  KvStore kv;
  kv.apply(command(KvCommand::Op::kPut, 1, 1, "a", "1"));
  kv.apply(command(KvCommand::Op::kAppend, 1, 2, "a", "2"));
  kv.apply(command(KvCommand::Op::kPut, 2, 1, "b", std::string("\0bin\xff", 5)));
  kv.apply(command(KvCommand::Op::kPut, 3, 1, "", ""));  // an empty key and value are legal
  kv.apply(command(KvCommand::Op::kGet, 3, 2, "a"));
  return kv;
}

// Replaces the CRC-32 trailer so that a forged snapshot reaches the checks
// after the checksum.
std::string resealed(std::string bytes) {
  bytes.resize(bytes.size() - 4);
  auto crc = static_cast<std::uint32_t>(
      ::crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(crc >> shift));
  return bytes;
}

std::string restore_error(KvStore& kv, const std::string& bytes) {
  try {
    kv.restore(bytes);
  } catch (const KvSnapshotError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(KvSnapshot, RoundTripsKeysAndSessions) {
  KvStore original = busy_store();
  std::string bytes = original.snapshot();
  KvStore copy;
  copy.apply(command(KvCommand::Op::kPut, 9, 1, "stale", "gone"));  // replaced, not merged
  copy.restore(bytes);
  EXPECT_EQ(copy.data(), original.data());
  EXPECT_EQ(copy.result_of(1, 2), "12");
  EXPECT_EQ(copy.result_of(3, 2), "12");
  EXPECT_EQ(copy.result_of(9, 1), std::nullopt) << "the old sessions must go too";
  EXPECT_EQ(copy.snapshot(), bytes) << "the same state must give the same bytes";
  KvStore empty;
  KvStore restored_empty = busy_store();
  restored_empty.restore(empty.snapshot());
  EXPECT_TRUE(restored_empty.data().empty());
}

TEST(KvSnapshot, ARetryAfterRestoreStillTakesEffectOnce) {
  KvStore before;
  std::string first = command(KvCommand::Op::kAppend, 7, 1, "k", "x");
  ASSERT_EQ(before.apply(first), "x");
  KvStore after;
  after.restore(before.snapshot());
  // The first answer was lost and the client retried: the log holds the
  // command again, after the snapshot that already contains it.
  EXPECT_EQ(after.apply(first), "x") << "the retry gets the first answer";
  EXPECT_EQ(after.data().at("k"), "x") << "and changes nothing";
  EXPECT_EQ(after.apply(command(KvCommand::Op::kAppend, 7, 2, "k", "y")), "xy");
  after.apply(first);  // a copy that arrives later still
  EXPECT_EQ(after.data().at("k"), "xy");
}

TEST(KvSnapshot, RefusesEveryTruncationAndEveryDamagedByte) {
  KvStore source = busy_store();
  const std::string bytes = source.snapshot();
  KvStore kv;
  kv.apply(command(KvCommand::Op::kPut, 5, 1, "mine", "kept"));
  const std::string mine = kv.snapshot();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(kv.restore(bytes.substr(0, n)), KvSnapshotError) << "cut to " << n << " bytes";
  }
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    EXPECT_THROW(kv.restore(damaged), KvSnapshotError) << "byte " << at << " changed";
  }
  EXPECT_THROW(kv.restore(bytes + "!"), KvSnapshotError);
  EXPECT_EQ(kv.snapshot(), mine) << "a refused snapshot must leave the store as it was";
}

TEST(KvSnapshot, ChecksEveryFieldBehindAValidChecksum) {
  KvStore kv;
  const std::string empty = KvStore().snapshot();  // "uhkv" 1, 0 keys, 0 sessions, CRC
  std::string wrong_magic = empty;
  wrong_magic[0] = 'x';
  EXPECT_NE(restore_error(kv, resealed(wrong_magic)).find("not a key-value snapshot"),
            std::string::npos);
  std::string future = empty;
  future[4] = 2;
  EXPECT_NE(restore_error(kv, resealed(future)).find("version 2"), std::string::npos);

  // A key count far beyond what the bytes could hold is refused before
  // anything is allocated for it.
  std::string huge = empty;
  huge[5] = 0x10;
  EXPECT_NE(restore_error(kv, resealed(huge)).find("cannot fit"), std::string::npos);

  // Keys must be strictly ascending: no duplicates, no reordering.
  KvStore two;
  two.apply(command(KvCommand::Op::kPut, 1, 1, "a", "1"));
  two.apply(command(KvCommand::Op::kPut, 1, 2, "b", "2"));
  std::string swapped = two.snapshot();
  std::size_t a = swapped.find('a'), b = swapped.find('b');
  std::swap(swapped[a], swapped[b]);
  EXPECT_NE(restore_error(kv, resealed(swapped)).find("not above"), std::string::npos);

  // A length that runs past the end.
  std::string long_key = two.snapshot();
  long_key[13 + 3] = 0x7f;  // the first key's length, after magic, version and key count
  EXPECT_NE(restore_error(kv, resealed(long_key)).find("runs past the end"), std::string::npos);
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
