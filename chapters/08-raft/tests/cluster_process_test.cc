// Chapter 08 — three real node processes on loopback TCP, one killed and restarted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "raft/types.h"

extern char** environ;

namespace uh::raft {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace fs = std::filesystem;
using asio::ip::tcp;

// Distinct free ports below the kernel's ephemeral range (32768 and up), so
// that no outbound connection can take one between choosing it and the node
// binding it. All are held open until every one is chosen.
std::vector<std::uint16_t> free_ports(std::size_t count) {
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::acceptor>> held;
  std::vector<std::uint16_t> ports;
  std::mt19937 rng(
      static_cast<unsigned>(::getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  while (ports.size() < count) {
    auto port = static_cast<std::uint16_t>(20000 + rng() % 12000);
    auto acceptor = std::make_unique<tcp::acceptor>(io);
    boost::system::error_code ec;
    tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
    acceptor->open(at.protocol(), ec);
    if (!ec) acceptor->bind(at, ec);
    if (ec) continue;
    held.push_back(std::move(acceptor));
    ports.push_back(port);
  }
  return ports;
}

struct HttpReply {
  int status = 0;
  json::value body;
};

// One request with a 1-second limit; nothing if the node does not answer.
std::optional<HttpReply> request(std::uint16_t port, http::verb verb, const std::string& target,
                                 const std::string& body = {}) {
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(1));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return HttpReply{static_cast<int>(res.result_int()), json::parse(res.body())};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

class ThreeNodes : public ::testing::Test {
 protected:
  ThreeNodes() : dir_(fs::temp_directory_path() / ("uh-raft-procs-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    std::vector<std::uint16_t> ports = free_ports(6);
    for (NodeId id = 1; id <= 3; ++id) {
      raft_port_[id] = ports[2 * (id - 1)];
      http_port_[id] = ports[2 * (id - 1) + 1];
    }
    for (NodeId id = 1; id <= 3; ++id) {
      if (!cluster_.empty()) cluster_ += ",";
      cluster_ += std::to_string(id) + "=127.0.0.1:" + std::to_string(raft_port_[id]) + ":" +
                  std::to_string(http_port_[id]);
    }
  }

  ~ThreeNodes() override {
    for (auto& [id, pid] : pids_) stop(id);
    if (HasFailure()) {
      // What the nodes said is usually why: show the end of each log.
      for (NodeId id = 1; id <= 3; ++id) {
        std::ifstream log(dir_ / ("node" + std::to_string(id) + ".log"));
        std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
        std::printf("--- node %llu log ---\n%s\n", static_cast<unsigned long long>(id),
                    text.substr(text.size() > 2000 ? text.size() - 2000 : 0).c_str());
      }
    }
    fs::remove_all(dir_);
  }

  void start(NodeId id) {
    std::string id_text = std::to_string(id);
    std::string data = (dir_ / ("node" + id_text)).string();
    const char* argv[] = {UH_RAFT_NODE_BINARY, "--id",      id_text.c_str(),  "--data",
                          data.c_str(),        "--cluster", cluster_.c_str(), nullptr};
    // Each node's output goes to a log beside its data, so failures can be read there.
    std::string log = (dir_ / ("node" + id_text + ".log")).string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, UH_RAFT_NODE_BINARY, &actions, nullptr, const_cast<char**>(argv),
                         environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0) << "could not start " << UH_RAFT_NODE_BINARY;
    pids_[id] = pid;
  }

  void stop(NodeId id, int signal = SIGKILL) {
    auto it = pids_.find(id);
    if (it == pids_.end() || it->second == 0) return;
    ::kill(it->second, signal);  // only processes this test started, by PID
    ::waitpid(it->second, nullptr, 0);
    it->second = 0;
  }

  std::optional<json::object> status(NodeId id) {
    auto r = request(http_port_[id], http::verb::get, "/status");
    if (!r || !r->body.is_object()) return std::nullopt;
    return r->body.as_object();
  }

  // The node a majority agrees leads, within five seconds.
  std::optional<NodeId> leader() {
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::map<std::uint64_t, int> votes;
      for (auto& [id, pid] : pids_) {
        if (pid == 0) continue;
        if (auto s = status(id); s && s->at("leader").to_number<std::uint64_t>() != 0) {
          ++votes[s->at("leader").to_number<std::uint64_t>()];
        }
      }
      for (auto [l, n] : votes) {
        if (n >= 2 && pids_[l] != 0) return l;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

  // A command through whichever node leads, retried with the same sequence number.
  std::optional<std::string> command(const std::string& op, const std::string& key,
                                     const std::string& value) {
    std::string body = R"({"op":")" + op + R"(","key":")" + key + R"(","value":")" + value +
                       R"(","client":1,"seq":)" + std::to_string(++seq_) + "}";
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (auto l = leader()) {
        auto r = request(http_port_[*l], http::verb::post, "/kv", body);
        if (r && r->status == 200) return std::string(r->body.at("value").as_string());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
  }

  fs::path dir_;
  std::string cluster_;
  std::map<NodeId, std::uint16_t> raft_port_, http_port_;
  std::map<NodeId, pid_t> pids_;
  std::uint64_t seq_ = 0;
};

TEST_F(ThreeNodes, SurvivesTheLeaderBeingKilledAndRestarted) {
  for (NodeId id = 1; id <= 3; ++id) start(id);
  auto first = leader();
  ASSERT_TRUE(first) << "no leader among three real processes";
  ASSERT_EQ(command("put", "k", "a"), "a");
  ASSERT_EQ(command("append", "k", "b"), "ab");

  stop(*first);  // SIGKILL: no goodbye, no flush beyond what was fsync'ed
  auto second = leader();
  ASSERT_TRUE(second) << "the two survivors did not elect a leader";
  EXPECT_NE(*second, *first);
  ASSERT_EQ(command("append", "k", "c"), "abc");

  start(*first);  // same data directory: it recovers and catches up
  std::uint64_t target = status(*second)->at("commit").to_number<std::uint64_t>();
  bool caught_up = false;
  for (int i = 0; i < 100 && !caught_up; ++i) {
    auto s = status(*first);
    caught_up = s && s->at("applied").to_number<std::uint64_t>() >= target;
    if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(caught_up) << "the restarted node did not catch up";
  EXPECT_EQ(command("get", "k", ""), "abc");
}

TEST_F(ThreeNodes, RefusesMalformedRequests) {
  for (NodeId id = 1; id <= 3; ++id) start(id);
  auto l = leader();
  ASSERT_TRUE(l);
  auto bad = request(http_port_[*l], http::verb::post, "/kv", R"({"op":"drop","key":"k"})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  NodeId follower = *l % 3 + 1;
  auto redirected = request(http_port_[follower], http::verb::post, "/kv",
                            R"({"op":"put","key":"k","value":"v","client":9,"seq":1})");
  ASSERT_TRUE(redirected);
  EXPECT_EQ(redirected->status, 421);
  EXPECT_EQ(redirected->body.at("leader").to_number<std::uint64_t>(), *l);
}

}  // namespace
}  // namespace uh::raft
