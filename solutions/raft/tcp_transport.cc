#include "raft/tcp_transport.h"

#include <algorithm>
#include <chrono>

#include "raft/codec.h"

namespace uh::raft {

namespace asio = boost::asio;
using asio::ip::tcp;

struct TcpTransport::Peer {
  explicit Peer(asio::io_context& io) : socket(io), timer(io) {}
  NodeId id = kNoNode;
  tcp::socket socket;
  asio::steady_timer timer;
  std::deque<std::vector<std::uint8_t>> queue;
  std::size_t queued_bytes = 0;
  bool connected = false;
  bool connecting = false;
  bool writing = false;
  std::chrono::milliseconds backoff{50};
};

struct TcpTransport::Inbound {
  explicit Inbound(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::uint8_t header[4] = {};
  std::vector<std::uint8_t> body;
};

TcpTransport::TcpTransport(asio::io_context& io, NodeId self, std::map<NodeId, tcp::endpoint> peers,
                           Handler on_message, std::size_t max_queued_bytes)
    : io_(io),
      self_(self),
      addresses_(std::move(peers)),
      on_message_(std::move(on_message)),
      max_queued_bytes_(max_queued_bytes),
      acceptor_(io) {
  for (const auto& [id, endpoint] : addresses_) {
    if (id == self_) continue;
    auto peer = std::make_shared<Peer>(io_);
    peer->id = id;
    peers_[id] = peer;
  }
}

TcpTransport::~TcpTransport() { stop(); }

void TcpTransport::start() {
  tcp::endpoint local = addresses_.at(self_);
  acceptor_.open(local.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(local);
  acceptor_.listen();
  accept();
}

void TcpTransport::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, peer] : peers_) {
    peer->socket.close(ignored);
    peer->timer.cancel();
  }
  for (auto& weak : inbound_) {
    if (auto in = weak.lock()) in->socket.close(ignored);
  }
}

void TcpTransport::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      auto in = std::make_shared<Inbound>(std::move(socket));
      std::erase_if(inbound_, [](const std::weak_ptr<Inbound>& w) { return w.expired(); });
      inbound_.push_back(in);
      read_header(in);
    }
    accept();
  });
}

void TcpTransport::read_header(const std::shared_ptr<Inbound>& in) {
  asio::async_read(in->socket, asio::buffer(in->header),
                   [this, in](boost::system::error_code ec, std::size_t) {
                     if (ec || stopped_) return;  // the peer went away: it will reconnect
                     std::uint32_t length = std::uint32_t{in->header[0]} << 24 |
                                            std::uint32_t{in->header[1]} << 16 |
                                            std::uint32_t{in->header[2]} << 8 | in->header[3];
                     if (length == 0 || length > kMaxFrameBytes) {
                       ++stats_.bad_frames;  // no sane peer sends this: hang up
                       in->socket.close(ec);
                       return;
                     }
                     read_body(in, length);
                   });
}

void TcpTransport::read_body(const std::shared_ptr<Inbound>& in, std::uint32_t length) {
  in->body.resize(length);
  asio::async_read(in->socket, asio::buffer(in->body),
                   [this, in](boost::system::error_code ec, std::size_t) {
                     if (ec || stopped_) return;
                     auto message = decode_message(in->body);
                     if (!message) {
                       ++stats_.bad_frames;
                       in->socket.close(ec);
                       return;
                     }
                     ++stats_.received;
                     on_message_(std::move(*message));
                     read_header(in);
                   });
}

void TcpTransport::send(const Message& message) {
  auto it = peers_.find(message.to);
  if (it == peers_.end() || stopped_) return;
  std::shared_ptr<Peer> peer = it->second;
  std::vector<std::uint8_t> body = encode_message(message);
  // Backpressure: Raft will send it again. A frame over the cap on its own
  // (a large snapshot) waits for an empty queue instead, or it could never go;
  // one over the frame limit would only make the peer close the connection.
  if (body.size() > kMaxFrameBytes ||
      (peer->queued_bytes != 0 && peer->queued_bytes + body.size() + 4 > max_queued_bytes_)) {
    ++stats_.dropped;
    return;
  }
  std::vector<std::uint8_t> frame;
  frame.reserve(body.size() + 4);
  auto n = static_cast<std::uint32_t>(body.size());
  for (int s = 24; s >= 0; s -= 8) frame.push_back(static_cast<std::uint8_t>(n >> s));
  frame.insert(frame.end(), body.begin(), body.end());
  peer->queued_bytes += frame.size();
  peer->queue.push_back(std::move(frame));
  if (peer->connected) {
    write_next(peer);
  } else if (!peer->connecting) {
    connect(peer);
  }
}

void TcpTransport::connect(const std::shared_ptr<Peer>& peer) {
  peer->connecting = true;
  peer->socket = tcp::socket(io_);
  peer->socket.async_connect(addresses_.at(peer->id), [this, peer](boost::system::error_code ec) {
    if (stopped_) return;
    if (ec) {
      // Down or not started yet: try again later, less often each time.
      peer->timer.expires_after(peer->backoff);
      peer->backoff = std::min(peer->backoff * 2, std::chrono::milliseconds(1000));
      peer->timer.async_wait([this, peer](boost::system::error_code wait) {
        if (!wait && !stopped_) connect(peer);
      });
      return;
    }
    peer->socket.set_option(tcp::no_delay(true));
    peer->connecting = false;
    peer->connected = true;
    peer->backoff = std::chrono::milliseconds(50);
    write_next(peer);
  });
}

void TcpTransport::write_next(const std::shared_ptr<Peer>& peer) {
  if (peer->writing || peer->queue.empty() || !peer->connected) return;
  peer->writing = true;
  asio::async_write(peer->socket, asio::buffer(peer->queue.front()),
                    [this, peer](boost::system::error_code ec, std::size_t) {
                      peer->writing = false;
                      if (stopped_) return;
                      if (ec) {
                        // The connection broke: reconnect and write the frame
                        // again (the peer may get it twice; Raft copes).
                        peer->connected = false;
                        boost::system::error_code ignored;
                        peer->socket.close(ignored);
                        connect(peer);
                        return;
                      }
                      ++stats_.sent;
                      peer->queued_bytes -= peer->queue.front().size();
                      peer->queue.pop_front();
                      write_next(peer);
                    });
}

}  // namespace uh::raft
