// uh-raft-node — one node of a Raft key-value cluster, as its own process.
//
//   uh-raft-node --id 1 --data DIR --cluster 1=127.0.0.1:7001:8001,2=127.0.0.1:7002:8002,...
//                [--snapshot-every N]
//
// Each cluster entry is id=host:raft_port:http_port. The node serves clients
// on its HTTP port (see raft/server.h) and stops on SIGINT or SIGTERM. It
// snapshots its store and compacts its log every N applied entries (default
// 10000; 0 never compacts).
#include <boost/asio.hpp>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "raft/server.h"

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "uh-raft-node: %s\nusage: uh-raft-node --id N --data DIR --cluster "
               "1=127.0.0.1:7001:8001,2=... [--snapshot-every N]\n",
               why);
  return 2;
}

// A whole decimal number, or nothing.
std::optional<std::uint64_t> number(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  uh::raft::ServerConfig config;
  std::string cluster;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--id") {
      config.id = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--data") {
      config.data_dir = argv[i + 1];
    } else if (flag == "--cluster") {
      cluster = argv[i + 1];
    } else if (flag == "--snapshot-every") {
      std::optional<std::uint64_t> every = number(argv[i + 1]);
      if (!every) return usage("--snapshot-every takes a number of entries (0: never)");
      config.snapshot_every = *every;
    } else {
      return usage(("unknown flag " + flag).c_str());
    }
  }
  if (config.id == 0 || config.data_dir.empty() || cluster.empty()) {
    return usage("--id, --data and --cluster are required");
  }
  try {
    std::size_t at = 0;
    while (at < cluster.size()) {
      std::size_t end = cluster.find(',', at);
      std::string item =
          cluster.substr(at, end == std::string::npos ? std::string::npos : end - at);
      at = end == std::string::npos ? cluster.size() : end + 1;
      std::size_t eq = item.find('='), c1 = item.find(':'), c2 = item.rfind(':');
      if (eq == std::string::npos || c1 == std::string::npos || c1 == c2) {
        return usage(("bad cluster entry '" + item + "'").c_str());
      }
      uh::raft::NodeId id = std::stoull(item.substr(0, eq));
      auto host = make_address(item.substr(eq + 1, c1 - eq - 1));
      auto raft_port = static_cast<unsigned short>(std::stoul(item.substr(c1 + 1, c2 - c1 - 1)));
      auto http_port = static_cast<unsigned short>(std::stoul(item.substr(c2 + 1)));
      config.raft_addresses[id] = tcp::endpoint(host, raft_port);
      if (id == config.id) config.http_address = tcp::endpoint(host, http_port);
    }
    if (!config.raft_addresses.count(config.id)) return usage("--id is not in --cluster");
    boost::asio::io_context io;
    uh::raft::RaftServer server(io, config);
    server.start();
    boost::asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](auto, int) { io.stop(); });
    std::printf("node %llu: raft on %s, clients on port %u\n",
                static_cast<unsigned long long>(config.id),
                config.raft_addresses[config.id].address().to_string().c_str(), server.http_port());
    std::fflush(stdout);
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uh-raft-node %llu: %s\n", static_cast<unsigned long long>(config.id),
                 e.what());
    return 1;
  }
}
