// raft/raft.h — the Raft consensus algorithm as a deterministic state machine.
//
// Owns: one node's Raft state — term, vote, log, role, and as leader the
// progress of every follower. It does no I/O and reads no clock: time arrives
// as tick(), the network as step(), and everything it wants done leaves
// through the outbox (messages) and the log's marks (entries to persist and to
// apply), which RawNode packs into a Ready. Given the same calls in the same
// order it does exactly the same thing, which is what lets a simulated
// network test it under any schedule and replay a failure from its seed.
//
// The structure follows etcd's raft library; the rules follow the Raft paper
// (Ongaro and Ousterhout, 2014) and Ongaro's dissertation (pre-vote, leader
// transfer, single-server membership change, read index). Not thread-safe.
//
// Invariants. raft/invariants.h checks after every step in tests that terms
// and commit indexes never decrease, commit never passes the last index,
// there is at most one leader per term and committed entries never change.
// The code also keeps, by construction: a vote changes only with the term, a
// leader never truncates its own log, and a leader counts only entries of its
// own term toward commit (section 5.4.2).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "raft/message.h"
#include "raft/raft_log.h"

namespace uh::raft {

struct Config {
  NodeId id = kNoNode;
  Voters voters;  ///< every voter's id, this node included (ignored after a restart with state)
  int election_tick = 10;  ///< ticks without a leader before an election (randomized up to 2x)
  int heartbeat_tick = 1;  ///< ticks between a leader's heartbeats
  bool pre_vote = true;    ///< ask before disrupting: a partitioned node cannot inflate terms
  bool check_quorum =
      true;  ///< a leader that hears from no quorum for an election timeout steps down
  std::size_t max_entries_per_message = 64;
  std::uint64_t seed = 1;  ///< for the randomized election timeout
};

/// What a node persisted: its hard state, its snapshot and the entries after it.
struct PersistedState {
  HardState hard_state;
  std::optional<Snapshot> snapshot;
  std::vector<Entry> entries;
};

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };
std::string to_string(Role role);

/// A leader's view of one follower's log.
struct Progress {
  enum class State {
    kProbe,      ///< next is a guess: send one append at a time and wait
    kReplicate,  ///< the logs agree up to match: stream entries
    kSnapshot,   ///< the follower needs a snapshot; wait until it reports
  };
  LogIndex match;  ///< highest index known to be replicated there
  LogIndex next;   ///< next index to send
  State state = State::kProbe;
  bool probe_sent = false;     ///< in kProbe: an append is in flight
  bool recent_active = false;  ///< heard from it since the last quorum check
  int stalled_heartbeats = 0;  ///< in kReplicate: heartbeat rounds with entries unconfirmed
};

/// A linearizable read point: the application may answer `context`'s read once
/// it has applied up to `index`.
struct ReadState {
  LogIndex index;
  std::string context;
  bool operator==(const ReadState&) const = default;
};

class Raft {
 public:
  /// A node starting from `state` (empty for a fresh node). The configuration
  /// comes from the snapshot when there is one, else from config.voters.
  Raft(const Config& config, const PersistedState& state);

  /// One unit of logical time.
  void tick();
  /// Delivers a message from another node (or a local one, for proposals).
  void step(const Message& message);

  /// Appends `data` to the log if this node is the leader and no leader
  /// transfer is under way; returns the entry's index, or nothing.
  std::optional<LogIndex> propose(std::string data);
  /// Proposes a membership change; refused while another is not yet applied.
  std::optional<LogIndex> propose_conf_change(const ConfChange& change);
  /// The application applied a committed ConfChange entry: change the voters.
  void apply_conf_change(const ConfChange& change);

  /// Asks the leader (this node, or via this node) for a read index; the
  /// answer appears in read_states() with the same context.
  void read_index(std::string context);
  /// Leader only: hand leadership to `target` once its log is up to date.
  void transfer_leadership(NodeId target);

  /// The application has a snapshot of its state up to `index` (<= applied):
  /// drop the log before it. `data` is what a lagging follower will receive.
  void compact(LogIndex index, std::string data);

  NodeId id() const { return id_; }
  Role role() const { return role_; }
  NodeId leader() const { return leader_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  const Voters& voters() const { return voters_; }
  HardState hard_state() const { return {term_, vote_, log_.committed()}; }
  const RaftLog& log() const { return log_; }
  RaftLog& mutable_log() { return log_; }
  const std::map<NodeId, Progress>& progress() const { return progress_; }

  /// Messages produced since the last take; the caller sends them after
  /// persisting (RawNode enforces the order).
  std::vector<Message> take_messages();
  std::vector<ReadState> take_read_states();
  /// A snapshot received from the leader and not yet handed to the application.
  std::optional<Snapshot> take_pending_snapshot();
  /// Whether messages, read states or a received snapshot wait to be taken.
  bool has_output() const {
    return !outbox_.empty() || !read_states_.empty() || pending_snapshot_.has_value();
  }
  /// The latest snapshot this node has (its own compaction or the leader's).
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }

 private:
  // Roles.
  void become_follower(Term term, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term term);
  void campaign(bool pre_vote, bool transfer);

  // Message handling by role.
  void step_leader(const Message& m);
  void step_candidate(const Message& m);
  void step_follower(const Message& m);
  void handle_vote_request(const Message& m);
  void handle_append(const Message& m);
  void handle_snapshot(const Message& m);
  void handle_append_response(const Message& m);

  // Leader helpers.
  void send(Message m);
  void send_append(NodeId to);
  void send_heartbeat(NodeId to, const std::string& context);
  void broadcast_append();
  void broadcast_heartbeat(const std::string& context);
  bool maybe_commit();
  bool quorum_active();
  std::size_t quorum() const { return voters_.size() / 2 + 1; }
  bool is_voter(NodeId id) const;
  void reset_randomized_timeout();
  bool committed_in_current_term() const;

  NodeId id_;
  Config config_;
  Term term_;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Role role_ = Role::kFollower;
  Voters voters_;
  RaftLog log_;
  std::optional<Snapshot> snapshot_;
  std::optional<Snapshot> pending_snapshot_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  std::mt19937_64 rng_;
  LogIndex pending_conf_index_;  // a ConfChange at or below this is not applied yet
  NodeId transfer_target_ = kNoNode;
  // Read index: requests waiting for a quorum of heartbeat acks.
  struct PendingRead {
    LogIndex index;
    NodeId requester;
    std::map<NodeId, bool> acks;
  };
  std::map<std::string, PendingRead> pending_reads_;
  std::deque<std::string> pending_read_order_;
  std::vector<Message> outbox_;
  std::vector<ReadState> read_states_;
};

}  // namespace uh::raft
