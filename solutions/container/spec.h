// container/spec.h — everything that describes one isolated process.
//
// Owns: plain data. A ContainerSpec says what to run (rootfs, arguments,
// environment), what to isolate (namespaces, uid/gid maps, mounts, masked and
// read-only paths), what to take away (capabilities, syscalls through
// seccomp, rlimits, no_new_privs) and how much it may use (cgroup limits).
// validate() checks everything that can be checked before any process,
// mount or cgroup exists, so that most bad input costs nothing to undo.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "container/cgroup.h"
#include "support/unique_fd.h"

namespace uh::container {

enum class Namespace { kUser, kPid, kMount, kUts, kIpc, kNet, kCgroup };
std::string to_string(Namespace ns);

/// One line of /proc/PID/uid_map or gid_map: ids [inside, inside + count)
/// in the container are ids [outside, outside + count) on the host.
struct IdMapping {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 1;
};

/// A resource limit by name, as in the OCI spec: {"RLIMIT_NOFILE", 1024, 1024}.
struct RlimitSetting {
  std::string name;
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

/// A system call the filter refuses: the call fails with `errno_value`.
struct SeccompDeny {
  std::string syscall;
  int errno_value = 1;  // EPERM
};

struct ContainerSpec {
  std::filesystem::path rootfs;   ///< becomes "/" (pivot_root)
  std::vector<std::string> args;  ///< args[0]: a path, or a name found on PATH
  std::vector<std::string> env = {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root"};
  std::string cwd = "/";
  std::string hostname = "container";
  std::set<Namespace> namespaces = {Namespace::kUser,  Namespace::kPid, Namespace::kMount,
                                    Namespace::kUts,   Namespace::kIpc, Namespace::kNet,
                                    Namespace::kCgroup};
  /// Written by the parent once the child exists (user namespace only).
  /// Empty means: map root inside to the caller's own uid (or gid), one id.
  std::vector<IdMapping> uid_map, gid_map;
  /// Paths hidden from the container: files get /dev/null bound over them,
  /// directories an empty read-only tmpfs. Missing paths are skipped.
  std::vector<std::string> masked_paths = {
      "/proc/kcore",   "/proc/keys", "/proc/timer_list",    "/proc/sched_debug",
      "/sys/firmware", "/proc/scsi", "/proc/latency_stats", "/proc/acpi"};
  /// Paths bound read-only over themselves. Missing paths are skipped.
  std::vector<std::string> readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger"};
  /// Capabilities kept, by name ("CAP_NET_BIND_SERVICE"); all others dropped
  /// from every set. nullopt keeps whatever the process had.
  std::optional<std::vector<std::string>> capabilities =
      std::vector<std::string>{"CAP_CHOWN",       "CAP_DAC_OVERRIDE", "CAP_FOWNER",
                               "CAP_FSETID",      "CAP_KILL",         "CAP_SETGID",
                               "CAP_SETUID",      "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
                               "CAP_NET_RAW",     "CAP_SYS_CHROOT",   "CAP_MKNOD",
                               "CAP_AUDIT_WRITE", "CAP_SETFCAP"};
  bool no_new_privileges = true;
  std::vector<SeccompDeny> seccomp_deny;
  std::vector<RlimitSetting> rlimits;
  /// A cgroup for the container, made below this process's own cgroups.
  std::optional<CgroupLimits> cgroup_limits;
  std::string cgroup_name;  ///< empty: "uh-container/<pid of the caller>-<n>"
  /// Where the container's standard streams go; empty: inherit the
  /// caller's. Borrowed: the caller keeps them open until start() returns.
  BorrowedFd stdin_fd, stdout_fd, stderr_fd;
};

/// The numbers behind the names, checked before anything is created.
struct ResolvedSpec {
  std::vector<int> capabilities_kept;  ///< only meaningful when spec.capabilities is set
  std::vector<std::pair<int, RlimitSetting>> rlimits;
  std::vector<std::pair<int, int>> seccomp_deny;  ///< (syscall number, errno)
  std::filesystem::path program;                  ///< args[0], as a path inside the rootfs
};

/// Checks the spec and resolves every name. Throws std::invalid_argument
/// naming the field and the value: "rootfs /x: no such directory",
/// "capabilities: unknown capability CAP_FLY", "args: empty".
ResolvedSpec validate(const ContainerSpec& spec);

/// The capability number of `name` ("CAP_SYS_ADMIN" or "sys_admin"), if known.
std::optional<int> capability_number(const std::string& name);

/// The resource number of an rlimit `name` ("RLIMIT_NOFILE"), if known.
std::optional<int> rlimit_number(const std::string& name);

}  // namespace uh::container
