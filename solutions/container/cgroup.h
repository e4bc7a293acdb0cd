// container/cgroup.h — limits and accounting for a group of processes, on
// whichever cgroup layout the host has.
//
// Owns: the CgroupDriver interface and its three drivers. A host mounts
// cgroups one of three ways (see resources/references/cgroups.md):
//   unified (v2)  one cgroup2 tree at /sys/fs/cgroup with every controller;
//   legacy (v1)   a tmpfs at /sys/fs/cgroup with one v1 hierarchy per
//                 controller (memory/, pids/, cpu/, freezer/, ...);
//   hybrid        legacy, plus a cgroup2 tree at /sys/fs/cgroup/unified that
//                 holds no controllers but tracks processes.
// detect_cgroup_mode() tells them apart with statfs; make_cgroup_driver()
// returns the driver for a mode. Limits are given in v2 terms (memory.max,
// pids.max, cpu.max, cpu.weight); the v1 driver converts them the way crun
// documents. Every driver works under a root directory it is given, so the
// tests run each one against a fake cgroup filesystem in a temp directory.
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uh::container {

enum class CgroupMode { kUnified, kLegacy, kHybrid };
std::string to_string(CgroupMode mode);

/// What the filesystem at `root` (normally /sys/fs/cgroup) is: cgroup2 means
/// unified; a tmpfs means legacy, or hybrid when root/unified is cgroup2.
/// Throws SysError when `root` cannot be read, std::runtime_error when it is
/// neither.
CgroupMode detect_cgroup_mode(const std::filesystem::path& root = "/sys/fs/cgroup");

/// Limits, in the v2 vocabulary. Absent means "leave as the kernel made it".
struct CgroupLimits {
  std::optional<std::int64_t> memory_max;    ///< bytes (memory.max)
  std::optional<std::int64_t> pids_max;      ///< processes (pids.max)
  std::optional<std::int64_t> cpu_quota_us;  ///< cpu.max quota, per period
  std::uint64_t cpu_period_us = 100'000;     ///< cpu.max period
  std::optional<std::uint64_t> cpu_weight;   ///< 1..10000 (cpu.weight)
};

/// What a group has used. Each is absent when the host cannot tell.
struct CgroupStats {
  std::optional<std::uint64_t> memory_current;  ///< bytes now
  std::optional<std::uint64_t> memory_peak;     ///< most bytes ever
  std::optional<std::uint64_t> oom_kills;       ///< processes the OOM killer ended here
  std::optional<std::uint64_t> pids_current;    ///< processes now
};

/// v1 cpu.shares from a v2 cpu.weight, and back (crun's linear conversion:
/// shares 2..262144 map onto weight 1..10000).
std::uint64_t cpu_weight_to_shares(std::uint64_t weight);
std::uint64_t cpu_shares_to_weight(std::uint64_t shares);

/// One cgroup, created by a driver. The handle does not remove the group when
/// destroyed: removal kills processes and is an explicit step (remove()).
class CgroupDriver {
 public:
  virtual ~CgroupDriver() = default;
  virtual CgroupMode mode() const = 0;

  /// Creates the group `name` (a relative path such as "uh/test-42") below
  /// the cgroups of this process. Throws SysError naming the directory.
  virtual void create(const std::string& name) = 0;
  /// Adopts the group `name` that an earlier create() made, possibly in
  /// another process (an OCI runtime's `delete` removes the group its
  /// `create` made). remove() then takes the group itself and none of its
  /// parents. Throws SysError naming the directory when it does not exist.
  virtual void open(const std::string& name) = 0;
  /// Writes the limits. Throws std::runtime_error naming the file and the
  /// value when the kernel refuses one (say, a memory limit below usage).
  virtual void apply(const CgroupLimits& limits) = 0;
  /// Moves process `pid` into the group (cgroup.procs, in every hierarchy).
  virtual void join(pid_t pid) = 0;
  virtual CgroupStats stats() const = 0;
  /// The processes in the group now.
  virtual std::vector<pid_t> processes() const = 0;
  virtual void freeze() = 0;
  virtual void thaw() = 0;
  /// Kills every process left in the group, waits until it is empty, and
  /// removes the directories. Safe to call twice, and on a group never made.
  virtual void remove() = 0;
  /// The group's directories (one per hierarchy), for messages and tests.
  virtual std::vector<std::filesystem::path> paths() const = 0;
};

/// The driver for `mode`, working under `root`. `self_cgroup` is the text of
/// /proc/self/cgroup: groups are made below the ones this process is in.
std::unique_ptr<CgroupDriver> make_cgroup_driver(CgroupMode mode, const std::filesystem::path& root,
                                                 const std::string& self_cgroup);

/// The driver for this host: detect_cgroup_mode() and /proc/self/cgroup.
std::unique_ptr<CgroupDriver> host_cgroup_driver();

}  // namespace uh::container
