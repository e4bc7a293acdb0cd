// Chapter 08 — the TCP transport on loopback: delivery, reconnection, bad frames, backpressure.
#include "raft/tcp_transport.h"

#include <gtest/gtest.h>

#include <chrono>

namespace uh::raft {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

const tcp::endpoint kAnyPort(asio::ip::make_address("127.0.0.1"), 0);

Message message(NodeId from, NodeId to, std::uint64_t term, std::string context = {}) {
  Message m;
  m.type = MessageType::kAppend;
  m.from = from;
  m.to = to;
  m.term = Term(term);
  m.context = std::move(context);
  return m;
}

// Runs `io` until `done` or two seconds pass (bounded: a broken transport fails, not hangs).
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

TEST(TcpTransport, DeliversInOrderBothWays) {
  asio::io_context io;
  std::vector<Message> at_a, at_b;
  TcpTransport a(io, 1, {{1, kAnyPort}, {2, kAnyPort}}, [&](Message m) { at_a.push_back(m); });
  TcpTransport b(io, 2, {{1, kAnyPort}, {2, kAnyPort}}, [&](Message m) { at_b.push_back(m); });
  a.start();
  b.start();
  a.set_address(2, {kAnyPort.address(), b.local_port()});
  b.set_address(1, {kAnyPort.address(), a.local_port()});
  for (int i = 1; i <= 100; ++i) a.send(message(1, 2, i));
  b.send(message(2, 1, 7, "hello"));
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 100 && at_a.size() == 1; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(at_b[i].term, Term(i + 1));
  EXPECT_EQ(at_a[0].context, "hello");
}

TEST(TcpTransport, AQueuedMessageWaitsForAPeerThatStartsLate) {
  asio::io_context io;
  std::vector<Message> at_b;
  // Reserve a port for b by listening on it briefly.
  tcp::acceptor reserve(io, kAnyPort);
  tcp::endpoint b_address(kAnyPort.address(), reserve.local_endpoint().port());
  reserve.close();
  TcpTransport a(io, 1, {{1, kAnyPort}, {2, b_address}}, [](Message) {});
  a.start();
  a.send(message(1, 2, 5));
  io.run_for(std::chrono::milliseconds(300));  // a retries against nobody for a while
  TcpTransport b(io, 2, {{1, kAnyPort}, {2, b_address}}, [&](Message m) { at_b.push_back(m); });
  b.start();
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 1; }));
  EXPECT_EQ(at_b[0].term, Term(5));
}

TEST(TcpTransport, ABadFrameClosesOnlyThatConnection) {
  asio::io_context io;
  std::vector<Message> got;
  TcpTransport b(io, 2, {{1, kAnyPort}, {2, kAnyPort}}, [&](Message m) { got.push_back(m); });
  b.start();
  tcp::endpoint b_address(kAnyPort.address(), b.local_port());
  tcp::socket hostile(io);
  hostile.connect(b_address);
  const std::uint8_t huge[] = {0xff, 0xff, 0xff, 0xff};
  asio::write(hostile, asio::buffer(huge));
  tcp::socket garbage(io);
  garbage.connect(b_address);
  const std::uint8_t junk[] = {0, 0, 0, 3, 1, 2, 3};
  asio::write(garbage, asio::buffer(junk));
  ASSERT_TRUE(run_until(io, [&] { return b.stats().bad_frames == 2; }));
  TcpTransport a(io, 1, {{1, kAnyPort}, {2, b_address}}, [](Message) {});
  a.start();
  a.send(message(1, 2, 9));
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 1; })) << "b stopped serving others";
}

TEST(TcpTransport, ADeadPeersQueueIsCapped) {
  asio::io_context io;
  tcp::acceptor reserve(io, kAnyPort);
  tcp::endpoint nowhere(kAnyPort.address(), reserve.local_endpoint().port());
  reserve.close();
  TcpTransport a(
      io, 1, {{1, kAnyPort}, {2, nowhere}}, [](Message) {}, 4096);
  a.start();
  Message big = message(1, 2, 1);
  big.entries = {{Term(1), LogIndex(1), EntryType::kNormal, std::string(1000, 'x')}};
  for (int i = 0; i < 100; ++i) a.send(big);
  EXPECT_GE(a.stats().dropped, 95u);
  EXPECT_EQ(a.stats().sent, 0u);
}

TEST(TcpTransport, AFrameOverTheCapGoesAloneOnceTheQueueIsEmpty) {
  asio::io_context io;
  std::vector<Message> at_b;
  TcpTransport a(
      io, 1, {{1, kAnyPort}, {2, kAnyPort}}, [](Message) {}, 4096);
  TcpTransport b(io, 2, {{1, kAnyPort}, {2, kAnyPort}}, [&](Message m) { at_b.push_back(m); });
  a.start();
  b.start();
  a.set_address(2, {kAnyPort.address(), b.local_port()});
  // A snapshot bigger than the whole queue: dropped behind other frames, it
  // must still go on its own, or a large store could never be installed.
  Message snapshot = message(1, 2, 3);
  snapshot.type = MessageType::kSnapshot;
  snapshot.snapshot = Snapshot{LogIndex(50), Term(3), {1, 2}, std::string(100'000, 's')};
  a.send(message(1, 2, 1));
  a.send(snapshot);
  EXPECT_EQ(a.stats().dropped, 1u) << "over the cap behind another frame";
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 1; }));
  a.send(snapshot);
  ASSERT_TRUE(run_until(io, [&] { return at_b.size() == 2; }));
  EXPECT_EQ(at_b[1].snapshot, snapshot.snapshot);
}

}  // namespace
}  // namespace uh::raft
