#include "raft/raft.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace uh::raft {

namespace {

Message message_to(MessageType type, NodeId to) {
  Message m;
  m.type = type;
  m.to = to;
  return m;
}

}  // namespace

std::string to_string(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

Raft::Raft(const Config& config, const PersistedState& state)
    : id_(config.id),
      config_(config),
      term_(state.hard_state.term),
      vote_(state.hard_state.vote),
      voters_(state.snapshot ? state.snapshot->voters : config.voters),
      log_(state.snapshot, state.entries, state.hard_state.commit),
      snapshot_(state.snapshot),
      rng_(config.seed * 0x9e3779b97f4a7c15ull + config.id) {
  if (id_ == kNoNode) throw std::invalid_argument("raft: node id 0 is reserved");
  std::sort(voters_.begin(), voters_.end());
  // Committed membership changes after the snapshot are in the log: replay
  // them. Uncommitted ones take effect only when applied, as while running.
  for (const Entry& e : state.entries) {
    if (e.index <= state.hard_state.commit && e.type == EntryType::kConfChange) {
      if (auto change = decode_conf_change(e.data)) apply_conf_change(*change);
    }
  }
  become_follower(term_, kNoNode);
}

// ---------------------------------------------------------------- roles

void Raft::reset(Term term) {
  if (term != term_) {
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_timeout();
  votes_.clear();
  transfer_target_ = kNoNode;
  pending_reads_.clear();
  pending_read_order_.clear();
  progress_.clear();
  for (NodeId v : voters_) {
    Progress p;
    p.next = log_.last_index().next();
    if (v == id_) p.match = log_.last_index();
    progress_[v] = p;
  }
}

void Raft::reset_randomized_timeout() {
  std::uniform_int_distribution<int> spread(0, config_.election_tick - 1);
  randomized_election_timeout_ = config_.election_tick + spread(rng_);
}

void Raft::become_follower(Term term, NodeId leader) {
  reset(term);
  leader_ = leader;
  role_ = Role::kFollower;
}

void Raft::become_pre_candidate() {
  // No term change and no vote: a pre-vote disturbs nobody if it fails.
  votes_.clear();
  leader_ = kNoNode;
  role_ = Role::kPreCandidate;
}

void Raft::become_candidate() {
  reset(term_.next());
  vote_ = id_;
  role_ = Role::kCandidate;
}

void Raft::become_leader() {
  reset(term_);
  leader_ = id_;
  role_ = Role::kLeader;
  // Pending changes in the log may not be applied yet: allow none until then.
  pending_conf_index_ = log_.last_index();
  // A no-op of the new term: committing it commits everything before it
  // (a leader may only count entries of its own term, section 5.4.2).
  Entry noop{term_, log_.last_index().next(), EntryType::kNormal, {}};
  log_.append({noop});
  progress_[id_].match = log_.last_index();
  progress_[id_].next = log_.last_index().next();
  if (voters_.size() == 1) maybe_commit();  // a cluster of one commits at once
  broadcast_append();
}

void Raft::campaign(bool pre_vote, bool transfer) {
  if (!is_voter(id_)) return;  // a removed node never campaigns
  if (pre_vote) {
    become_pre_candidate();
  } else {
    become_candidate();
  }
  Term request_term = pre_vote ? term_.next() : term_;
  votes_[id_] = true;
  if (votes_.size() >= quorum()) {  // a cluster of one
    pre_vote ? campaign(false, transfer) : become_leader();
    return;
  }
  for (NodeId v : voters_) {
    if (v == id_) continue;
    Message m;
    m.type = pre_vote ? MessageType::kPreVote : MessageType::kVote;
    m.to = v;
    m.term = request_term;
    m.index = log_.last_index();
    m.log_term = log_.last_term();
    if (transfer) m.context = "transfer";
    send(m);
  }
}

// ---------------------------------------------------------------- time

void Raft::tick() {
  // LAB(08.6) Leaders count heartbeat and quorum-check timeouts; everyone else
  // counts towards its randomized election timeout and campaigns when it expires.
  if (role_ == Role::kLeader) {
    ++heartbeat_elapsed_;
    ++election_elapsed_;
    if (election_elapsed_ >= config_.election_tick) {
      election_elapsed_ = 0;
      if (config_.check_quorum && !quorum_active()) {
        become_follower(term_, kNoNode);  // cut off from a majority: stop leading
        return;
      }
      transfer_target_ = kNoNode;  // a transfer that did not finish in time is abandoned
    }
    if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
      heartbeat_elapsed_ = 0;
      broadcast_heartbeat("");
    }
    return;
  }
  ++election_elapsed_;
  if (election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    campaign(config_.pre_vote, false);
  }
  // END LAB
}

bool Raft::quorum_active() {
  std::size_t active = 0;
  for (auto& [node, p] : progress_) {
    if (node == id_ || p.recent_active) ++active;
    p.recent_active = false;
  }
  return active >= quorum();
}

// ---------------------------------------------------------------- messages

void Raft::send(Message m) {
  m.from = id_;
  if (m.type != MessageType::kPreVote && m.type != MessageType::kPreVoteResponse &&
      m.type != MessageType::kReadIndex && m.type != MessageType::kReadIndexResponse) {
    m.term = term_;
  }
  outbox_.push_back(std::move(m));
}

void Raft::step(const Message& m) {
  // Terms first (section 5.1): a higher term means this node is behind.
  if (m.term > term_) {
    bool is_vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
    if (is_vote_request && m.context != "transfer" && config_.check_quorum && leader_ != kNoNode &&
        election_elapsed_ < config_.election_tick) {
      // We heard from a live leader recently: a disruptive candidate is
      // ignored, not obeyed (the leader lease of section 6 / 9.6).
      return;
    }
    if (m.type == MessageType::kPreVote) {
      // A pre-vote never changes our term.
    } else if (m.type == MessageType::kPreVoteResponse && !m.reject) {
      // Granted pre-votes carry the term the candidate will use.
    } else if (m.type == MessageType::kAppend || m.type == MessageType::kSnapshot) {
      become_follower(m.term, m.from);
    } else {
      become_follower(m.term, kNoNode);
    }
  } else if (m.term < term_ && m.type != MessageType::kReadIndex &&
             m.type != MessageType::kReadIndexResponse) {
    if (m.type == MessageType::kAppend && (config_.check_quorum || config_.pre_vote)) {
      // A stale leader: tell it our term so it steps down. Without this, with
      // pre-vote on, a node cut off and rejoined could never dislodge it.
      Message reply;
      reply.type = MessageType::kAppendResponse;
      reply.to = m.from;
      send(reply);
    } else if (m.type == MessageType::kPreVote) {
      Message reply;
      reply.type = MessageType::kPreVoteResponse;
      reply.to = m.from;
      reply.term = term_;
      reply.reject = true;
      send(reply);
    }
    return;  // anything else from an old term is ignored
  }

  switch (m.type) {
    case MessageType::kVote:
    case MessageType::kPreVote:
      handle_vote_request(m);
      return;
    default:
      break;
  }
  switch (role_) {
    case Role::kLeader:
      step_leader(m);
      break;
    case Role::kCandidate:
    case Role::kPreCandidate:
      step_candidate(m);
      break;
    case Role::kFollower:
      step_follower(m);
      break;
  }
}

void Raft::handle_vote_request(const Message& m) {
  // LAB(08.3) Grant the vote (or pre-vote) if we have not voted for someone
  // else in this term and the candidate's log is at least as up to date as
  // ours; a real vote is remembered and resets the election timer.
  bool pre = m.type == MessageType::kPreVote;
  // Section 5.2 and 5.4.1: one vote per term, and only for a log at least as
  // up to date as ours. A pre-vote for a future term may be granted freely.
  bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term > term_);
  Message reply;
  reply.type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  reply.to = m.from;
  if (can_vote && log_.is_up_to_date(m.index, m.log_term)) {
    reply.term = m.term;  // a granted pre-vote answers in the candidate's future term
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    reply.term = term_;
    reply.reject = true;
  }
  send(reply);
  // END LAB
}

void Raft::step_candidate(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      become_follower(m.term, m.from);
      handle_append(m);
      return;
    case MessageType::kSnapshot:
      become_follower(m.term, m.from);
      handle_snapshot(m);
      return;
    case MessageType::kPreVoteResponse:
    case MessageType::kVoteResponse: {
      bool wanted = (role_ == Role::kPreCandidate) == (m.type == MessageType::kPreVoteResponse);
      if (!wanted) return;
      votes_.emplace(m.from, !m.reject);
      std::size_t granted = 0, rejected = 0;
      for (auto& [node, yes] : votes_) (yes ? granted : rejected)++;
      if (granted >= quorum()) {
        role_ == Role::kPreCandidate ? campaign(false, false) : become_leader();
      } else if (rejected >= quorum()) {
        become_follower(term_, kNoNode);
      }
      return;
    }
    default:
      return;  // proposals and the rest wait for a leader
  }
}

void Raft::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_append(m);
      return;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_snapshot(m);
      return;
    case MessageType::kTimeoutNow:
      // Leader transfer: start a real election at once, skipping pre-vote.
      if (is_voter(id_)) campaign(false, true);
      return;
    case MessageType::kReadIndex:
      if (leader_ != kNoNode) {
        Message forward = m;
        forward.to = leader_;
        outbox_.push_back(forward);  // keep the original requester in `from`
      }
      return;
    case MessageType::kReadIndexResponse:
      read_states_.push_back({m.index, m.context});
      return;
    default:
      return;
  }
}

void Raft::handle_append(const Message& m) {
  // LAB(08.7) Answer an append: old news gets our commit index; a match is
  // appended and the leader's commit adopted up to what we now hold; a
  // mismatch is refused with a hint of where our logs could agree.
  Message reply;
  reply.type = MessageType::kAppendResponse;
  reply.to = m.from;
  reply.context = m.context;
  if (m.index < log_.committed()) {
    // Old news: everything up to our commit is already agreed.
    reply.index = log_.committed();
    send(reply);
    return;
  }
  if (auto last_new = log_.maybe_append(m.index, m.log_term, m.entries)) {
    // Commit what the leader has committed, but only what we now know to match.
    log_.commit_to(std::min(m.commit, *last_new));
    reply.index = *last_new;
    send(reply);
    return;
  }
  // Reject, with a hint that lets the leader skip a whole term of mismatches
  // at once instead of one entry per round trip.
  reply.reject = true;
  reply.index = m.index;
  LogIndex hint = log_.find_conflict_by_term(std::min(m.index, log_.last_index()), m.log_term);
  reply.reject_hint = hint;
  reply.log_term = log_.term(hint).value_or(Term());
  send(reply);
  // END LAB
}

void Raft::handle_snapshot(const Message& m) {
  Message reply;
  reply.type = MessageType::kAppendResponse;
  reply.to = m.from;
  const Snapshot& s = *m.snapshot;
  if (s.index <= log_.committed()) {
    reply.index = log_.committed();  // nothing new in it
  } else if (log_.match_term(s.index, s.term)) {
    log_.commit_to(s.index);  // we have those entries already
    reply.index = log_.last_index();
  } else {
    log_.restore(s);
    snapshot_ = s;
    pending_snapshot_ = s;
    voters_ = s.voters;
    reply.index = log_.last_index();
  }
  send(reply);
}

void Raft::step_leader(const Message& m) {
  switch (m.type) {
    case MessageType::kAppendResponse:
      handle_append_response(m);
      return;
    case MessageType::kReadIndex: {
      // Section 6.4: remember the commit index, then confirm we are still the
      // leader with a round of heartbeats before answering.
      if (!committed_in_current_term()) return;  // no read point yet; the client retries
      NodeId requester = m.from;
      if (voters_.size() == 1) {
        if (requester == id_) {
          read_states_.push_back({log_.committed(), m.context});
        } else {
          Message reply = message_to(MessageType::kReadIndexResponse, requester);
          reply.index = log_.committed();
          reply.context = m.context;
          send(reply);
        }
        return;
      }
      PendingRead read{log_.committed(), requester, {{id_, true}}};
      pending_reads_[m.context] = read;
      pending_read_order_.push_back(m.context);
      broadcast_heartbeat(m.context);
      return;
    }
    default:
      return;
  }
}

void Raft::handle_append_response(const Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& p = it->second;
  p.recent_active = true;
  if (!m.context.empty()) {
    // A heartbeat ack carrying a read request's context.
    auto read = pending_reads_.find(m.context);
    if (read != pending_reads_.end()) {
      read->second.acks[m.from] = true;
      if (read->second.acks.size() >= quorum()) {
        // Release this read and every one queued before it.
        while (!pending_read_order_.empty()) {
          std::string context = pending_read_order_.front();
          pending_read_order_.pop_front();
          PendingRead done = pending_reads_[context];
          pending_reads_.erase(context);
          if (done.requester == id_) {
            read_states_.push_back({done.index, context});
          } else {
            Message reply = message_to(MessageType::kReadIndexResponse, done.requester);
            reply.index = done.index;
            reply.context = context;
            send(reply);
          }
          if (context == m.context) break;
        }
      }
    }
  }
  if (m.reject) {
    // LAB(08.5) A follower refused: ignore stale answers, then move next back
    // (to match + 1 when streaming, else just past the follower's hint) and probe.
    // m.index is the previous index the follower could not match.
    LogIndex rejected = m.index;
    if (rejected <= p.match) return;  // stale: we know it matches there
    if (p.state == Progress::State::kReplicate) {
      p.next = p.match.next();  // stop streaming, probe from what is known
    } else {
      if (p.next.prev() != rejected) return;  // an answer to an older probe
      // Fast backup: jump to where the follower's hint says the logs can
      // agree, skipping a whole term of mismatched entries per round trip.
      LogIndex hint = m.reject_hint;
      if (m.log_term > Term()) hint = log_.find_conflict_by_term(m.reject_hint, m.log_term);
      p.next = std::max(std::min(rejected, hint.next()), p.match.next());
    }
    p.state = Progress::State::kProbe;
    p.probe_sent = false;
    send_append(m.from);
    return;
    // END LAB
  }
  bool advanced = false;
  if (m.index > p.match) {
    p.match = m.index;
    p.stalled_heartbeats = 0;
    advanced = true;
  }
  if (p.next <= m.index) p.next = m.index.next();
  // Stream only once the follower has confirmed our guess: an ack of an older
  // point (a heartbeat at its match index) says nothing about next.
  if (p.state != Progress::State::kReplicate && m.index.next() >= p.next) {
    p.state = Progress::State::kReplicate;
  }
  p.probe_sent = false;
  if (advanced && maybe_commit()) {
    broadcast_append();
  } else if (p.next <= log_.last_index()) {
    send_append(m.from);
  }
  if (m.from == transfer_target_ && p.match == log_.last_index()) {
    send(message_to(MessageType::kTimeoutNow, m.from));
  }
}

// ---------------------------------------------------------------- leader helpers

void Raft::send_append(NodeId to) {
  Progress& p = progress_.at(to);
  if (p.state == Progress::State::kProbe && p.probe_sent) return;
  LogIndex prev = p.next.prev();
  std::optional<Term> prev_term = log_.term(prev);
  if (!prev_term) {
    // The entries it needs were compacted away: send the snapshot instead.
    if (!snapshot_) return;
    Message m = message_to(MessageType::kSnapshot, to);
    m.snapshot = snapshot_;
    send(m);
    p.state = Progress::State::kSnapshot;
    p.next = snapshot_->index.next();
    return;
  }
  Message m = message_to(MessageType::kAppend, to);
  m.index = prev;
  m.log_term = *prev_term;
  m.entries = log_.entries_from(p.next, config_.max_entries_per_message);
  m.commit = log_.committed();
  if (p.state == Progress::State::kReplicate && !m.entries.empty()) {
    p.next = m.entries.back().index.next();  // optimistic: assume it arrives
  } else if (p.state == Progress::State::kProbe) {
    p.probe_sent = true;
  }
  send(m);
}

void Raft::send_heartbeat(NodeId to, const std::string& context) {
  // An empty append at the follower's match point: it cannot be rejected for
  // a log mismatch, so it only carries the commit and the leader's authority.
  const Progress& p = progress_.at(to);
  Message m = message_to(MessageType::kAppend, to);
  m.index = std::max(std::min(p.match, log_.last_index()), log_.snapshot_index());
  m.log_term = *log_.term(m.index);
  m.commit = std::min(p.match, log_.committed());
  m.context = context;
  send(m);
}

void Raft::broadcast_append() {
  for (auto& [node, p] : progress_) {
    if (node != id_) send_append(node);
  }
}

void Raft::broadcast_heartbeat(const std::string& context) {
  for (auto& [node, p] : progress_) {
    if (node == id_) continue;
    if (context.empty() && p.state == Progress::State::kReplicate && p.match < log_.last_index() &&
        ++p.stalled_heartbeats >= std::max(2, config_.election_tick / 2)) {
      // Everything up to next went out, yet for several heartbeats the
      // follower has confirmed none of it: the appends were lost (a dropped
      // connection loses its queue). Probe again from what is known, or they
      // would be resent only when a new entry is proposed.
      p.stalled_heartbeats = 0;
      p.state = Progress::State::kProbe;
      p.next = p.match.next();
    }
    if (context.empty() && p.next <= log_.last_index()) {
      p.probe_sent = false;
      send_append(node);  // behind: the heartbeat doubles as a retry
    } else {
      send_heartbeat(node, context);
    }
  }
}

bool Raft::maybe_commit() {
  // LAB(08.4) Commit the highest index a majority of voters has matched, but
  // only if that entry is from the current term (Figure 8).
  // The highest index a majority of voters holds...
  std::vector<LogIndex> matches;
  for (NodeId v : voters_) matches.push_back(progress_.at(v).match);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  LogIndex candidate = matches[quorum() - 1];
  // ...counts only if it is from this term (Figure 8: an old-term entry on a
  // majority can still be overwritten; one from this term cannot).
  if (candidate > log_.committed() && log_.term(candidate) == term_) {
    log_.commit_to(candidate);
    return true;
  }
  return false;
  // END LAB
}

bool Raft::committed_in_current_term() const { return log_.term(log_.committed()) == term_; }

bool Raft::is_voter(NodeId id) const {
  return std::find(voters_.begin(), voters_.end(), id) != voters_.end();
}

// ---------------------------------------------------------------- application calls

std::optional<LogIndex> Raft::propose(std::string data) {
  if (role_ != Role::kLeader || transfer_target_ != kNoNode) return std::nullopt;
  Entry e{term_, log_.last_index().next(), EntryType::kNormal, std::move(data)};
  log_.append({e});
  progress_[id_].match = e.index;
  progress_[id_].next = e.index.next();
  if (voters_.size() == 1) maybe_commit();
  broadcast_append();
  return e.index;
}

std::optional<LogIndex> Raft::propose_conf_change(const ConfChange& change) {
  if (role_ != Role::kLeader || transfer_target_ != kNoNode) return std::nullopt;
  if (pending_conf_index_ > log_.applied()) return std::nullopt;  // one at a time
  Entry e{term_, log_.last_index().next(), EntryType::kConfChange, encode_conf_change(change)};
  log_.append({e});
  pending_conf_index_ = e.index;
  progress_[id_].match = e.index;
  progress_[id_].next = e.index.next();
  if (voters_.size() == 1) maybe_commit();
  broadcast_append();
  return e.index;
}

void Raft::apply_conf_change(const ConfChange& change) {
  if (change.kind == ConfChange::Kind::kAddNode) {
    if (!is_voter(change.node)) {
      voters_.push_back(change.node);
      std::sort(voters_.begin(), voters_.end());
      Progress p;
      p.next = log_.last_index().next();
      progress_.emplace(change.node, p);
    }
  } else {
    voters_.erase(std::remove(voters_.begin(), voters_.end(), change.node), voters_.end());
    progress_.erase(change.node);
    if (change.node == id_ && role_ == Role::kLeader) {
      become_follower(term_, kNoNode);  // removed: step down
      return;
    }
  }
  // Fewer voters may mean a smaller majority is already there.
  if (role_ == Role::kLeader && !voters_.empty() && maybe_commit()) broadcast_append();
}

void Raft::read_index(std::string context) {
  Message m = message_to(MessageType::kReadIndex, id_);
  m.from = id_;
  m.context = std::move(context);
  m.term = term_;
  if (role_ == Role::kLeader) {
    step_leader(m);
  } else if (leader_ != kNoNode) {
    m.to = leader_;
    outbox_.push_back(m);
  }
}

void Raft::transfer_leadership(NodeId target) {
  if (role_ != Role::kLeader || target == id_ || !progress_.count(target)) return;
  transfer_target_ = target;
  election_elapsed_ = 0;  // the transfer must finish within an election timeout
  if (progress_.at(target).match == log_.last_index()) {
    send(message_to(MessageType::kTimeoutNow, target));
  } else {
    send_append(target);
  }
}

void Raft::compact(LogIndex index, std::string data) {
  Term t = *log_.term(index);
  log_.compact(index);
  snapshot_ = Snapshot{index, t, voters_, std::move(data)};
}

std::vector<Message> Raft::take_messages() { return std::exchange(outbox_, {}); }
std::vector<ReadState> Raft::take_read_states() { return std::exchange(read_states_, {}); }
std::optional<Snapshot> Raft::take_pending_snapshot() {
  return std::exchange(pending_snapshot_, std::nullopt);
}

}  // namespace uh::raft
