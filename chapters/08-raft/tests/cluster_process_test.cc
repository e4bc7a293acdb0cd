// Chapter 08 — three real node processes on loopback TCP, one killed and restarted.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "local_cluster.h"
#include "raft/types.h"

namespace uh::raft {
namespace {

namespace http = boost::beast::http;
namespace fs = std::filesystem;

class ThreeNodes : public ::testing::Test {
 protected:
  ThreeNodes()
      : dir_(fs::temp_directory_path() / ("uh-raft-procs-" + std::to_string(::getpid()))),
        cluster_(UH_RAFT_NODE_BINARY, dir_, 3) {}

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

  // A command through whichever node leads, retried with the same sequence number.
  std::optional<std::string> command(const std::string& op, const std::string& key,
                                     const std::string& value) {
    std::string body = R"({"op":")" + op + R"(","key":")" + key + R"(","value":")" + value +
                       R"(","client":1,"seq":)" + std::to_string(++seq_) + "}";
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (auto l = cluster_.leader()) {
        auto r = local::http_request(cluster_.http_port(*l), http::verb::post, "/kv", body);
        if (r && r->status == 200) return std::string(r->body.at("value").as_string());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
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

}  // namespace
}  // namespace uh::raft
