// container/cgroup_drivers.h — what the three cgroup drivers share, and their factories.
//
// Private to the container module: cgroup.cc (the front end) builds drivers
// through the make_*_driver functions, and the driver files use the helpers
// below for the things every cgroup file needs: reading and writing small text
// files with errors that name the file and the value, keyed files, process
// lists, bounded waits, and a group directory that undoes its own mkdirs.
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container/cgroup.h"

namespace uh::container::internal {

namespace fs = std::filesystem;

/// How long a driver waits for the kernel to finish something it started
/// (freezing, processes exiting after SIGKILL) before it gives up and throws.
inline constexpr std::chrono::milliseconds kSettleTimeout{2000};

// ---------------------------------------------------------------- files

/// The whole of `file`. Throws SysError naming the file.
std::string read_file(const fs::path& file);
/// The whole of `file`, or nothing when it does not exist.
std::optional<std::string> read_file_if_exists(const fs::path& file);
/// The number `file` holds (one decimal, surrounding white space allowed), or
/// nothing when the file does not exist. Throws std::runtime_error naming the
/// file when it holds something else.
std::optional<std::uint64_t> read_number_if_exists(const fs::path& file);
/// The value of `key` in a keyed file's text ("key value" lines, such as
/// memory.events); nothing when no line has that key.
std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key,
                                         const fs::path& file);
/// Writes `value` into `file` with one write(2), as the kernel wants. Never
/// creates the file: a missing interface file means a missing controller.
/// Throws SysError whose message names the value and the file.
void write_file(const fs::path& file, std::string_view value);

// ---------------------------------------------------------------- limits

/// Throws std::invalid_argument naming `file` unless `value` is -1 (none) or
/// not negative.
void check_limit(const fs::path& file, std::int64_t value);
/// Throws std::invalid_argument naming `file` unless `weight` is 1..10000.
void check_weight(const fs::path& file, std::uint64_t weight);
/// "max" for -1, the decimal number otherwise (v2 and v1 pids.max).
std::string max_or_number(std::int64_t value);

// ---------------------------------------------------------------- processes

/// The PIDs in `dir`/cgroup.procs, sorted; empty when the file does not exist
/// (a group already removed has no processes).
std::vector<pid_t> read_procs(const fs::path& dir);
/// Sends SIGKILL to each of `pids` (members of `group`); a PID already gone is fine.
void kill_each(const std::vector<pid_t>& pids, const fs::path& group);
/// Calls `done` until it returns true or kSettleTimeout passes; returns its last answer.
bool wait_until(const std::function<bool()>& done);

// ---------------------------------------------------------------- directories

/// One group's directory in one hierarchy: base/name, where base is this
/// process's own group there. Remembers which directories create() made, so
/// that a failed create and remove() take away exactly those and nothing that
/// was there before (a shared parent such as "uh-test" may belong to another
/// launcher). Movable; copying would make two owners of the same directories.
class GroupDir {
 public:
  explicit GroupDir(fs::path base) : base_(std::move(base)) {}
  GroupDir(GroupDir&&) = default;
  GroupDir& operator=(GroupDir&&) = default;
  GroupDir(const GroupDir&) = delete;
  GroupDir& operator=(const GroupDir&) = delete;

  /// Makes base/name, one component at a time. `before_mkdir(parent)` runs
  /// before each mkdir, with the directory the next one is made in. The leaf
  /// must not exist yet; parents may. On failure removes what it made and
  /// throws SysError naming the directory. REQUIRES: not created yet.
  void create(const std::string& name,
              const std::function<void(const fs::path&)>& before_mkdir = {});
  /// Adopts base/name, which must exist already: remove_dirs() will remove
  /// the leaf only. Throws SysError naming the directory when it is missing.
  /// REQUIRES: not created yet.
  void open(const std::string& name);
  /// Removes the leaf (retrying while it is busy, bounded) and then the
  /// parents create() made, deepest first, stopping at one still in use.
  /// Missing directories are fine. Throws SysError naming the leaf.
  void remove_dirs();
  /// Removes, without throwing, whatever create() made and forgets the group:
  /// for undoing a create when a later step fails.
  void abandon() noexcept;

  /// base/name once create() has run, empty before.
  const fs::path& dir() const { return dir_; }
  const fs::path& base() const { return base_; }
  bool created() const { return !dir_.empty(); }

 private:
  fs::path base_;
  fs::path dir_;
  std::vector<fs::path> made_;  // outermost first; the leaf last
};

// ---------------------------------------------------------------- drivers

/// A v1 hierarchy the legacy driver uses: the controllers of kV1Controllers
/// mounted on it (usually one; "cpu,cpuacct" style co-mounts share a
/// hierarchy) and this process's group in it, the controller's mount joined
/// with its /proc/self/cgroup path.
struct V1Hierarchy {
  std::vector<std::string> controllers;
  fs::path self_dir;
};

/// The v1 controllers the legacy driver needs, in the order it makes them.
inline constexpr std::string_view kV1Controllers[] = {"memory", "pids", "cpu", "freezer"};

/// The unified (v2) driver, making groups below `self_dir`: this process's
/// group in a cgroup2 tree.
std::unique_ptr<CgroupDriver> make_unified_driver(fs::path self_dir);
/// The legacy (v1) driver: one directory per hierarchy in `hierarchies`, which
/// between them hold each of kV1Controllers.
std::unique_ptr<CgroupDriver> make_legacy_driver(std::vector<V1Hierarchy> hierarchies);
/// The hybrid driver: `legacy` for limits, statistics and freezing, plus
/// `unified` (a driver for the controller-less cgroup2 tree) for process
/// tracking and cgroup.kill.
std::unique_ptr<CgroupDriver> make_hybrid_driver(std::unique_ptr<CgroupDriver> legacy,
                                                 std::unique_ptr<CgroupDriver> unified);

}  // namespace uh::container::internal
