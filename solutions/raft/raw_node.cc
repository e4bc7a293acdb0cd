#include "raft/raw_node.h"

namespace uh::raft {

namespace {
constexpr std::size_t kMaxCommittedPerReady = 256;
}

RawNode::RawNode(const Config& config, const PersistedState& state)
    : raft_(config, state), last_hard_state_(state.hard_state) {
  last_soft_state_ = {raft_.leader(), raft_.role()};
}

bool RawNode::has_ready() const {
  const RaftLog& log = raft_.log();
  return raft_.hard_state() != last_hard_state_ ||
         SoftState{raft_.leader(), raft_.role()} != last_soft_state_ ||
         log.stable() < log.last_index() || log.applied() < log.committed() || raft_.has_output();
}

Ready RawNode::ready() {
  Ready rd;
  Raft& r = raft_;
  SoftState soft{r.leader(), r.role()};
  if (soft != last_soft_state_) rd.soft_state = soft;
  if (r.hard_state() != last_hard_state_) rd.hard_state = r.hard_state();
  rd.snapshot = r.take_pending_snapshot();
  rd.entries = r.log().unstable_entries();
  rd.committed_entries = r.log().next_committed_entries(kMaxCommittedPerReady);
  rd.messages = r.take_messages();
  rd.read_states = r.take_read_states();
  return rd;
}

void RawNode::advance(const Ready& rd) {
  if (rd.soft_state) last_soft_state_ = *rd.soft_state;
  if (rd.hard_state) last_hard_state_ = *rd.hard_state;
  RaftLog& log = raft_.mutable_log();
  if (!rd.entries.empty()) log.stable_to(rd.entries.back().index);
  if (!rd.committed_entries.empty()) log.applied_to(rd.committed_entries.back().index);
}

}  // namespace uh::raft
