// host/probe.h — what this host can do, found out rather than assumed.
//
// Owns: a per-process cache of probe results. Each capability is probed the
// first time it is asked for, by trying the real thing in miniature (opening
// /dev/kvm and running a tiny guest, creating a user namespace, statfs on the
// cgroup mount) and never by reading version numbers.
//
// Used by tests (through UH_REQUIRE in host/require.h) and by `lab doctor`.
// Thread-safe. Never leaves anything behind: probe VMs and child processes are
// gone before probe() returns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace uh::host {

enum class Capability {
  kKvm,              ///< /dev/kvm opens, API 12, a real-mode guest runs to HLT
  kGuestExceptions,  ///< a long-mode guest's int3 reaches its IDT handler
  kLinuxGuest,       ///< what Linux needs early: exceptions, page-fault delivery, cmpxchg16b
  kUserNamespaces,   ///< unshare(CLONE_NEWUSER) succeeds
  kRoot,             ///< effective uid 0
  kCgroupV2,         ///< /sys/fs/cgroup is a cgroup2 (unified) mount
  kCgroupV1,         ///< cgroup v1 controllers only (legacy)
  kCgroupHybrid,     ///< v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified
};

struct ProbeResult {
  bool present = false;
  /// What was found, or why the capability is missing, in one sentence.
  std::string detail;
};

/// Probes `capability` (once per process) and returns the result.
ProbeResult probe(Capability capability);

/// Stable lower-case name, e.g. "kvm", "guest-exceptions", "cgroup-hybrid".
std::string_view name(Capability capability);

/// Every capability, in the order `lab doctor` shows them.
const std::vector<Capability>& all_capabilities();

/// The cgroup mode as one word: "v2", "v1", "hybrid" or "none".
std::string cgroup_mode();

}  // namespace uh::host
