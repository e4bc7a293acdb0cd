// raft/simulation.h — a cluster of Raft nodes on a simulated network, in virtual time.
//
// Owns: every node (its RawNode, its MemoryStorage and what it applied), the
// messages in flight and a seeded random generator that decides every drop,
// delay and duplicate. Nothing reads a real clock, so a run is a pure function
// of its seed and the test's calls: a failing test prints its seed and the
// same seed replays the same run.
//
// A crash drops a node's in-memory state and every message to or from it;
// restart() builds a new node from what it persisted. The invariant checker
// runs after every step; when it (or the Raft core) throws, the exception
// leaves with the seed in its message, so even a run that stops halfway
// says how to replay it. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "raft/invariants.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"

namespace uh::raft {

struct NetworkFaults {
  double drop = 0.0;       ///< probability a message is lost
  double duplicate = 0.0;  ///< probability a message is delivered twice
  int min_delay = 1;       ///< ticks in flight, chosen uniformly in [min, max]:
  int max_delay = 1;       ///< a range wider than one reorders messages
};

class Simulation {
 public:
  /// A cluster of `ids`, with `base` as every node's config (id and voters
  /// are filled in) and `seed` deciding all randomness. The voters are
  /// `voters`, or every id when it is empty; the others start outside the
  /// configuration, waiting to be added.
  Simulation(std::vector<NodeId> ids, std::uint64_t seed, Config base = {},
             std::vector<NodeId> voters = {});

  std::uint64_t seed() const { return seed_; }
  void set_faults(const NetworkFaults& faults) { faults_ = faults; }

  /// Only nodes in the same group can talk; nodes in no group talk to no one.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void heal();
  void crash(NodeId id);
  void restart(NodeId id);
  bool is_up(NodeId id) const { return nodes_.at(id).up; }

  /// Advances virtual time by `ticks`: delivers due messages, ticks every
  /// live node, and handles every Ready (persist, send, apply). An
  /// InvariantViolation or std::logic_error from inside is thrown again, with
  /// the same type, its message followed by the seed and how to replay it
  /// (propose, restart, compact_all and check_logs do the same).
  void run(int ticks);

  /// Runs one tick at a time until `done()` holds; false after `max_ticks`.
  bool run_until(const std::function<bool()>& done, int max_ticks);

  /// The live leader with the highest term, if any.
  std::optional<NodeId> leader() const;
  /// Runs until some node leads and a majority of live nodes follow it;
  /// returns it, or nothing after `max_ticks`.
  std::optional<NodeId> wait_for_leader(int max_ticks = 300);

  /// Proposes on `id` (which must be up); the index, or nothing if not leader.
  std::optional<LogIndex> propose(NodeId id, std::string data);
  /// Proposes `data` to whichever node leads, retrying as leadership moves,
  /// until `expected` live nodes have applied it; its index, or nothing
  /// after `max_ticks` (the classic "one" helper of the lab tests).
  std::optional<LogIndex> replicate(const std::string& data, std::size_t expected,
                                    int max_ticks = 1000);
  /// How many nodes applied an entry with `data` at `index`.
  std::size_t applied_count(LogIndex index, const std::string& data) const;
  /// Read points a node has been given (RawNode's Ready::read_states), in order.
  const std::vector<ReadState>& read_states(NodeId id) const { return nodes_.at(id).reads; }
  /// Every node's applied entries, in order.
  const std::vector<Entry>& applied(NodeId id) const { return nodes_.at(id).applied; }
  /// Calls `observer` with each entry a node applies, as it applies it: a
  /// state machine per node can follow along (the key-value tests run one).
  /// Indexes come one after another, except that a restarted node starts
  /// again after its snapshot (or at 1), and a node that installs the
  /// leader's snapshot goes on after that. An empty function stops the calls.
  void on_apply(std::function<void(NodeId, const Entry&)> observer) {
    on_apply_ = std::move(observer);
  }

  RawNode& node(NodeId id) { return *nodes_.at(id).raft; }
  const std::vector<NodeId>& ids() const { return ids_; }
  const InvariantChecker& checker() const { return checker_; }

  /// Virtual time: ticks run so far.
  std::uint64_t now() const { return now_; }

  std::uint64_t messages_delivered() const { return messages_delivered_; }
  std::uint64_t bytes_delivered() const { return bytes_delivered_; }

  /// Compacts every live node's log up to what it applied, keeping snapshots
  /// whose data is the applied count (tests of snapshots and InstallSnapshot).
  void compact_all();

  /// Checks Log Matching across the live nodes now, comparing whole logs pair
  /// by pair. run() does this every 20 ticks; after every step it checks only
  /// what may have changed (InvariantChecker::check_log).
  void check_logs() const;

 private:
  struct NodeSlot {
    std::unique_ptr<RawNode> raft;
    MemoryStorage storage;
    std::vector<Entry> applied;
    std::vector<ReadState> reads;
    bool up = true;
  };
  struct InFlight {
    std::uint64_t deliver_at;
    std::uint64_t sequence;
    Message message;
    bool operator<(const InFlight& o) const {
      return std::tie(deliver_at, sequence) < std::tie(o.deliver_at, o.sequence);
    }
  };

  bool connected(NodeId a, NodeId b) const;
  // Runs `work`; a failure escaping it gets the seed (see run()).
  void annotate_failures(const std::function<void()>& work) const;
  // The invariant checks after node `id` stepped, ticked or proposed.
  void check_node(NodeId id);
  void check_all_logs() const;
  void run_one_tick();
  void handle_ready(NodeId id);
  void enqueue(const Message& m);
  Config config_for(NodeId id) const;

  std::vector<NodeId> ids_;
  std::vector<NodeId> voters_;
  std::uint64_t seed_;
  Config base_;
  std::mt19937_64 rng_;
  NetworkFaults faults_;
  std::map<NodeId, NodeSlot> nodes_;
  std::map<NodeId, int> group_;  // empty map: no partition
  std::set<InFlight> in_flight_;
  std::uint64_t now_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t messages_delivered_ = 0;
  std::uint64_t bytes_delivered_ = 0;
  InvariantChecker checker_;
  std::function<void(NodeId, const Entry&)> on_apply_;
};

}  // namespace uh::raft
