#include "raft/server.h"

#include <zlib.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace uh::raft {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

Config raft_config(const ServerConfig& c) {
  Config rc;
  rc.id = c.id;
  for (const auto& [id, endpoint] : c.raft_addresses) rc.voters.push_back(id);
  rc.election_tick = c.election_tick;
  rc.seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return rc;
}

std::optional<KvCommand> command_from_json(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  auto text = [&](const char* k) -> std::optional<std::string> {
    auto it = o.find(k);
    if (it == o.end()) return std::string();
    if (!it->value().is_string()) return std::nullopt;
    return std::string(it->value().as_string());
  };
  auto number = [&](const char* k) -> std::optional<std::uint64_t> {
    auto it = o.find(k);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_uint64()) return it->value().as_uint64();
    if (it->value().is_int64() && it->value().as_int64() > 0) {
      return static_cast<std::uint64_t>(it->value().as_int64());
    }
    return std::nullopt;
  };
  auto op = text("op");
  auto key = text("key");
  auto value = text("value");
  auto client = number("client");
  auto seq = number("seq");
  if (!op || !key || !value || !client || !seq || key->empty()) return std::nullopt;
  std::optional<KvCommand::Op> kind = parse_op(*op);
  if (!kind) return std::nullopt;
  return KvCommand{*kind, *client, *seq, *key, *value};
}

}  // namespace

// ---------------------------------------------------------------- HTTP front

class RaftServer::Http {
 public:
  Http(asio::io_context& io, RaftServer& server, const tcp::endpoint& at)
      : server_(server), acceptor_(io, at) {}
  void start() { accept(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, RaftServer& server) : stream(std::move(s)), server(server) {}
    beast::tcp_stream stream;
    RaftServer& server;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;

    void read() {
      request = {};
      stream.expires_after(std::chrono::seconds(30));
      http::async_read(stream, buffer, request,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return;  // closed, timed out or malformed: drop it
                         self->handle();
                       });
    }

    void respond(http::status status, std::string body) {
      auto response =
          std::make_shared<http::response<http::string_body>>(status, request.version());
      response->set(http::field::content_type, "application/json");
      response->keep_alive(request.keep_alive());
      response->body() = std::move(body);
      response->prepare_payload();
      http::async_write(stream, *response,
                        [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
                          if (!ec && response->keep_alive()) self->read();
                        });
    }

    void handle() {
      if (request.method() == http::verb::get && request.target() == "/status") {
        respond(http::status::ok, server.status_json());
        return;
      }
      if (request.method() == http::verb::get && request.target() == "/hash") {
        respond(http::status::ok, server.hash_json());
        return;
      }
      if (request.method() != http::verb::post || request.target() != "/kv") {
        respond(http::status::not_found, R"({"error":"use POST /kv, GET /status or GET /hash"})");
        return;
      }
      std::optional<KvCommand> command = command_from_json(request.body());
      if (!command) {
        respond(
            http::status::bad_request,
            R"({"error":"body must be {\"op\":\"put|append|get\",\"key\":..,\"value\":..,\"client\":N,\"seq\":N}"})");
        return;
      }
      server.submit(*command, [self = shared_from_this()](Reply reply) {
        json::object o;
        if (reply.status == 200) o["value"] = reply.value;
        if (reply.leader != kNoNode) o["leader"] = reply.leader;
        self->respond(static_cast<http::status>(reply.status), json::serialize(o));
      });
    }
  };

  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), server_)->read();
      accept();
    });
  }

  RaftServer& server_;
  tcp::acceptor acceptor_;
};

// ---------------------------------------------------------------- the node

RaftServer::RaftServer(asio::io_context& io, ServerConfig config)
    : io_(io),
      config_(std::move(config)),
      storage_(config_.data_dir),
      node_(raft_config(config_), storage_.state()),
      transport_(io, config_.id, config_.raft_addresses,
                 [this](Message m) {
                   node_.step(m);
                   schedule_ready();
                 }),
      timer_(io),
      http_(std::make_unique<Http>(io, *this, config_.http_address)) {
  // Rebuild the key-value store from what was committed before a restart:
  // the snapshot first, then the committed entries after it.
  if (const std::optional<Snapshot>& snapshot = node_.raft().snapshot()) {
    restore_kv(*snapshot, (config_.data_dir / "snapshot").string());
  }
  process_ready();
}

RaftServer::~RaftServer() {
  http_->stop();
  transport_.stop();
  timer_.cancel();
}

void RaftServer::start() {
  transport_.start();
  http_->start();
  tick();
}

std::uint16_t RaftServer::http_port() const { return http_->port(); }

void RaftServer::tick() {
  timer_.expires_after(config_.tick);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    node_.tick();
    process_ready();
    // Commands that did not commit in time get an answer anyway.
    auto now = std::chrono::steady_clock::now();
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline < now) {
        it->second.done({504, {}, node_.raft().leader()});
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    tick();
  });
}

void RaftServer::submit(const KvCommand& command, std::function<void(Reply)> done) {
  const Raft& r = node_.raft();
  if (r.role() != Role::kLeader) {
    done({r.leader() == kNoNode ? 503 : 421, {}, r.leader()});
    return;
  }
  if (auto result = kv_.result_of(command.client, command.sequence)) {
    done({200, *result, config_.id});  // a retry of something already applied
    return;
  }
  if (!node_.propose(encode_command(command))) {
    done({503, {}, r.leader()});
    return;
  }
  waiters_.emplace(
      std::make_pair(command.client, command.sequence),
      Waiter{std::chrono::steady_clock::now() + std::chrono::seconds(3), std::move(done)});
  schedule_ready();
}

void RaftServer::schedule_ready() {
  if (ready_scheduled_) return;
  ready_scheduled_ = true;
  boost::asio::post(io_, [this] {
    ready_scheduled_ = false;
    process_ready();
  });
}

void RaftServer::process_ready() {
  while (node_.has_ready()) {
    Ready rd = node_.ready();
    if (rd.snapshot) {
      // The leader's snapshot replaces our state. Restore it before it
      // replaces anything on disk: restore() takes all of it or nothing, so a
      // malformed one stops this node here with its old state still on disk.
      restore_kv(*rd.snapshot, "the snapshot from node " + std::to_string(node_.raft().leader()));
      ++snapshots_installed_;
    }
    // A leader may send its appends before its own disk write (section 10.2.1
    // of Ongaro's dissertation), so that leader and followers fsync at the same
    // time. Safe here because this thread persists before it reads any reply:
    // no follower's answer is counted until the leader's copy is on disk. Not
    // when term or vote changed in this Ready: those must be durable before
    // anyone hears of them.
    const HardState& durable = storage_.hard_state();
    bool send_first = node_.raft().role() == Role::kLeader && !rd.snapshot &&
                      (!rd.hard_state || (rd.hard_state->term == durable.term &&
                                          rd.hard_state->vote == durable.vote));
    if (send_first) {
      for (const Message& m : rd.messages) transport_.send(m);
    }
    storage_.persist(rd);  // 1. durable
    if (!send_first) {
      for (const Message& m : rd.messages) transport_.send(m);  // 2. then tell others
    }
    for (const Entry& e : rd.committed_entries) {  // 3. apply
      if (e.type == EntryType::kConfChange) {
        if (auto change = decode_conf_change(e.data)) node_.apply_conf_change(*change);
        continue;
      }
      std::optional<std::string> result = kv_.apply(e.data);
      std::optional<KvCommand> command = decode_command(e.data);
      if (!result || !command) continue;
      auto [first, last] = waiters_.equal_range({command->client, command->sequence});
      for (auto it = first; it != last; ++it) it->second.done({200, *result, config_.id});
      waiters_.erase(first, last);
    }
    node_.advance(rd);
    maybe_compact();
  }
}

void RaftServer::restore_kv(const Snapshot& snapshot, const std::string& from) {
  try {
    kv_.restore(snapshot.data);
  } catch (const KvSnapshotError& e) {
    throw std::runtime_error(from + " (index " + std::to_string(snapshot.index.value()) +
                             "): " + e.what());
  }
}

void RaftServer::maybe_compact() {
  const RaftLog& log = node_.raft().log();
  if (config_.snapshot_every == 0 ||
      log.applied() - log.snapshot_index() < config_.snapshot_every) {
    return;
  }
  // kv_ holds exactly the entries up to applied(): that is the snapshot's index.
  node_.compact(log.applied(), kv_.snapshot());
  storage_.save_snapshot(*node_.raft().snapshot());
}

std::string RaftServer::status_json() const {
  const Raft& r = node_.raft();
  json::object o;
  o["id"] = config_.id;
  o["role"] = to_string(r.role());
  o["term"] = r.term().value();
  o["leader"] = r.leader();
  o["commit"] = r.log().committed().value();
  o["applied"] = r.log().applied().value();
  o["last"] = r.log().last_index().value();
  o["snapshot"] = r.log().snapshot_index().value();
  o["snapshots_installed"] = snapshots_installed_;
  return json::serialize(o);
}

std::string RaftServer::hash_json() const {
  std::string state = kv_.snapshot();
  json::object o;
  o["applied"] = node_.raft().log().applied().value();
  o["hash"] = ::crc32_z(0L, reinterpret_cast<const Bytef*>(state.data()), state.size());
  return json::serialize(o);
}

}  // namespace uh::raft
