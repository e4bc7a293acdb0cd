// lab bench 08 — committed writes per second and commit latency of a 3-node
// cluster on loopback with fsync on, side by side with etcd.
//
// Both clusters run on this machine in the same run: three uh-raft-node
// processes, and three members of the distribution's etcd (its HTTP/JSON
// gateway, POST /v3/kv/put). One load generator drives both: N client threads,
// each with its own keep-alive connection to the leader, each sending one
// 256-byte put at a time and waiting for the answer, which comes only once the
// put is committed (on a majority's disk) and applied. Rounds alternate
// between the two systems so that a slow moment of the machine hits both.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "local_cluster.h"

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace local = uh::raft::local;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kValueBytes = 256;
constexpr auto kRound = std::chrono::seconds(3);
constexpr std::uint64_t kMaxPutsPerRound = 50'000;  // a bound on the load, whatever the speed
constexpr int kRounds = 3;

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// What a system under test must offer the load generator: where its leader's
// HTTP port is, and the request body of put number `n` of client `c`.
struct System {
  std::string name;
  std::uint16_t leader_port = 0;
  std::string target;  ///< the HTTP path a put goes to
  std::function<std::string(std::size_t client, std::uint64_t n)> put_body;
};

struct RoundResult {
  double puts_per_second = 0;
  std::vector<double> latencies_ms;
  std::uint64_t failures = 0;
};

// `clients` threads, each sending puts back to back for kRound.
RoundResult run_round(const System& system, std::size_t clients) {
  std::atomic<std::uint64_t> issued{0};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::uint64_t> failures(clients, 0);
  auto start = Clock::now(), end = start + kRound;
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      local::HttpConnection connection(system.leader_port, std::chrono::seconds(5));
      for (std::uint64_t n = 1; Clock::now() < end && issued++ < kMaxPutsPerRound; ++n) {
        auto sent = Clock::now();
        auto reply = connection.request(http::verb::post, system.target, system.put_body(c, n));
        if (!reply || reply->status != 200) {
          ++failures[c];
          continue;
        }
        latencies[c].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  RoundResult result;
  for (std::size_t c = 0; c < clients; ++c) {
    result.latencies_ms.insert(result.latencies_ms.end(), latencies[c].begin(), latencies[c].end());
    result.failures += failures[c];
  }
  result.puts_per_second = static_cast<double>(result.latencies_ms.size()) / seconds;
  return result;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[at];
}

// ------------------------------------------------------------ our cluster

System our_system(const local::NodeCluster& cluster) {
  auto leader = cluster.leader(std::chrono::seconds(10));
  if (!leader) throw std::runtime_error("our 3-node cluster elected no leader within 10 s");
  static const std::string value(kValueBytes, 'v');
  // A fresh client id per bench run and thread: sessions never collide.
  static std::atomic<std::uint64_t> next_client_base{1000};
  std::uint64_t base = next_client_base.fetch_add(1000);
  return System{
      "uh-raft", cluster.http_port(*leader), "/kv", [base](std::size_t c, std::uint64_t n) {
        return fmt::format(R"({{"op":"put","key":"c{}-{}","value":"{}","client":{},"seq":{}}})", c,
                           n, value, base + c, n);
      }};
}

// ------------------------------------------------------------ etcd

class EtcdCluster {
 public:
  EtcdCluster(const fs::path& etcd, const fs::path& dir) {
    std::vector<std::uint16_t> ports = local::free_ports(6);
    std::string initial;
    for (int m = 0; m < 3; ++m) {
      client_port_.push_back(ports[2 * m]);
      peer_url_.push_back(fmt::format("http://127.0.0.1:{}", ports[2 * m + 1]));
      initial += fmt::format("{}m{}={}", m ? "," : "", m + 1, peer_url_[m]);
    }
    for (int m = 0; m < 3; ++m) {
      std::string client_url = fmt::format("http://127.0.0.1:{}", client_port_[m]);
      pids_.push_back(local::spawn({etcd.string(),
                                    "--name",
                                    fmt::format("m{}", m + 1),
                                    "--data-dir",
                                    (dir / fmt::format("etcd{}", m + 1)).string(),
                                    "--listen-client-urls",
                                    client_url,
                                    "--advertise-client-urls",
                                    client_url,
                                    "--listen-peer-urls",
                                    peer_url_[m],
                                    "--initial-advertise-peer-urls",
                                    peer_url_[m],
                                    "--initial-cluster",
                                    initial,
                                    "--initial-cluster-token",
                                    "uh-bench-08",
                                    "--initial-cluster-state",
                                    "new",
                                    "--logger",
                                    "zap",
                                    "--log-level",
                                    "warn"},
                                   dir / fmt::format("etcd{}.log", m + 1)));
    }
  }
  ~EtcdCluster() {
    for (pid_t pid : pids_) local::stop_process(pid, SIGKILL);
  }
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // The client port of the member that leads: each member's status names the
  // leader's member id and its own.
  std::optional<std::uint16_t> leader_port(std::chrono::milliseconds within) const {
    auto deadline = Clock::now() + within;
    do {
      for (std::uint16_t port : client_port_) {
        auto reply = local::http_request(port, http::verb::post, "/v3/maintenance/status", "{}");
        if (!reply || reply->status != 200 || !reply->body.is_object()) continue;
        const json::object& o = reply->body.as_object();
        const json::value* leader = o.if_contains("leader");
        const json::value* header = o.if_contains("header");
        if (!leader || !header || !header->is_object()) continue;
        const json::value* self = header->as_object().if_contains("member_id");
        if (self && *self == *leader) return port;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (Clock::now() < deadline);
    return std::nullopt;
  }

 private:
  std::vector<std::uint16_t> client_port_;
  std::vector<std::string> peer_url_;
  std::vector<pid_t> pids_;
};

System etcd_system(const EtcdCluster& etcd) {
  auto port = etcd.leader_port(std::chrono::seconds(20));
  if (!port) throw std::runtime_error("etcd's 3 members elected no leader within 20 s");
  static const std::string value = base64(std::string(kValueBytes, 'v'));
  return System{"etcd", *port, "/v3/kv/put", [](std::size_t c, std::uint64_t n) {
                  return fmt::format(R"({{"key":"{}","value":"{}"}})",
                                     base64(fmt::format("c{}-{}", c, n)), value);
                }};
}

std::optional<fs::path> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t at = 0; at <= dirs.size();) {
    std::size_t end = std::min(dirs.find(':', at), dirs.size());
    fs::path candidate = fs::path(dirs.substr(at, end - at)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    at = end + 1;
  }
  return std::nullopt;
}

int bench(const fs::path& dir) {
  auto etcd_binary = find_on_path("etcd");
  if (!etcd_binary) {
    fmt::print(stderr,
               "etcd is not installed, and the benchmark measures against it in the same run.\n"
               "Install the distribution's etcd-server (`./lab start` does, through "
               "ci/install-deps).\n");
    return 1;
  }
  fmt::print("Starting 3 uh-raft-node processes and 3 etcd members on 127.0.0.1 (data in {}).\n",
             dir.string());
  local::NodeCluster ours(UH_RAFT_NODE_BINARY, dir / "uh-raft", 3);
  for (std::uint64_t id = 1; id <= 3; ++id) ours.start(id);
  EtcdCluster etcd(*etcd_binary, dir);

  System systems[] = {our_system(ours), etcd_system(etcd)};
  fmt::print("Puts of {}-byte values; each client waits for its answer before the next put.\n",
             kValueBytes);
  fmt::print("{} alternating rounds of {} s per system and client count.\n\n", kRounds,
             kRound.count());
  for (System& s : systems) run_round(s, 4);  // warm up connections, files and caches

  fmt::print("{:<9} {:>7} {:>10} {:>9} {:>9} {:>9}\n", "system", "clients", "puts/s", "p50 ms",
             "p99 ms", "failed");
  for (std::size_t clients : {std::size_t{1}, std::size_t{64}}) {
    std::map<std::string, std::vector<double>> rates, latencies;
    std::map<std::string, std::uint64_t> failed;
    for (int round = 0; round < kRounds; ++round) {
      for (System& s : systems) {
        RoundResult r = run_round(s, clients);
        rates[s.name].push_back(r.puts_per_second);
        latencies[s.name].insert(latencies[s.name].end(), r.latencies_ms.begin(),
                                 r.latencies_ms.end());
        failed[s.name] += r.failures;
      }
    }
    std::map<std::string, double> rate, p50, p99;
    for (System& s : systems) {
      rate[s.name] = percentile(rates[s.name], 0.5);  // the median round
      p50[s.name] = percentile(latencies[s.name], 0.5);
      p99[s.name] = percentile(latencies[s.name], 0.99);
      fmt::print("{:<9} {:>7} {:>10.0f} {:>9.2f} {:>9.2f} {:>9}\n", s.name, clients, rate[s.name],
                 p50[s.name], p99[s.name], failed[s.name]);
    }
    auto ratio = [](std::map<std::string, double>& of) {
      return of["uh-raft"] / std::max(of["etcd"], 1e-9);
    };
    fmt::print(
        "{:<9} {:>7} {:>9.2f}x {:>8.2f}x {:>8.2f}x   (uh-raft / etcd; higher puts/s and lower "
        "latencies are better)\n\n",
        "ratio", clients, ratio(rate), ratio(p50), ratio(p99));
    if (failed["uh-raft"] + failed["etcd"] != 0) {
      fmt::print(
          "Some puts failed (timeouts or a leader change during the run); the rates count "
          "only acknowledged puts.\n\n");
    }
  }
  fmt::print(
      "Both commit a put once a majority has it on disk (fdatasync), both batch puts that\n"
      "arrive together into one append, and both let the leader's disk and the followers'\n"
      "work at the same time. etcd writes its log on a thread of its own and keeps serving\n"
      "meanwhile; our server waits for fdatasync on its only thread.\n");
  for (std::uint64_t id = 1; id <= 3; ++id) ours.stop(id, SIGTERM);
  return 0;
}

}  // namespace

int main() {
  fs::path dir = fs::temp_directory_path() / fmt::format("uh-bench-08-{}", ::getpid());
  int code = 1;
  try {
    code = bench(dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "uh-bench-08: {} (the processes' logs are in {})\n", e.what(), dir.string());
    return 1;
  }
  fs::remove_all(dir);
  return code;
}
