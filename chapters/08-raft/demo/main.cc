// lab run 08 — five real Raft nodes on loopback: elect, replicate, lose the
// leader to SIGKILL, elect again, bring the old leader back and watch its log
// converge.
//
// Every node is a separate uh-raft-node process with its own data directory
// (fsync'ed), talking TCP to the others. This program only starts them, sends
// them HTTP requests and kills them by PID.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "local_cluster.h"

namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using uh::raft::local::NodeCluster;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kNodes = 5;
constexpr int kWritesPerPhase = 50;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::uint64_t field(const json::object& o, const char* name) {
  return o.at(name).to_number<std::uint64_t>();
}

// One line per node: what GET /status says, or that the process is gone.
void show_table(const NodeCluster& cluster) {
  fmt::print("  {:<5} {:>7} {:<14} {:>5} {:>7} {:>7} {:>7} {:>7}\n", "node", "pid", "role", "term",
             "leader", "last", "commit", "applied");
  for (std::uint64_t id = 1; id <= cluster.size(); ++id) {
    auto s = cluster.status(id);
    if (!s) {
      fmt::print("  {:<5} {:>7} {}\n", id, "-", cluster.running(id) ? "(not answering)" : "(down)");
      continue;
    }
    fmt::print("  {:<5} {:>7} {:<14} {:>5} {:>7} {:>7} {:>7} {:>7}\n", id, cluster.pid(id),
               std::string(s->at("role").as_string()), field(*s, "term"), field(*s, "leader"),
               field(*s, "last"), field(*s, "commit"), field(*s, "applied"));
  }
}

// A client with a session: every command carries (client, seq), so a retry
// after a lost answer is applied once. Commands go to the leader; a follower
// answers 421 with the leader's id, and the client follows it.
class Client {
 public:
  explicit Client(const NodeCluster& cluster) : cluster_(cluster) {}

  std::optional<std::string> run(const std::string& op, const std::string& key,
                                 const std::string& value) {
    json::object body{{"op", op}, {"key", key}, {"value", value}, {"client", 7}, {"seq", ++seq_}};
    std::string text = json::serialize(body);
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      if (!cluster_.running(target_)) target_ = cluster_.leader().value_or(target_);
      auto reply = cluster_.running(target_)
                       ? uh::raft::local::http_request(cluster_.http_port(target_),
                                                       http::verb::post, "/kv", text)
                       : std::nullopt;
      if (reply && reply->status == 200) return std::string(reply->body.at("value").as_string());
      if (reply && reply->status == 421 && reply->body.is_object()) {
        target_ = field(reply->body.as_object(), "leader");  // a follower pointed the way
        continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // no leader yet: wait
      target_ = cluster_.leader().value_or(target_);
    }
    return std::nullopt;
  }

 private:
  const NodeCluster& cluster_;
  std::uint64_t target_ = 1;
  std::uint64_t seq_ = 0;
};

bool write_keys(Client& client, int first, int count) {
  auto start = Clock::now();
  for (int i = first; i < first + count; ++i) {
    std::string key = fmt::format("key{:03}", i);
    if (client.run("put", key, fmt::format("value-{}", i)) != fmt::format("value-{}", i)) {
      fmt::print(stderr, "put {} was not acknowledged within 10 s\n", key);
      return false;
    }
  }
  double ms = ms_since(start);
  fmt::print(
      "Wrote {} keys in {:.0f} ms ({:.1f} ms each: every write waits for a majority to fsync "
      "it).\n",
      count, ms, ms / count);
  return true;
}

// Polls every node every 20 ms and prints each change of role, term or leader
// as it happens, until `done` says so or `limit` passes.
template <typename Done>
void watch(const NodeCluster& cluster, Clock::time_point since, std::chrono::milliseconds limit,
           Done done) {
  std::map<std::uint64_t, std::string> seen;
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    for (std::uint64_t id = 1; id <= cluster.size(); ++id) {
      auto s = cluster.status(id);
      if (!s) continue;
      std::string now =
          fmt::format("{} of term {} (leader {})", std::string(s->at("role").as_string()),
                      field(*s, "term"), field(*s, "leader"));
      if (seen[id] != now) {
        fmt::print("  +{:>5.0f} ms  node {} is {}\n", ms_since(since), id, now);
        seen[id] = now;
      }
    }
    if (done()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int demo(const std::filesystem::path& binary, const std::filesystem::path& dir) {
  NodeCluster cluster(binary, dir, kNodes);
  fmt::print("Starting {} uh-raft-node processes on 127.0.0.1; data and logs in {}\n", kNodes,
             dir.string());
  auto start = Clock::now();
  for (std::uint64_t id = 1; id <= kNodes; ++id) cluster.start(id);
  std::optional<std::uint64_t> leader;
  watch(cluster, start, std::chrono::seconds(10), [&] {
    leader = cluster.leader(std::chrono::milliseconds(0));
    return leader.has_value();
  });
  if (!leader) {
    fmt::print(stderr, "No leader after 10 s. The end of node 1's log:\n{}\n",
               uh::raft::local::tail_of(cluster.log_path(1), 2000));
    return 1;
  }
  fmt::print("\nNode {} leads after {:.0f} ms.\n", *leader, ms_since(start));
  show_table(cluster);

  Client client(cluster);
  fmt::print("\n");
  if (!write_keys(client, 0, kWritesPerPhase)) return 1;
  show_table(cluster);

  std::uint64_t old_leader = *leader;
  fmt::print(
      "\nkill -KILL {} (node {}, the leader): no goodbye, nothing flushed but what was "
      "fsync'ed.\n",
      cluster.pid(old_leader), old_leader);
  auto killed = Clock::now();
  cluster.stop(old_leader, SIGKILL);
  leader.reset();
  watch(cluster, killed, std::chrono::seconds(10), [&] {
    leader = cluster.leader(std::chrono::milliseconds(0));
    return leader.has_value() && *leader != old_leader;
  });
  if (!leader) {
    fmt::print(stderr, "The four survivors elected no leader within 10 s.\n");
    return 1;
  }
  fmt::print("\nNode {} leads after {:.0f} ms without node {}: four of five is a majority.\n",
             *leader, ms_since(killed), old_leader);
  if (!write_keys(client, kWritesPerPhase, kWritesPerPhase)) return 1;

  fmt::print("\nRestarting node {} on its old data directory; it has missed {} writes.\n",
             old_leader, kWritesPerPhase);
  cluster.start(old_leader);
  auto restarted = Clock::now();
  std::uint64_t target = field(*cluster.status(*leader), "commit");
  std::uint64_t shown = UINT64_MAX;
  bool converged = false;
  while (!converged && ms_since(restarted) < 10'000) {
    if (auto s = cluster.status(old_leader)) {
      std::uint64_t applied = field(*s, "applied");
      if (applied != shown) {
        fmt::print("  +{:>5.0f} ms  node {}: last {}, applied {} of the leader's {}\n",
                   ms_since(restarted), old_leader, field(*s, "last"), applied, target);
        shown = applied;
      }
      converged = applied >= target;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!converged) {
    fmt::print(stderr, "Node {} did not catch up within 10 s.\n", old_leader);
    return 1;
  }
  fmt::print("\nAll five logs again:\n");
  show_table(cluster);

  int wrong = 0;
  for (int i = 0; i < 2 * kWritesPerPhase; ++i) {
    if (client.run("get", fmt::format("key{:03}", i), "") != fmt::format("value-{}", i)) ++wrong;
  }
  if (wrong != 0) {
    fmt::print(stderr, "\n{} of {} keys read back wrong: an acknowledged write was lost.\n", wrong,
               2 * kWritesPerPhase);
    return 1;
  }
  fmt::print(
      "\nRead all {} keys back through the leader (each read is a log entry too, so it is "
      "linearizable): every acknowledged write survived the crash.\n",
      2 * kWritesPerPhase);
  for (std::uint64_t id = 1; id <= kNodes; ++id) cluster.stop(id, SIGTERM);
  return 0;
}

}  // namespace

int main() {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("uh-demo-08-{}", ::getpid());
  int code = 1;
  try {
    code = demo(UH_RAFT_NODE_BINARY, dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "uh-demo-08: {}\n", e.what());
  }
  if (code == 0) std::filesystem::remove_all(dir);
  if (code != 0) fmt::print(stderr, "The nodes' logs are kept in {}\n", dir.string());
  return code;
}
