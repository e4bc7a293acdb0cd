// container/cgroup_v1.cc — the legacy (cgroup v1) driver: one directory per
// hierarchy (memory, pids, cpu, freezer), every operation repeated in each.
#include <algorithm>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "container/cgroup.h"
#include "container/cgroup_drivers.h"

namespace uh::container::internal {

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Owns: the group's directory in each v1 hierarchy it uses, and the parents
// it made for them. The limits arrive in v2 terms and are converted here.
class LegacyCgroup final : public CgroupDriver {
 public:
  explicit LegacyCgroup(std::vector<V1Hierarchy> hierarchies) {
    for (V1Hierarchy& h : hierarchies) {
      hierarchies_.push_back({std::move(h.controllers), GroupDir(std::move(h.self_dir))});
    }
  }

  CgroupMode mode() const override { return CgroupMode::kLegacy; }
  void create(const std::string& name) override;
  void open(const std::string& name) override;
  void apply(const CgroupLimits& limits) override;
  void join(pid_t pid) override;
  CgroupStats stats() const override;
  std::vector<pid_t> processes() const override;
  void freeze() override;
  void thaw() override;
  void remove() override;
  std::vector<fs::path> paths() const override;

 private:
  struct Hierarchy {
    std::vector<std::string> controllers;
    GroupDir group;
  };

  // The group's directory in the hierarchy of `controller`. REQUIRES: created.
  fs::path dir(std::string_view controller) const;
  fs::path file(std::string_view controller, std::string_view name) const {
    return dir(controller) / name;
  }

  std::vector<Hierarchy> hierarchies_;
};

fs::path LegacyCgroup::dir(std::string_view controller) const {
  for (const Hierarchy& h : hierarchies_) {
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) == h.controllers.end()) {
      continue;
    }
    if (!h.group.created()) break;
    return h.group.dir();
  }
  throw std::logic_error("cgroup v1: the " + std::string(controller) +
                         " group used before create()");
}

void LegacyCgroup::create(const std::string& name) {
  for (std::size_t i = 0; i < hierarchies_.size(); ++i) {
    try {
      hierarchies_[i].group.create(name);
    } catch (...) {
      // Leave nothing behind: take away the directories made in the others.
      for (std::size_t j = 0; j < i; ++j) hierarchies_[j].group.abandon();
      throw;
    }
  }
}

void LegacyCgroup::open(const std::string& name) {
  for (std::size_t i = 0; i < hierarchies_.size(); ++i) {
    try {
      hierarchies_[i].group.open(name);
    } catch (...) {
      // All or nothing: forget the hierarchies already adopted (nothing to rmdir).
      for (std::size_t j = 0; j < i; ++j)
        hierarchies_[j].group = GroupDir(hierarchies_[j].group.base());
      throw;
    }
  }
}

void LegacyCgroup::apply(const CgroupLimits& limits) {
  // LAB(04.6) Write the limits into the v1 files: memory.limit_in_bytes (and
  // memory.memsw.limit_in_bytes, in an order the kernel accepts), pids.max,
  // cpu.cfs_period_us then cpu.cfs_quota_us, and cpu.shares from the weight.
  const fs::path memory = file("memory", "memory.limit_in_bytes");
  const fs::path memsw = file("memory", "memory.memsw.limit_in_bytes");
  const fs::path pids = file("pids", "pids.max");
  const fs::path period = file("cpu", "cpu.cfs_period_us");
  const fs::path quota = file("cpu", "cpu.cfs_quota_us");
  const fs::path shares = file("cpu", "cpu.shares");
  // Check every value before writing any, so that a bad one changes nothing.
  if (limits.memory_max) check_limit(memory, *limits.memory_max);
  if (limits.pids_max) check_limit(pids, *limits.pids_max);
  if (limits.cpu_quota_us) check_limit(quota, *limits.cpu_quota_us);
  if (limits.cpu_weight) check_weight(shares, *limits.cpu_weight);

  if (limits.memory_max) {
    const std::string value = std::to_string(*limits.memory_max);  // -1 is "none" in v1 too
    if (!fs::exists(memsw)) {
      write_file(memory, value);  // no swap accounting on this kernel
    } else {
      // memsw limits memory plus swap, so setting it to the same value keeps
      // the group out of swap. The kernel insists that memory.limit_in_bytes
      // <= memory.memsw.limit_in_bytes after every write: when raising,
      // move memsw first; when lowering, the memory limit first.
      const std::uint64_t wanted = *limits.memory_max == -1
                                       ? std::numeric_limits<std::int64_t>::max()
                                       : static_cast<std::uint64_t>(*limits.memory_max);
      const bool raising = wanted > read_number_if_exists(memory).value_or(0);
      write_file(raising ? memsw : memory, value);
      write_file(raising ? memory : memsw, value);
    }
  }
  if (limits.pids_max) write_file(pids, max_or_number(*limits.pids_max));
  if (limits.cpu_quota_us) {
    // The period first: the quota is checked against it.
    write_file(period, std::to_string(limits.cpu_period_us));
    write_file(quota, std::to_string(*limits.cpu_quota_us));  // -1 is "none"
  }
  if (limits.cpu_weight) {
    write_file(shares, std::to_string(cpu_weight_to_shares(*limits.cpu_weight)));
  }
  // END LAB
}

void LegacyCgroup::join(pid_t pid) {
  if (pid <= 0)
    throw std::invalid_argument("cgroup v1 join: " + std::to_string(pid) + " is no PID");
  for (const Hierarchy& h : hierarchies_) {
    if (!h.group.created()) throw std::logic_error("cgroup v1: join() before create()");
    write_file(h.group.dir() / "cgroup.procs", std::to_string(pid));
  }
}

CgroupStats LegacyCgroup::stats() const {
  CgroupStats stats;
  stats.memory_current = read_number_if_exists(file("memory", "memory.usage_in_bytes"));
  stats.memory_peak = read_number_if_exists(file("memory", "memory.max_usage_in_bytes"));
  const fs::path oom_control = file("memory", "memory.oom_control");
  if (const std::optional<std::string> text = read_file_if_exists(oom_control)) {
    stats.oom_kills = keyed_value(*text, "oom_kill", oom_control);  // Linux 4.13+
  }
  stats.pids_current = read_number_if_exists(file("pids", "pids.current"));
  return stats;
}

std::vector<pid_t> LegacyCgroup::processes() const {
  // Every hierarchy should hold the same processes; take them all, in case a
  // join stopped halfway.
  std::vector<pid_t> all;
  for (const Hierarchy& h : hierarchies_) {
    if (!h.group.created()) continue;
    const std::vector<pid_t> pids = read_procs(h.group.dir());
    all.insert(all.end(), pids.begin(), pids.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

void LegacyCgroup::freeze() {
  const fs::path state = file("freezer", "freezer.state");
  write_file(state, "FROZEN");
  // It reads FREEZING until every task has stopped.
  if (!wait_until([&] { return trimmed(read_file(state)) == "FROZEN"; })) {
    write_file(state, "THAWED");  // do not leave it half frozen
    throw std::runtime_error(state.string() + " did not read FROZEN within " +
                             std::to_string(kSettleTimeout.count()) + " ms; thawed it again");
  }
}

void LegacyCgroup::thaw() { write_file(file("freezer", "freezer.state"), "THAWED"); }

void LegacyCgroup::remove() {
  if (std::none_of(hierarchies_.begin(), hierarchies_.end(),
                   [](const Hierarchy& h) { return h.group.created(); })) {
    return;  // never made
  }
  const fs::path freezer = dir("freezer");
  if (!processes().empty()) {
    // v1 has no kill file. Freeze first, so that nothing forks or exits while
    // we signal (a frozen process's PID cannot be reused under us); then thaw,
    // because a task the v1 freezer holds acts on SIGKILL only once thawed.
    freeze();
    kill_each(processes(), freezer);
    thaw();
  }
  if (!wait_until([&] { return processes().empty(); })) {
    throw std::runtime_error("cgroup " + freezer.string() + " still holds processes " +
                             std::to_string(kSettleTimeout.count()) + " ms after SIGKILL");
  }
  // Our groups have no children, so each directory goes leaf first (GroupDir
  // removes the leaf, then the parents it made). Try every hierarchy, report the first failure.
  std::exception_ptr first;
  for (Hierarchy& h : hierarchies_) {
    try {
      h.group.remove_dirs();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

std::vector<fs::path> LegacyCgroup::paths() const {
  std::vector<fs::path> paths;
  for (const Hierarchy& h : hierarchies_) {
    if (h.group.created()) paths.push_back(h.group.dir());
  }
  return paths;
}

}  // namespace

std::unique_ptr<CgroupDriver> make_legacy_driver(std::vector<V1Hierarchy> hierarchies) {
  return std::make_unique<LegacyCgroup>(std::move(hierarchies));
}

}  // namespace uh::container::internal
