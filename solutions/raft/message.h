// raft/message.h — entries, messages and the state Raft must persist.
//
// Owns: plain values. These are what a Ready hands out: entries to write,
// messages to send. A transport serialises them (see codec.h); the core never
// does I/O itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "raft/types.h"

namespace uh::raft {

enum class EntryType {
  kNormal,      ///< application data (or empty: a new leader's no-op)
  kConfChange,  ///< data is a ConfChange: add or remove one voter
};

struct Entry {
  Term term;
  LogIndex index;
  EntryType type = EntryType::kNormal;
  std::string data;
  bool operator==(const Entry&) const = default;
};

/// Single-server membership change (Ongaro's dissertation, section 4.1): one
/// voter added or removed at a time, so old and new majorities always overlap.
struct ConfChange {
  enum class Kind { kAddNode, kRemoveNode };
  Kind kind = Kind::kAddNode;
  NodeId node = kNoNode;
  bool operator==(const ConfChange&) const = default;
};

std::string encode_conf_change(const ConfChange& change);
std::optional<ConfChange> decode_conf_change(const std::string& data);

/// The voters of a configuration, in increasing id order.
using Voters = std::vector<NodeId>;

/// What a snapshot stands for: every entry up to `index` applied, giving `data`.
struct Snapshot {
  LogIndex index;
  Term term;
  Voters voters;     ///< the configuration as of `index`
  std::string data;  ///< the state machine's serialised state
  bool operator==(const Snapshot&) const = default;
};

/// The state that must be on stable storage before any message is sent.
struct HardState {
  Term term;
  NodeId vote = kNoNode;
  LogIndex commit;
  bool operator==(const HardState&) const = default;
};

enum class MessageType {
  kPreVote,  ///< "would you vote for me?", without changing terms
  kPreVoteResponse,
  kVote,  ///< RequestVote
  kVoteResponse,
  kAppend,  ///< AppendEntries (also the heartbeat when empty)
  kAppendResponse,
  kSnapshot,    ///< InstallSnapshot
  kTimeoutNow,  ///< leader transfer: "start an election now"
  kReadIndex,   ///< a follower asks the leader for a read index
  kReadIndexResponse,
};

std::string to_string(MessageType type);

struct Message {
  MessageType type = MessageType::kAppend;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term;
  /// kAppend: term and index of the entry before `entries`.
  /// kVote/kPreVote: the candidate's last log term and index.
  Term log_term;
  LogIndex index;
  std::vector<Entry> entries;
  LogIndex commit;
  /// kAppendResponse: false = accepted up to `index`; true = rejected, and
  /// `reject_hint`/`log_term` say where the follower's log could match.
  bool reject = false;
  LogIndex reject_hint;
  std::optional<Snapshot> snapshot;
  /// kReadIndex and the heartbeats confirming it: an opaque request id.
  std::string context;
  bool operator==(const Message&) const = default;
};

}  // namespace uh::raft
