// raft/server.h — one Raft node as a real process: disk, network, clock, clients.
//
// Owns: the node's RawNode, its DiskStorage, its TcpTransport to the other
// nodes, the KvStore it applies committed commands to, a tick timer, and an
// HTTP/JSON front for clients (Boost.Beast). Everything runs on one
// io_context thread, so the Raft core is only ever touched by that thread.
//
// The loop is the RawNode contract: after a tick, or after the messages and
// proposals that arrived in one turn of the event loop, take the Ready,
// persist it (fsync), send its messages, apply its committed entries, answer
// the clients whose commands were applied, advance.
//
// Log compaction: once `snapshot_every` entries have been applied since the
// last snapshot, the node snapshots its KvStore at the applied index, drops
// the log up to there and keeps the snapshot on disk. A Ready that carries a
// leader's snapshot replaces the KvStore before any later entry is applied,
// and a restart restores the KvStore from the snapshot on disk and then
// replays the entries after it. A leader's snapshot that does not decode
// stops the node before it replaces anything on disk (the error leaves
// io_context::run()); one on disk that does not decode makes the constructor
// throw. Both errors name where the snapshot came from.
//
// HTTP API (JSON bodies):
//   POST /kv   {"op":"put"|"append"|"get","key":..,"value":..,"client":N,"seq":N}
//              200 {"value":..} once applied; 421 {"leader":N} from a follower;
//              503 when there is no leader; 504 after 3 s without a commit.
//   GET /status  {"id","role","term","leader","commit","applied","last",
//                 "snapshot": index of the latest snapshot (0: none),
//                 "snapshots_installed": snapshots taken from a leader since start}
//   GET /hash    {"applied","hash"}: CRC-32 of the KvStore's snapshot() at that
//                applied index; replicas at the same index must agree
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "raft/disk_storage.h"
#include "raft/kv_store.h"
#include "raft/raw_node.h"
#include "raft/tcp_transport.h"

namespace uh::raft {

struct ServerConfig {
  NodeId id = kNoNode;
  std::map<NodeId, boost::asio::ip::tcp::endpoint> raft_addresses;  ///< every node
  boost::asio::ip::tcp::endpoint http_address;                      ///< this node's clients
  std::filesystem::path data_dir;
  std::chrono::milliseconds tick{10};
  int election_tick = 10;  ///< in ticks: 100 to 200 ms with the default tick
  /// Applied entries between two snapshots of the KvStore; 0 never compacts.
  /// A snapshot writes the whole store, an entry only itself: keep it rare.
  std::uint64_t snapshot_every = 10000;
};

class RaftServer {
 public:
  /// Opens the data directory (recovering the node's state) and prepares the
  /// sockets; start() begins listening and ticking.
  RaftServer(boost::asio::io_context& io, ServerConfig config);
  ~RaftServer();

  void start();
  std::uint16_t http_port() const;

  /// The outcome of a client command.
  struct Reply {
    int status = 200;   ///< HTTP status, as above
    std::string value;  ///< the command's result when 200
    NodeId leader = kNoNode;
  };
  /// Proposes `command` and calls `done` once it is applied, or with the reason it was not.
  void submit(const KvCommand& command, std::function<void(Reply)> done);

  /// The status document, as JSON text.
  std::string status_json() const;
  /// The applied index and a hash of the KvStore there, as JSON text.
  std::string hash_json() const;

 private:
  struct Waiter {
    std::chrono::steady_clock::time_point deadline;
    std::function<void(Reply)> done;
  };
  class Http;

  void tick();
  /// Runs process_ready() once the handlers already queued on the io_context
  /// have run: every proposal and message that arrives in one turn of the
  /// loop shares one Ready, so one fsync covers them all.
  void schedule_ready();
  void process_ready();
  /// Replaces the KvStore with `snapshot`'s; throws, naming `from`, if it is malformed.
  void restore_kv(const Snapshot& snapshot, const std::string& from);
  /// Snapshots the KvStore and compacts the log once snapshot_every entries
  /// have been applied since the last snapshot.
  void maybe_compact();

  boost::asio::io_context& io_;
  ServerConfig config_;
  bool ready_scheduled_ = false;
  DiskStorage storage_;
  RawNode node_;
  TcpTransport transport_;
  KvStore kv_;
  std::uint64_t snapshots_installed_ = 0;
  boost::asio::steady_timer timer_;
  std::multimap<std::pair<std::uint64_t, std::uint64_t>, Waiter> waiters_;  // (client, seq)
  std::unique_ptr<Http> http_;
};

}  // namespace uh::raft
