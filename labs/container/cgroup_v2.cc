// Your workspace for chapter 04: write the code where the LAB markers are.
// Made from solutions/container/cgroup_v2.cc by ci/labgen.py; `./lab test 04` checks your work,
// `./lab hint 04` helps, `./lab reset 04` brings this skeleton back.
// container/cgroup_v2.cc — the unified (cgroup v2) driver: one directory in
// one tree, every controller's files side by side.
#include <cerrno>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "container/cgroup.h"
#include "container/cgroup_drivers.h"
#include "support/sys_error.h"
#include "support/todo.h"

namespace uh::container::internal {

namespace {

// The controllers whose files apply() writes, in the order we enable them.
constexpr std::string_view kControllers[] = {"memory", "pids", "cpu"};

bool has_word(std::string_view text, std::string_view word) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find_first_of(" \n", start);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(start, end - start) == word) return true;
    start = end + 1;
  }
  return false;
}

// Makes kControllers available to the children of `parent` (writes
// "+memory +pids +cpu" to its cgroup.subtree_control), so that the group we
// make below it gets memory.max, pids.max and cpu.max.
//
// The no-internal-processes rule (cgroup-v2.rst, "No Internal Process
// Constraint") lets a non-root group enable controllers for its children only
// while it holds no processes itself. The first `parent` is this process's own
// group, which holds at least us. So we write only what is available there and
// not enabled yet: when its manager has enabled them already (systemd with
// Delegate=yes, or the tree's root, which the rule exempts) nothing is written
// and nothing can fail. When the kernel does answer EBUSY we do not tolerate
// it, which would only defer the failure to a puzzling ENOENT on memory.max in
// apply(); nor do we move this process into a leaf ourselves, which would
// change /proc/self/cgroup under the launcher's feet in a group it may merely
// have been placed in. We throw, and the message says how to set things up.
// The parents below that one (such as "uh-test") are ours and hold no
// processes, so enabling there always works.
void enable_controllers(const fs::path& parent) {
  // No cgroup.controllers: nothing to enable (a fake tree's fresh directory).
  const std::optional<std::string> available = read_file_if_exists(parent / "cgroup.controllers");
  if (!available) return;
  const fs::path subtree = parent / "cgroup.subtree_control";
  const std::string enabled = read_file_if_exists(subtree).value_or("");
  std::string request;
  for (std::string_view controller : kControllers) {
    if (has_word(*available, controller) && !has_word(enabled, controller)) {
      if (!request.empty()) request += ' ';
      request += '+';
      request += controller;
    }
  }
  if (request.empty()) return;
  try {
    write_file(subtree, request);
  } catch (const SysError& e) {
    if (e.code().value() != EBUSY) throw;
    throw SysError("write", "\"" + request + "\" to " + subtree.string(), EBUSY,
                   parent.string() +
                       " holds processes (this one among them), and a group with processes may "
                       "not enable controllers for its children: start the launcher in a leaf "
                       "such as " +
                       (parent / "supervisor").string() + " and enable \"" + request +
                       "\" here first, or run it in a delegated systemd scope");
  }
}

// Owns: one group directory in a cgroup2 tree, and the parents it made for it.
class UnifiedCgroup final : public CgroupDriver {
 public:
  explicit UnifiedCgroup(fs::path self_dir) : group_(std::move(self_dir)) {}

  CgroupMode mode() const override { return CgroupMode::kUnified; }
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
  // `name` in the group's directory. REQUIRES: created.
  fs::path file(std::string_view name) const {
    if (!group_.created()) {
      throw std::logic_error("cgroup v2: " + std::string(name) + " used before create()");
    }
    return group_.dir() / name;
  }

  GroupDir group_;
};

void UnifiedCgroup::create(const std::string& name) { group_.create(name, enable_controllers); }

void UnifiedCgroup::open(const std::string& name) { group_.open(name); }

void UnifiedCgroup::apply(const CgroupLimits& limits) {
  const fs::path memory_max = file("memory.max");
  const fs::path swap_max = file("memory.swap.max");
  const fs::path pids_max = file("pids.max");
  const fs::path cpu_max = file("cpu.max");
  const fs::path cpu_weight = file("cpu.weight");
  // Check every value before writing any, so that a bad one changes nothing.
  if (limits.memory_max) check_limit(memory_max, *limits.memory_max);
  if (limits.pids_max) check_limit(pids_max, *limits.pids_max);
  if (limits.cpu_quota_us) check_limit(cpu_max, *limits.cpu_quota_us);
  if (limits.cpu_weight) check_weight(cpu_weight, *limits.cpu_weight);

  if (limits.memory_max) {
    write_file(memory_max, max_or_number(*limits.memory_max));
    // The limit covers swap too, as the v1 driver's memory.memsw.limit_in_bytes
    // does. v2 limits swap on its own, so by crun's table that is
    // memory.swap.max = memsw - memory = 0. (Absent without swap accounting.)
    if (fs::exists(swap_max)) write_file(swap_max, *limits.memory_max == -1 ? "max" : "0");
  }
  if (limits.pids_max) write_file(pids_max, max_or_number(*limits.pids_max));
  if (limits.cpu_quota_us) {
    // Quota and period go together, in one write: "50000 100000" or "max 100000".
    write_file(cpu_max,
               max_or_number(*limits.cpu_quota_us) + " " + std::to_string(limits.cpu_period_us));
  }
  if (limits.cpu_weight) write_file(cpu_weight, std::to_string(*limits.cpu_weight));
}

void UnifiedCgroup::join(pid_t pid) {
  if (pid <= 0)
    throw std::invalid_argument("cgroup v2 join: " + std::to_string(pid) + " is no PID");
  write_file(file("cgroup.procs"), std::to_string(pid));
}

CgroupStats UnifiedCgroup::stats() const {
  CgroupStats stats;
  stats.memory_current = read_number_if_exists(file("memory.current"));
  stats.memory_peak = read_number_if_exists(file("memory.peak"));  // Linux 5.19+
  const fs::path events = file("memory.events");
  if (const std::optional<std::string> text = read_file_if_exists(events)) {
    stats.oom_kills = keyed_value(*text, "oom_kill", events);
  }
  stats.pids_current = read_number_if_exists(file("pids.current"));
  return stats;
}

std::vector<pid_t> UnifiedCgroup::processes() const {
  if (!group_.created()) return {};
  return read_procs(group_.dir());
}

void UnifiedCgroup::freeze() {
  const fs::path freeze = file("cgroup.freeze");
  const fs::path events = file("cgroup.events");
  write_file(freeze, "1");
  // The write only starts freezing; cgroup.events says when every task stopped.
  if (!wait_until([&] { return keyed_value(read_file(events), "frozen", events) == 1; })) {
    write_file(freeze, "0");  // do not leave it half frozen
    throw std::runtime_error(events.string() + " did not say \"frozen 1\" within " +
                             std::to_string(kSettleTimeout.count()) + " ms; thawed it again");
  }
}

void UnifiedCgroup::thaw() { write_file(file("cgroup.freeze"), "0"); }

void UnifiedCgroup::remove() {
  // LAB(04.7) Kill what is left in the group (cgroup.kill, or SIGKILL to each
  // PID where the kernel has no such file), wait until cgroup.procs is empty,
  // then remove the directories.
  throw uh::Todo("04.7",
                 "Kill what is left in the group (cgroup.kill, or SIGKILL to each PID where the "
                 "kernel has no such file), wait until cgroup.procs is empty, then remove the "
                 "directories.");
  // END LAB
}

std::vector<fs::path> UnifiedCgroup::paths() const {
  if (!group_.created()) return {};
  return {group_.dir()};
}

}  // namespace

std::unique_ptr<CgroupDriver> make_unified_driver(fs::path self_dir) {
  return std::make_unique<UnifiedCgroup>(std::move(self_dir));
}

}  // namespace uh::container::internal
