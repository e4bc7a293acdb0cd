// container/launcher.h — start a process inside new namespaces, and reap it.
//
// Owns: the container's init process (PID 1 of its PID namespace) and its
// cgroup. start() validates the spec, makes the cgroup, clones the child into
// new namespaces, writes its uid/gid maps, lets it set itself up (isolation.h)
// and waits until it has exec'ed the program or failed. A failure anywhere
// undoes everything: the child is killed and reaped, the cgroup removed, and
// the error names what failed. Nothing is mounted in the caller's mount
// namespace, so there is no mount to leak.
//
// The handshake, over two pipes:
//
//   parent                               child (in new namespaces)
//   clone3 ------------------------------> waits on `go`
//   join cgroup, write uid_map/gid_map
//   write `go` --------------------------> setup (isolation.h), then execve
//   read `errors` until EOF   <----------- on failure: the message, then _exit(127)
//                                          on success: execve closes the pipe
//                                          (O_CLOEXEC), which the parent reads as EOF
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "container/spec.h"

namespace uh::container {

/// How the container's init process ended.
struct ExitStatus {
  int code = -1;            ///< exit code, when it exited
  int signal = 0;           ///< the signal that killed it, when it was killed
  bool oom_killed = false;  ///< the cgroup's OOM killer ended a process in it
  bool exited() const { return signal == 0; }
  /// "exited with code 3" or "killed by signal 9 (SIGKILL), out of memory".
  std::string describe() const;
};

class Container {
 public:
  /// Starts `spec.args` inside the container and returns once it runs.
  /// Throws std::invalid_argument for a bad spec (nothing was created), or
  /// std::runtime_error / SysError naming what failed (everything undone).
  static Container start(const ContainerSpec& spec);

  Container(Container&&) noexcept;
  Container& operator=(Container&&) noexcept;
  /// Kills and reaps a container never waited for, and removes its cgroup.
  ~Container();

  /// The container's init, as seen from the caller's PID namespace.
  pid_t pid() const { return pid_; }
  /// The cgroup, when the spec asked for limits (else null).
  CgroupDriver* cgroup() const { return cgroup_.get(); }
  /// Sends `signal` to the container's init.
  void kill(int signal);
  /// Waits for init to end, then removes the cgroup (killing what is left).
  ExitStatus wait();

 private:
  Container(pid_t pid, std::unique_ptr<CgroupDriver> cgroup);
  void release();

  pid_t pid_ = -1;
  std::unique_ptr<CgroupDriver> cgroup_;
};

/// A fork into new namespaces (CLONE_NEW* `flags`): clone3 where the kernel
/// has it (5.3+), clone otherwise. Returns 0 in the child and its PID in the
/// parent, like fork(). Throws SysError naming the call that failed.
pid_t clone_into_namespaces(unsigned long flags);

/// The uid_map or gid_map text for `mappings` ("0 1000 1\n"), or for the
/// caller's own id mapped to root when `mappings` is empty.
std::string id_map_text(const std::vector<IdMapping>& mappings, std::uint32_t own_id);

}  // namespace uh::container
