#include "local_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace uh::raft::local {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::ip::tcp;

std::vector<std::uint16_t> free_ports(std::size_t count) {
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::acceptor>> held;  // all held open until every one is chosen
  std::vector<std::uint16_t> ports;
  std::mt19937 rng(
      static_cast<unsigned>(::getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  for (int tries = 0; ports.size() < count; ++tries) {
    if (tries > 10000) throw std::runtime_error("no free TCP ports between 20000 and 32000");
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

pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("could not start " + argv[0] + ": " + std::strerror(rc));
  }
  return pid;
}

void stop_process(pid_t pid, int signal) {
  if (pid <= 0) return;
  ::kill(pid, signal);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::string tail_of(const std::filesystem::path& file, std::size_t bytes) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

// ------------------------------------------------------------ HTTP client

HttpConnection::HttpConnection(std::uint16_t port, std::chrono::milliseconds limit)
    : port_(port), limit_(limit) {}

std::optional<HttpReply> HttpConnection::request(http::verb verb, const std::string& target,
                                                 const std::string& body) {
  bool reused = stream_.has_value();
  if (auto reply = attempt(verb, target, body)) return reply;
  // A kept-alive connection the server has since closed fails on first use:
  // that one failure earns a fresh connection.
  return reused ? attempt(verb, target, body) : std::nullopt;
}

std::optional<HttpReply> HttpConnection::attempt(http::verb verb, const std::string& target,
                                                 const std::string& body) {
  try {
    if (!stream_) {
      stream_.emplace(io_);
      stream_->expires_after(limit_);
      stream_->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
      buffer_.clear();
    }
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    stream_->expires_after(limit_);
    http::write(*stream_, req);
    http::response<http::string_body> res;
    http::read(*stream_, buffer_, res);
    if (!res.keep_alive()) stream_.reset();
    HttpReply reply{static_cast<int>(res.result_int()), nullptr};
    boost::system::error_code ec;
    json::value parsed = json::parse(res.body(), ec);
    if (!ec) reply.body = std::move(parsed);
    return reply;
  } catch (const std::exception&) {
    stream_.reset();
    return std::nullopt;
  }
}

std::optional<HttpReply> http_request(std::uint16_t port, http::verb verb,
                                      const std::string& target, const std::string& body) {
  HttpConnection connection(port);
  return connection.request(verb, target, body);
}

// ------------------------------------------------------------ the cluster

NodeCluster::NodeCluster(std::filesystem::path node_binary, std::filesystem::path dir,
                         std::size_t size, std::vector<std::string> node_flags)
    : binary_(std::move(node_binary)), dir_(std::move(dir)), node_flags_(std::move(node_flags)) {
  std::filesystem::create_directories(dir_);
  std::vector<std::uint16_t> ports = free_ports(2 * size);
  for (std::uint64_t id = 1; id <= size; ++id) {
    std::uint16_t raft_port = ports[2 * (id - 1)];
    http_port_[id] = ports[2 * (id - 1) + 1];
    if (!cluster_.empty()) cluster_ += ",";
    cluster_ += std::to_string(id) + "=127.0.0.1:" + std::to_string(raft_port) + ":" +
                std::to_string(http_port_[id]);
  }
}

NodeCluster::~NodeCluster() {
  for (auto& [id, pid] : pid_) stop_process(pid, SIGKILL);
}

void NodeCluster::start(std::uint64_t id) {
  if (running(id)) return;
  std::vector<std::string> argv{binary_.string(), "--id", std::to_string(id)};
  argv.insert(argv.end(), {"--data", data_dir(id).string(), "--cluster", cluster_});
  argv.insert(argv.end(), node_flags_.begin(), node_flags_.end());
  pid_[id] = spawn(argv, log_path(id));
}

void NodeCluster::stop(std::uint64_t id, int signal) {
  auto it = pid_.find(id);
  if (it == pid_.end()) return;
  stop_process(it->second, signal);  // only a process this cluster started, by PID
  pid_.erase(it);
}

bool NodeCluster::running(std::uint64_t id) const { return pid_.count(id) != 0; }

pid_t NodeCluster::pid(std::uint64_t id) const {
  auto it = pid_.find(id);
  return it == pid_.end() ? 0 : it->second;
}

std::filesystem::path NodeCluster::log_path(std::uint64_t id) const {
  return dir_ / ("node" + std::to_string(id) + ".log");
}

std::filesystem::path NodeCluster::data_dir(std::uint64_t id) const {
  return dir_ / ("node" + std::to_string(id));
}

std::optional<json::object> NodeCluster::status(std::uint64_t id) const {
  if (!running(id)) return std::nullopt;
  auto reply = http_request(http_port_.at(id), http::verb::get, "/status");
  if (!reply || !reply->body.is_object()) return std::nullopt;
  return reply->body.as_object();
}

std::optional<std::uint64_t> NodeCluster::leader(std::chrono::milliseconds within) const {
  auto deadline = std::chrono::steady_clock::now() + within;
  do {
    std::map<std::uint64_t, std::size_t> named;
    for (auto& [id, pid] : pid_) {
      if (auto s = status(id)) {
        if (auto l = s->at("leader").to_number<std::uint64_t>(); l != 0) ++named[l];
      }
    }
    for (auto [l, n] : named) {
      if (2 * n > pid_.size() && running(l)) return l;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

}  // namespace uh::raft::local
