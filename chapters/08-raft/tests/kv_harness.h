// Chapter 08 tests — clients of the replicated key-value store, with a recorded history.
//
// Each client has one command outstanding at a time. It proposes it to
// whichever node leads, and if no answer comes within a while it proposes the
// same command (same client id and sequence number) again, possibly to a new
// leader: the store's sessions make sure it takes effect once. The answer is
// read from the committed log, replayed into a KvStore, the same way every
// replica computes it.
#pragma once

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "raft/kv_store.h"
#include "raft/linearizability.h"
#include "raft/simulation.h"

namespace uh::raft::testing {

class KvClients {
 public:
  KvClients(Simulation& sim, int clients, std::vector<std::string> keys, std::uint64_t seed)
      : sim_(sim), keys_(std::move(keys)), rng_(seed) {
    for (int i = 0; i < clients; ++i) {
      Client c;
      c.id = static_cast<std::uint64_t>(i + 1);
      clients_.push_back(c);
    }
  }

  /// One tick of client work: start new commands, retry stale ones, collect answers.
  void tick(bool start_new) {
    catch_up();
    for (Client& c : clients_) {
      if (c.pending) {
        if (auto result = truth_.result_of(c.id, c.command.sequence)) {
          KvOperation op{c.command.op, c.command.key, c.command.value, *result, c.call, sim_.now()};
          history_.push_back(op);
          c.pending = false;
        } else if (sim_.now() - c.last_try >= 30) {
          submit(c);  // retry, same sequence number
        }
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
  const KvStore& truth() const { return truth_; }

 private:
  struct Client {
    std::uint64_t id = 0;
    std::uint64_t sequence_counter = 0;
    KvCommand command;
    bool pending = false;
    std::uint64_t call = 0;
    std::uint64_t last_try = 0;
  };

  void submit(Client& c) {
    c.last_try = sim_.now();
    if (auto leader = sim_.leader()) sim_.propose(*leader, encode_command(c.command));
  }

  // Applies newly committed entries, in index order, to the reference store.
  void catch_up() {
    const auto& committed = sim_.checker().committed();
    for (auto it = committed.upper_bound(applied_); it != committed.end(); ++it) {
      if (it->first != applied_.next()) break;  // wait for the gap to be observed
      truth_.apply(it->second.data);
      applied_ = it->first;
    }
  }

  Simulation& sim_;
  std::vector<std::string> keys_;
  std::mt19937_64 rng_;
  std::vector<Client> clients_;
  std::vector<KvOperation> history_;
  KvStore truth_;
  LogIndex applied_;
};

}  // namespace uh::raft::testing
