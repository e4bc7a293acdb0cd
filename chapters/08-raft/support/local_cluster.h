// local_cluster.h — real uh-raft-node processes on loopback, for the chapter's
// multi-process test, its demo and its benchmark.
//
// Not part of the Raft you write: this is the harness around it. It picks
// ports, starts node processes with their output in a log file, stops them by
// PID (only the ones it started), and talks to them over HTTP.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uh::raft::local {

/// `count` distinct free TCP ports on 127.0.0.1 below the kernel's ephemeral
/// range (32768 and up), so that no outbound connection can take one between
/// choosing it and a server binding it.
std::vector<std::uint16_t> free_ports(std::size_t count);

/// Starts `argv` (argv[0] is the program's path) with stdout and stderr
/// appended to `log`. Throws std::runtime_error naming the program on failure.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log);

/// Sends `signal` to a process this program started, then reaps it.
void stop_process(pid_t pid, int signal);

/// The last `bytes` of a file (all of it if shorter); empty if unreadable.
std::string tail_of(const std::filesystem::path& file, std::size_t bytes);

struct HttpReply {
  int status = 0;
  boost::json::value body;  ///< null if the body was not JSON
};

/// One keep-alive HTTP/1.1 connection to 127.0.0.1:port. A request that finds
/// the connection closed reconnects once; any other failure, or no answer
/// within the limit, gives nothing (and the next request reconnects).
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port,
                          std::chrono::milliseconds limit = std::chrono::seconds(1));

  std::optional<HttpReply> request(boost::beast::http::verb verb, const std::string& target,
                                   const std::string& body = {});

 private:
  std::optional<HttpReply> attempt(boost::beast::http::verb verb, const std::string& target,
                                   const std::string& body);

  std::uint16_t port_;
  std::chrono::milliseconds limit_;
  boost::asio::io_context io_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
};

/// One request on a fresh connection.
std::optional<HttpReply> http_request(std::uint16_t port, boost::beast::http::verb verb,
                                      const std::string& target, const std::string& body = {});

/// A cluster of uh-raft-node processes on loopback, each with its data
/// directory and log under `dir`. Nodes are numbered 1..size, and every node
/// gets `node_flags` after its --id, --data and --cluster (for example
/// {"--snapshot-every", "20"}). The destructor stops every node still running
/// (SIGKILL) and leaves `dir` to its owner.
class NodeCluster {
 public:
  NodeCluster(std::filesystem::path node_binary, std::filesystem::path dir, std::size_t size,
              std::vector<std::string> node_flags = {});
  ~NodeCluster();
  NodeCluster(const NodeCluster&) = delete;
  NodeCluster& operator=(const NodeCluster&) = delete;

  std::size_t size() const { return http_port_.size(); }
  void start(std::uint64_t id);
  void stop(std::uint64_t id, int signal);
  bool running(std::uint64_t id) const;
  pid_t pid(std::uint64_t id) const;
  std::uint16_t http_port(std::uint64_t id) const { return http_port_.at(id); }
  std::filesystem::path log_path(std::uint64_t id) const;
  std::filesystem::path data_dir(std::uint64_t id) const;

  /// GET /status of one node: id, role, term, leader, commit, applied, last,
  /// snapshot, snapshots_installed.
  std::optional<boost::json::object> status(std::uint64_t id) const;

  /// The running node that a majority of the cluster's running nodes name as
  /// leader, polled until `within` has passed.
  std::optional<std::uint64_t> leader(
      std::chrono::milliseconds within = std::chrono::seconds(5)) const;

 private:
  std::filesystem::path binary_;
  std::filesystem::path dir_;
  std::string cluster_;  ///< the --cluster argument every node gets
  std::vector<std::string> node_flags_;
  std::map<std::uint64_t, std::uint16_t> http_port_;
  std::map<std::uint64_t, pid_t> pid_;
};

}  // namespace uh::raft::local
