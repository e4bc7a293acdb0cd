// Chapter 08 tests — clients of the replicated key-value store, with a recorded history.
//
// Every node of the simulation runs a KvStore replica, fed with the entries
// that node applies, in the order it applies them. Each client has one
// command outstanding at a time. It proposes it to whichever node leads and
// waits for *that* node to apply it: the answer is what that node's replica
// returned, as RaftServer answers a real client. If no answer comes within a
// while, or the node goes down, the client proposes the same command (same
// client id and sequence number) again, possibly to a new leader; the store's
// sessions make sure it takes effect once.
//
// So the history holds what replicas actually said. A replica that diverged,
// or a read answered from a replica that is behind, shows up as an answer no
// single copy of the data could have given, and the linearizability check
// rejects it.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "raft/kv_store.h"
#include "raft/linearizability.h"
#include "raft/simulation.h"

namespace uh::raft::testing {

class KvClients {
 public:
  /// REQUIRES: `sim` outlives this object, which watches what its nodes apply.
  KvClients(Simulation& sim, int clients, std::vector<std::string> keys, std::uint64_t seed)
      : sim_(sim), keys_(std::move(keys)), rng_(seed) {
    for (int i = 0; i < clients; ++i) {
      Client c;
      c.id = static_cast<std::uint64_t>(i + 1);
      clients_.push_back(c);
    }
    // Catch up with what the nodes applied before the clients arrived, then follow along.
    for (NodeId id : sim_.ids()) {
      if (!sim_.is_up(id)) continue;
      for (const Entry& e : sim_.applied(id)) applied(id, e);
    }
    sim_.on_apply([this](NodeId node, const Entry& e) { applied(node, e); });
  }
  ~KvClients() { sim_.on_apply({}); }
  KvClients(const KvClients&) = delete;
  KvClients& operator=(const KvClients&) = delete;

  /// A bug on purpose, to show that the check catches it: from now on gets are
  /// answered at once by `node`'s replica, from whatever it has applied,
  /// instead of going through the log.
  void serve_reads_locally_from(NodeId node) { local_reads_ = node; }

  /// One tick of client work: collect answers, retry stale commands, start new ones.
  void tick(bool start_new) {
    for (Client& c : clients_) {
      if (c.pending && c.answer) {
        history_.push_back(
            {c.command.op, c.command.key, c.command.value, *c.answer, c.call, sim_.now()});
        c.pending = false;
        c.answer.reset();
      } else if (c.pending &&
                 (c.server == kNoNode || !sim_.is_up(c.server) || sim_.now() - c.last_try >= 30)) {
        submit(c);  // retry, same sequence number
      }
      if (!c.pending && start_new) {
        std::uniform_int_distribution<int> pick(0, 9);
        int r = pick(rng_);
        c.command = KvCommand{
            r < 3 ? KvCommand::Op::kGet : (r < 5 ? KvCommand::Op::kPut : KvCommand::Op::kAppend),
            c.id, ++c.sequence_counter, keys_[rng_() % keys_.size()],
            "c" + std::to_string(c.id) + "." + std::to_string(c.sequence_counter) + ";"};
        if (c.command.op == KvCommand::Op::kGet) c.command.value.clear();
        c.pending = true;
        c.call = sim_.now();
        submit(c);
      }
    }
  }

  /// Runs until every outstanding command has an answer (or `max_ticks` pass).
  bool drain(int max_ticks) {
    for (int t = 0; t < max_ticks; ++t) {
      tick(false);
      if (std::none_of(clients_.begin(), clients_.end(),
                       [](const Client& c) { return c.pending; })) {
        return true;
      }
      sim_.run(1);
    }
    return false;
  }

  const std::vector<KvOperation>& history() const { return history_; }
  /// The replica on `node`: the map its applied entries built.
  const KvStore& replica(NodeId node) const { return replicas_.at(node).store; }
  /// The last index `node`'s replica applied.
  LogIndex replica_applied(NodeId node) const {
    auto it = replicas_.find(node);
    return it == replicas_.end() ? LogIndex() : it->second.applied;
  }

 private:
  struct Client {
    std::uint64_t id = 0;
    std::uint64_t sequence_counter = 0;
    KvCommand command;
    bool pending = false;
    std::uint64_t call = 0;
    std::uint64_t last_try = 0;
    NodeId server = kNoNode;            // the node it proposed to last, waiting for its answer
    std::optional<std::string> answer;  // what that node's replica returned
  };
  struct Replica {
    KvStore store;
    LogIndex applied;
  };

  void submit(Client& c) {
    c.last_try = sim_.now();
    c.server = kNoNode;
    if (local_reads_ != kNoNode && c.command.op == KvCommand::Op::kGet) {
      const auto& data = replicas_[local_reads_].store.data();
      auto it = data.find(c.command.key);
      c.answer = it == data.end() ? "" : it->second;
      return;
    }
    std::optional<NodeId> leader = sim_.leader();
    if (leader && sim_.propose(*leader, encode_command(c.command))) c.server = *leader;
  }

  // Node `node` applied `e`: its replica applies it too, and answers the
  // client waiting on this node for this command, if there is one.
  void applied(NodeId node, const Entry& e) {
    Replica& r = replicas_[node];
    if (e.index == LogIndex(1)) {
      r = Replica{};  // the node restarted: its state machine starts over from the log
    } else if (e.index != r.applied.next()) {
      throw std::logic_error("kv harness: node " + std::to_string(node) + " applied index " +
                             std::to_string(e.index.value()) + " after " +
                             std::to_string(r.applied.value()) +
                             " (the harness rebuilds replicas from the log, not from snapshots)");
    }
    r.applied = e.index;
    std::optional<std::string> result = r.store.apply(e.data);
    std::optional<KvCommand> command = decode_command(e.data);
    if (!result || !command || command->client == 0 || command->client > clients_.size()) return;
    Client& c = clients_[command->client - 1];
    if (c.pending && c.server == node && c.command.sequence == command->sequence && !c.answer) {
      c.answer = *result;
    }
  }

  Simulation& sim_;
  std::vector<std::string> keys_;
  std::mt19937_64 rng_;
  std::vector<Client> clients_;
  std::map<NodeId, Replica> replicas_;
  std::vector<KvOperation> history_;
  NodeId local_reads_ = kNoNode;
};

}  // namespace uh::raft::testing
