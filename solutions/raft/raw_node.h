// raft/raw_node.h — the application's handle on Raft: tick, step, propose, Ready, advance.
//
// Owns: a Raft and the record of what the application has been told. The
// contract, once per loop turn:
//
//   if (node.has_ready()) {
//     Ready rd = node.ready();
//     persist rd.hard_state, rd.entries, rd.snapshot   (fsync!)
//     send rd.messages                                  (after persisting)
//     apply rd.committed_entries, hand out rd.read_states
//     node.advance(rd);
//   }
//
// Persist before sending: a vote or an acknowledgement that is sent but not
// on disk could be forgotten in a crash and given twice. Not thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "raft/raft.h"

namespace uh::raft {

/// The role and leader, for the application's information.
struct SoftState {
  NodeId leader = kNoNode;
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

struct Ready {
  std::optional<SoftState> soft_state;   ///< when it changed
  std::optional<HardState> hard_state;   ///< when it changed: persist it
  std::vector<Entry> entries;            ///< append to stable storage (may replace a suffix)
  std::optional<Snapshot> snapshot;      ///< install into storage and the state machine
  std::vector<Entry> committed_entries;  ///< apply to the state machine, in order
  std::vector<Message> messages;         ///< send after persisting
  std::vector<ReadState> read_states;    ///< linearizable read points

  bool empty() const {
    return !soft_state && !hard_state && entries.empty() && !snapshot &&
           committed_entries.empty() && messages.empty() && read_states.empty();
  }
};

class RawNode {
 public:
  RawNode(const Config& config, const PersistedState& state);

  void tick() { raft_.tick(); }
  void step(const Message& m) { raft_.step(m); }
  std::optional<LogIndex> propose(std::string data) { return raft_.propose(std::move(data)); }
  std::optional<LogIndex> propose_conf_change(const ConfChange& c) {
    return raft_.propose_conf_change(c);
  }
  void apply_conf_change(const ConfChange& c) { raft_.apply_conf_change(c); }
  void read_index(std::string context) { raft_.read_index(std::move(context)); }
  void transfer_leadership(NodeId target) { raft_.transfer_leadership(target); }
  void compact(LogIndex index, std::string data) { raft_.compact(index, std::move(data)); }

  bool has_ready() const;
  /// Everything to do now. Call advance(ready) before the next ready().
  Ready ready();
  /// The application persisted, sent and applied what `ready` held.
  void advance(const Ready& ready);

  const Raft& raft() const { return raft_; }

 private:
  Raft raft_;
  HardState last_hard_state_;
  SoftState last_soft_state_;
};

}  // namespace uh::raft
