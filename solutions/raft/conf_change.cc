#include <string>

#include "raft/message.h"

namespace uh::raft {

std::string encode_conf_change(const ConfChange& change) {
  return (change.kind == ConfChange::Kind::kAddNode ? "add " : "remove ") +
         std::to_string(change.node);
}

std::optional<ConfChange> decode_conf_change(const std::string& data) {
  ConfChange change;
  std::string number;
  if (data.rfind("add ", 0) == 0) {
    change.kind = ConfChange::Kind::kAddNode;
    number = data.substr(4);
  } else if (data.rfind("remove ", 0) == 0) {
    change.kind = ConfChange::Kind::kRemoveNode;
    number = data.substr(7);
  } else {
    return std::nullopt;
  }
  if (number.empty() || number.size() > 19 ||
      number.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  change.node = std::stoull(number);
  if (change.node == kNoNode) return std::nullopt;
  return change;
}

std::string to_string(MessageType type) {
  switch (type) {
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResponse:
      return "VoteResponse";
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResponse:
      return "AppendResponse";
    case MessageType::kSnapshot:
      return "Snapshot";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResponse:
      return "ReadIndexResponse";
  }
  return "unknown";
}

}  // namespace uh::raft
