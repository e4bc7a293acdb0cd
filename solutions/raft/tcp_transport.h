// raft/tcp_transport.h — Raft messages between processes, over TCP.
//
// Owns: a listening socket, one outbound connection per peer with its queue of
// frames, and the inbound connections peers open to us; all driven by one
// Boost.Asio io_context, on whichever thread runs it (one thread: no locks).
//
// Frames are [u32 big-endian length][codec.h message]. Sending never blocks:
// send() queues the frame and returns. A peer that is down is retried with
// backoff (50 ms doubling to 1 s); while it is down, or slow, its queue is
// capped and frames past the cap are dropped — Raft resends what matters, and
// an unbounded queue would let one dead peer eat the leader's memory. One
// frame larger than the cap (a snapshot, say) is still queued when nothing
// else is, so that it can ever be sent. An inbound frame that is too long or
// does not decode closes that connection.
#pragma once

#include <boost/asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "raft/message.h"

namespace uh::raft {

class TcpTransport {
 public:
  using Handler = std::function<void(Message)>;

  struct Stats {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t dropped = 0;     ///< queue full: backpressure
    std::uint64_t bad_frames = 0;  ///< connections closed for a bad frame
  };

  /// `peers` maps every node id (this one included) to its address; this node
  /// listens on its own. `on_message` runs on the io_context's thread.
  TcpTransport(boost::asio::io_context& io, NodeId self,
               std::map<NodeId, boost::asio::ip::tcp::endpoint> peers, Handler on_message,
               std::size_t max_queued_bytes = 8u << 20);
  ~TcpTransport();

  /// Starts listening; throws boost::system::system_error naming the address on failure.
  void start();
  /// The port this node listens on (useful when its address said port 0).
  std::uint16_t local_port() const { return acceptor_.local_endpoint().port(); }
  /// Sets or changes where peer `id` listens.
  void set_address(NodeId id, const boost::asio::ip::tcp::endpoint& endpoint) {
    addresses_[id] = endpoint;
  }

  /// Queues `message` for message.to; never blocks.
  void send(const Message& message);
  /// Closes every socket; pending handlers finish with operation_aborted.
  void stop();

  const Stats& stats() const { return stats_; }

 private:
  struct Peer;
  struct Inbound;
  void accept();
  void connect(const std::shared_ptr<Peer>& peer);
  void write_next(const std::shared_ptr<Peer>& peer);
  void read_header(const std::shared_ptr<Inbound>& in);
  void read_body(const std::shared_ptr<Inbound>& in, std::uint32_t length);

  boost::asio::io_context& io_;
  NodeId self_;
  std::map<NodeId, boost::asio::ip::tcp::endpoint> addresses_;
  Handler on_message_;
  std::size_t max_queued_bytes_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<NodeId, std::shared_ptr<Peer>> peers_;
  std::vector<std::weak_ptr<Inbound>> inbound_;
  Stats stats_;
  bool stopped_ = false;
};

}  // namespace uh::raft
