// Chapter 08 — three real node processes on loopback TCP: one killed and
// restarted, and one that falls behind the others' snapshots and catches up.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "local_cluster.h"
#include "raft/disk_storage.h"
#include "raft/types.h"

namespace uh::raft {
namespace {

namespace http = boost::beast::http;
namespace fs = std::filesystem;

// Small, so that a few dozen writes take the log past several snapshots.
constexpr int kSnapshotEvery = 20;

// Polls `done` every 50 ms until it holds, at most `attempts` times and for at
// most `limit`.
bool eventually(const std::function<bool()>& done, int attempts = 200,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (int i = 0; i < attempts && std::chrono::steady_clock::now() < deadline; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

std::uint64_t field(const boost::json::object& o, const char* name) {
  return o.at(name).to_number<std::uint64_t>();
}

// The index of the first entry in a node's log on disk: the smallest
// log-<first>.seg in its data directory (see raft/disk_storage.h), if any.
std::optional<std::uint64_t> first_logged_index(const fs::path& data_dir) {
  std::optional<std::uint64_t> first;
  for (const auto& item : fs::directory_iterator(data_dir)) {
    std::string name = item.path().filename().string();
    if (name.size() != 28 || name.rfind("log-", 0) != 0 || !name.ends_with(".seg")) continue;
    std::uint64_t index = std::stoull(name.substr(4, 20));
    if (!first || index < *first) first = index;
  }
  return first;
}

class ThreeNodes : public ::testing::Test {
 protected:
  ThreeNodes()
      : dir_(fs::temp_directory_path() / ("uh-raft-procs-" + std::to_string(::getpid()))),
        cluster_(UH_RAFT_NODE_BINARY, dir_, 3,
                 {"--snapshot-every", std::to_string(kSnapshotEvery)}) {}

  ~ThreeNodes() override {
    if (HasFailure()) {
      // What the nodes said is usually why: show the end of each log.
      for (NodeId id = 1; id <= 3; ++id) {
        std::printf("--- node %llu log ---\n%s\n", static_cast<unsigned long long>(id),
                    local::tail_of(cluster_.log_path(id), 2000).c_str());
      }
    }
  }

  void TearDown() override {
    for (NodeId id = 1; id <= 3; ++id) cluster_.stop(id, SIGKILL);
  }

  // A command of client 1 through whichever node leads, retried with the same sequence number.
  std::optional<std::string> command(const std::string& op, const std::string& key,
                                     const std::string& value) {
    return command_of(1, ++seq_, op, key, value);
  }

  std::optional<std::string> command_of(std::uint64_t client, std::uint64_t seq,
                                        const std::string& op, const std::string& key,
                                        const std::string& value) {
    std::string body = R"({"op":")" + op + R"(","key":")" + key + R"(","value":")" + value +
                       R"(","client":)" + std::to_string(client) + R"(,"seq":)" +
                       std::to_string(seq) + "}";
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (auto l = cluster_.leader()) {
        auto r = local::http_request(cluster_.http_port(*l), http::verb::post, "/kv", body);
        if (r && r->status == 200) return std::string(r->body.at("value").as_string());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
  }

  // Waits until every node reports the same applied index on GET /hash, then
  // expects one hash: replicas that applied the same entries hold the same
  // keys and the same client sessions.
  void expect_replicas_agree(const std::string& when) {
    std::set<std::uint64_t> hashes;
    std::uint64_t applied = 0;
    bool same_index = eventually([&] {
      hashes.clear();
      std::optional<std::uint64_t> index;
      for (NodeId id = 1; id <= 3; ++id) {
        auto r = local::http_request(cluster_.http_port(id), http::verb::get, "/hash");
        if (!r || r->status != 200 || !r->body.is_object()) return false;
        std::uint64_t at = field(r->body.as_object(), "applied");
        if (index && *index != at) return false;
        index = at;
        hashes.insert(field(r->body.as_object(), "hash"));
      }
      applied = *index;
      return true;
    });
    ASSERT_TRUE(same_index) << when << ": the nodes never reported the same applied index";
    EXPECT_EQ(hashes.size(), 1u) << when << ": replicas differ at applied index " << applied;
  }

  // Waits until node `id` has applied everything the leader had committed.
  std::optional<boost::json::object> caught_up(NodeId id) {
    auto leader = cluster_.leader();
    if (!leader) return std::nullopt;
    auto leader_status = cluster_.status(*leader);
    if (!leader_status) return std::nullopt;
    std::uint64_t target = field(*leader_status, "commit");
    std::optional<boost::json::object> status;
    bool done = eventually([&] {
      status = cluster_.status(id);
      return status && field(*status, "applied") >= target;
    });
    return done ? status : std::nullopt;
  }

  // Removes the directory last, after the cluster's nodes are gone.
  struct DirectoryGuard {
    fs::path dir;
    ~DirectoryGuard() { fs::remove_all(dir); }
  };
  fs::path dir_;
  DirectoryGuard guard_{dir_};
  local::NodeCluster cluster_;
  std::uint64_t seq_ = 0;
};

TEST_F(ThreeNodes, SurvivesTheLeaderBeingKilledAndRestarted) {
  for (NodeId id = 1; id <= 3; ++id) cluster_.start(id);
  auto first = cluster_.leader();
  ASSERT_TRUE(first) << "no leader among three real processes";
  ASSERT_EQ(command("put", "k", "a"), "a");
  ASSERT_EQ(command("append", "k", "b"), "ab");

  cluster_.stop(*first, SIGKILL);  // SIGKILL: no goodbye, no flush beyond what was fsync'ed
  auto second = cluster_.leader();
  ASSERT_TRUE(second) << "the two survivors did not elect a leader";
  EXPECT_NE(*second, *first);
  ASSERT_EQ(command("append", "k", "c"), "abc");

  cluster_.start(*first);  // same data directory: it recovers and catches up
  std::uint64_t target = cluster_.status(*second)->at("commit").to_number<std::uint64_t>();
  bool caught_up = false;
  for (int i = 0; i < 100 && !caught_up; ++i) {
    auto s = cluster_.status(*first);
    caught_up = s && s->at("applied").to_number<std::uint64_t>() >= target;
    if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(caught_up) << "the restarted node did not catch up";
  EXPECT_EQ(command("get", "k", ""), "abc");
}

TEST_F(ThreeNodes, RefusesMalformedRequests) {
  for (NodeId id = 1; id <= 3; ++id) cluster_.start(id);
  auto l = cluster_.leader();
  ASSERT_TRUE(l);
  auto bad = local::http_request(cluster_.http_port(*l), http::verb::post, "/kv",
                                 R"({"op":"drop","key":"k"})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  NodeId follower = *l % 3 + 1;
  auto redirected = local::http_request(cluster_.http_port(follower), http::verb::post, "/kv",
                                        R"({"op":"put","key":"k","value":"v","client":9,"seq":1})");
  ASSERT_TRUE(redirected);
  EXPECT_EQ(redirected->status, 421);
  EXPECT_EQ(redirected->body.at("leader").to_number<std::uint64_t>(), *l);
}

TEST_F(ThreeNodes, AFollowerBehindTheSnapshotsCatchesUpByInstallingOne) {
  for (NodeId id = 1; id <= 3; ++id) cluster_.start(id);
  auto leader = cluster_.leader();
  ASSERT_TRUE(leader) << "no leader among three real processes";
  ASSERT_EQ(command_of(2, 1, "append", "once", "x"), "x");

  const NodeId lagging = *leader % 3 + 1;
  auto before = caught_up(lagging);
  ASSERT_TRUE(before) << "node " << lagging << " never applied the first command";
  const std::uint64_t lagging_last = field(*before, "last");
  ASSERT_EQ(first_logged_index(cluster_.data_dir(lagging)), 1u);
  cluster_.stop(lagging, SIGKILL);

  // Four snapshot intervals of writes: the two others compact their logs
  // past everything the stopped node holds.
  constexpr int kKeys = 4 * kSnapshotEvery;
  for (int i = 0; i < kKeys; ++i) {
    std::string n = std::to_string(i);
    ASSERT_EQ(command("put", "key" + n, "value" + n), "value" + n) << "put " << i;
  }
  ASSERT_EQ(command_of(2, 2, "append", "once", "y"), "xy");
  for (NodeId id = 1; id <= 3; ++id) {
    if (id == lagging) continue;
    bool compacted = eventually([&] {
      auto s = cluster_.status(id);
      return s && field(*s, "snapshot") > lagging_last;
    });
    EXPECT_TRUE(compacted) << "node " << id << " did not compact past index " << lagging_last;
  }

  // The entries it needs are gone from every log: only a snapshot can help.
  cluster_.start(lagging);
  auto after = caught_up(lagging);
  ASSERT_TRUE(after) << "the restarted node did not catch up";
  EXPECT_GE(field(*after, "snapshots_installed"), 1u) << "it caught up without a snapshot";
  EXPECT_GT(field(*after, "snapshot"), lagging_last);
  EXPECT_TRUE(fs::exists(cluster_.data_dir(lagging) / "snapshot"));
  auto first = first_logged_index(cluster_.data_dir(lagging));
  EXPECT_TRUE(!first || *first > lagging_last)
      << "its log on disk still starts at index " << *first << ", before the snapshot";

  // A late copy of client 2's first command, arriving after its second: it
  // is committed again, and every replica must ignore it, the restored one
  // included, which knows the first copy only from its snapshot's sessions.
  ASSERT_TRUE(command_of(2, 1, "append", "once", "x"));
  EXPECT_EQ(command_of(2, 2, "append", "once", "y"), "xy") << "a retry is answered, not applied";
  for (int i = 0; i < kKeys; ++i) {
    std::string n = std::to_string(i);
    EXPECT_EQ(command("get", "key" + n, ""), "value" + n) << "get " << i;
  }
  EXPECT_EQ(command("get", "once", ""), "xy") << "a retried append took effect twice";
  expect_replicas_agree("after catching up from the leader's snapshot");

  // Restarted once more, it rebuilds its store from the snapshot on its own
  // disk and replays the entries after it; the leader has nothing to send.
  cluster_.stop(lagging, SIGKILL);
  cluster_.start(lagging);
  auto again = caught_up(lagging);
  ASSERT_TRUE(again) << "the node did not come back from its own snapshot";
  EXPECT_GT(field(*again, "snapshot"), lagging_last);
  EXPECT_EQ(field(*again, "snapshots_installed"), 0u);
  expect_replicas_agree("after restarting from its own snapshot");
}

TEST(NodeProcess, RefusesToStartFromASnapshotThatDoesNotDecode) {
  fs::path dir = fs::temp_directory_path() / ("uh-raft-badsnap-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    // Sound as a file (DiskStorage checks its own CRC), but not a KvStore's.
    DiskStorage storage(dir / "data");
    storage.save_snapshot({LogIndex(5), Term(1), {1}, "this is a page of text, not a store"});
  }
  std::vector<std::uint16_t> ports = local::free_ports(2);
  std::string cluster = "1=127.0.0.1:" + std::to_string(ports[0]) + ":" + std::to_string(ports[1]);
  pid_t pid = local::spawn(
      {UH_RAFT_NODE_BINARY, "--id", "1", "--data", (dir / "data").string(), "--cluster", cluster},
      dir / "node.log");
  int status = 0;
  bool exited = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
  if (!exited) local::stop_process(pid, SIGKILL);  // only the process this test started
  std::string log = local::tail_of(dir / "node.log", 2000);
  fs::remove_all(dir);
  ASSERT_TRUE(exited) << "the node kept running on a snapshot it cannot read";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << log;
  EXPECT_NE(log.find((dir / "data" / "snapshot").string()), std::string::npos) << log;
  EXPECT_NE(log.find("not a key-value snapshot"), std::string::npos) << log;
}

}  // namespace
}  // namespace uh::raft
