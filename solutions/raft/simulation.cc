#include "raft/simulation.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

#include "support/todo.h"

namespace uh::raft {

namespace {

std::uint64_t message_bytes(const Message& m) {
  std::uint64_t bytes = 64;  // a fixed header, as a real encoding would have
  for (const Entry& e : m.entries) bytes += 24 + e.data.size();
  if (m.snapshot) bytes += m.snapshot->data.size() + 8 * m.snapshot->voters.size();
  return bytes + m.context.size();
}

// What a failure says after its own message: enough to run it again.
std::string with_replay(const char* what, std::uint64_t seed) {
  return std::string(what) + " [simulation seed " + std::to_string(seed) +
         ": replay with UH_RAFT_SEED=" + std::to_string(seed) + "]";
}

}  // namespace

void Simulation::annotate_failures(const std::function<void()>& work) const {
  try {
    work();
  } catch (const uh::Todo&) {
    throw;  // a lab stub: its message names the TODO, and that is what the reader needs
  } catch (const InvariantViolation& e) {
    throw InvariantViolation(with_replay(e.what(), seed_));
  } catch (const std::logic_error& e) {
    throw std::logic_error(with_replay(e.what(), seed_));
  }
}

void Simulation::check_node(NodeId id) {
  const Raft& r = nodes_.at(id).raft->raft();
  checker_.observe(r);
  checker_.check_log(r);
}

Simulation::Simulation(std::vector<NodeId> ids, std::uint64_t seed, Config base,
                       std::vector<NodeId> voters)
    : ids_(std::move(ids)), voters_(std::move(voters)), seed_(seed), base_(base), rng_(seed) {
  std::sort(ids_.begin(), ids_.end());
  if (voters_.empty()) voters_ = ids_;
  for (NodeId id : ids_) {
    NodeSlot slot;
    slot.raft = std::make_unique<RawNode>(config_for(id), PersistedState{});
    nodes_.emplace(id, std::move(slot));
  }
}

Config Simulation::config_for(NodeId id) const {
  Config c = base_;
  c.id = id;
  c.voters = voters_;
  c.seed = seed_;
  return c;
}

void Simulation::partition(const std::vector<std::vector<NodeId>>& groups) {
  group_.clear();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (NodeId id : groups[g]) group_[id] = static_cast<int>(g);
  }
  for (NodeId id : ids_) group_.try_emplace(id, -1 - static_cast<int>(id));  // alone
}

void Simulation::heal() { group_.clear(); }

bool Simulation::connected(NodeId a, NodeId b) const {
  if (!nodes_.at(a).up || !nodes_.at(b).up) return false;
  if (group_.empty()) return true;
  return group_.at(a) == group_.at(b);
}

void Simulation::crash(NodeId id) {
  NodeSlot& slot = nodes_.at(id);
  slot.up = false;
  slot.raft.reset();
  // Messages already on the wire to or from it are lost with it.
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    it = (it->message.to == id || it->message.from == id) ? in_flight_.erase(it) : std::next(it);
  }
}

void Simulation::restart(NodeId id) {
  annotate_failures([&] {
    NodeSlot& slot = nodes_.at(id);
    if (slot.up) crash(id);
    PersistedState state = slot.storage.state();
    slot.raft = std::make_unique<RawNode>(config_for(id), state);
    slot.up = true;
    // The state machine is rebuilt from the snapshot and the log: what it
    // applied before the crash is applied again, in the same order.
    slot.applied.clear();
    checker_.restarted(id);
    checker_.check_log(slot.raft->raft());  // what it persisted must match too
  });
}

void Simulation::enqueue(const Message& m) {
  if (!connected(m.from, m.to)) return;
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  if (chance(rng_) < faults_.drop) return;
  int copies = chance(rng_) < faults_.duplicate ? 2 : 1;
  for (int c = 0; c < copies; ++c) {
    std::uniform_int_distribution<int> delay(faults_.min_delay, faults_.max_delay);
    in_flight_.insert({now_ + static_cast<std::uint64_t>(delay(rng_)), sequence_++, m});
  }
}

void Simulation::handle_ready(NodeId id) {
  NodeSlot& slot = nodes_.at(id);
  RawNode& node = *slot.raft;
  while (node.has_ready()) {
    Ready rd = node.ready();
    slot.storage.persist(rd);                         // persist first...
    for (const Message& m : rd.messages) enqueue(m);  // ...then send
    slot.reads.insert(slot.reads.end(), rd.read_states.begin(), rd.read_states.end());
    if (rd.snapshot) {
      // The state machine jumps to the snapshot: entries before it count as applied.
      slot.applied.clear();
    }
    for (const Entry& e : rd.committed_entries) {
      checker_.applied(id, e);
      slot.applied.push_back(e);
      if (on_apply_) on_apply_(id, e);
      if (e.type == EntryType::kConfChange) {
        if (auto change = decode_conf_change(e.data)) node.apply_conf_change(*change);
      }
    }
    node.advance(rd);
    checker_.observe(node.raft());
  }
}

void Simulation::run(int ticks) {
  annotate_failures([&] {
    for (int t = 0; t < ticks; ++t) run_one_tick();
  });
}

void Simulation::run_one_tick() {
  ++now_;
  while (!in_flight_.empty() && in_flight_.begin()->deliver_at <= now_) {
    InFlight next = *in_flight_.begin();
    in_flight_.erase(in_flight_.begin());
    const Message& m = next.message;
    if (!connected(m.from, m.to)) continue;  // partitioned while in flight
    ++messages_delivered_;
    bytes_delivered_ += message_bytes(m);
    nodes_.at(m.to).raft->step(m);
    check_node(m.to);
    handle_ready(m.to);
  }
  for (NodeId id : ids_) {
    if (!nodes_.at(id).up) continue;
    nodes_.at(id).raft->tick();
    check_node(id);
    handle_ready(id);
  }
  // check_node() looks only at what may have changed; this looks at everything.
  if (now_ % 20 == 0) check_all_logs();
}

bool Simulation::run_until(const std::function<bool()>& done, int max_ticks) {
  for (int t = 0; t < max_ticks; ++t) {
    if (done()) return true;
    run(1);
  }
  return done();
}

void Simulation::check_logs() const {
  annotate_failures([&] { check_all_logs(); });
}

void Simulation::check_all_logs() const {
  std::vector<const Raft*> live;
  for (NodeId id : ids_) {
    if (nodes_.at(id).up) live.push_back(&nodes_.at(id).raft->raft());
  }
  checker_.check_log_matching(live);
}

std::optional<NodeId> Simulation::leader() const {
  std::optional<NodeId> best;
  Term best_term;
  for (NodeId id : ids_) {
    const NodeSlot& slot = nodes_.at(id);
    if (!slot.up) continue;
    const Raft& r = slot.raft->raft();
    if (r.role() == Role::kLeader && (!best || r.term() > best_term)) {
      best = id;
      best_term = r.term();
    }
  }
  return best;
}

std::optional<NodeId> Simulation::wait_for_leader(int max_ticks) {
  for (int t = 0; t < max_ticks; t += 5) {
    run(5);
    std::optional<NodeId> l = leader();
    if (!l) continue;
    Term term = nodes_.at(*l).raft->raft().term();
    // Count only nodes that can reach it: a leader cut off from the majority
    // may still be "followed" by nodes that have not noticed yet.
    std::size_t following = 0;
    for (NodeId id : ids_) {
      if (id != *l && !connected(id, *l)) continue;
      const Raft& r = nodes_.at(id).raft->raft();
      if (r.term() == term && r.leader() == *l) ++following;
    }
    if (following > nodes_.at(*l).raft->raft().voters().size() / 2) return l;
  }
  return std::nullopt;
}

std::optional<LogIndex> Simulation::propose(NodeId id, std::string data) {
  NodeSlot& slot = nodes_.at(id);
  if (!slot.up) return std::nullopt;
  std::optional<LogIndex> index;
  annotate_failures([&] {
    index = slot.raft->propose(std::move(data));
    check_node(id);
    handle_ready(id);
  });
  return index;
}

std::size_t Simulation::applied_count(LogIndex index, const std::string& data) const {
  std::size_t n = 0;
  for (NodeId id : ids_) {
    for (const Entry& e : nodes_.at(id).applied) {
      if (e.index == index && e.data == data) ++n;
    }
  }
  return n;
}

std::optional<LogIndex> Simulation::replicate(const std::string& data, std::size_t expected,
                                              int max_ticks) {
  int elapsed = 0;
  while (elapsed < max_ticks) {
    std::optional<LogIndex> index;
    for (NodeId id : ids_) {
      if (nodes_.at(id).up && nodes_.at(id).raft->raft().role() == Role::kLeader) {
        index = propose(id, data);
        if (index) break;
      }
    }
    if (!index) {
      run(5);
      elapsed += 5;
      continue;
    }
    // Give it about two maximum election timeouts to reach `expected` nodes before retrying.
    for (int waited = 0; waited < 40 * base_.election_tick / 10 && elapsed < max_ticks; ++waited) {
      run(1);
      ++elapsed;
      if (applied_count(*index, data) >= expected) return index;
    }
  }
  return std::nullopt;
}

void Simulation::compact_all() {
  annotate_failures([&] {
    for (NodeId id : ids_) {
      NodeSlot& slot = nodes_.at(id);
      if (!slot.up) continue;
      const Raft& r = slot.raft->raft();
      LogIndex applied = r.log().applied();
      if (applied <= r.log().snapshot_index()) continue;
      slot.raft->compact(applied, "applied through " + std::to_string(applied.value()));
      slot.storage.save_snapshot(*slot.raft->raft().snapshot());
      check_node(id);
    }
  });
}

}  // namespace uh::raft
