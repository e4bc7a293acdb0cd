// oci/init.h — the container's init process, from clone to execve.
//
// Owns: nothing past its own process. `create` clones a child into the new
// namespaces and that child runs container_init(): it sets up the container
// around itself, reports "created", and then waits in the exec FIFO until
// `start` lets it execve the user's program. The runtime process that cloned
// it exits long before; the two talk over a SOCK_SEQPACKET socket pair while
// both live:
//
//   runtime (create)                          init (in new namespaces)
//   clone ---------------------------------->  waits for kGo
//   oom_score_adj, id maps
//   kGo ------------------------------------>  setns for namespaces given by path,
//   join cgroup (meanwhile)                    become root in a new user ns, hostname,
//                                              the config's mounts in order
//   run createRuntime hooks  <------ kHooks
//   kState + state JSON -------------------->  cgroup ns, cgroup mounts, devices,
//                                              createContainer hooks, pivot_root,
//                                              sysctl, masks, terminal, rlimits,
//                                              user, capabilities
//   save state.json, pid file  <---- kCreated
//   exit 0                                     open exec.fifo for writing: blocks
//                                              ...until `start` opens it for reading
//                                              startContainer hooks, seccomp, execve
//
// Any failure before kCreated goes back as kError with the message; the
// runtime then kills the init and undoes everything. After kCreated the
// runtime is gone: a failure is printed on the container's stderr and the
// init exits 127, which `state` reports as stopped.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "oci/config.h"
#include "oci/seccomp_filter.h"
#include "support/unique_fd.h"

namespace uh::oci {

/// The messages of the create handshake; each is one SOCK_SEQPACKET datagram.
enum class SyncMessage : char {
  kGo = 'G',       ///< runtime -> init: cgroup joined, id maps written
  kHooks = 'H',    ///< init -> runtime: namespaces made, run createRuntime
  kState = 'S',    ///< runtime -> init: hooks done; payload: the state JSON
  kCreated = 'C',  ///< init -> runtime: set up, now waiting in the FIFO
  kError = 'E',    ///< either way: payload is the error message
};

/// One end of the socket pair.
class SyncSocket {
 public:
  explicit SyncSocket(UniqueFd fd) : fd_(std::move(fd)) {}
  void send(SyncMessage type, std::string_view payload = {}) const;
  /// The next message. An orderly close by the peer reads as kError with
  /// `peer_gone` as its payload.
  std::pair<SyncMessage, std::string> receive(const std::string& peer_gone) const;
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

/// What the init needs, prepared by `create` before the clone.
struct InitPlan {
  const Config* config = nullptr;
  std::filesystem::path bundle;
  std::filesystem::path fifo;            ///< the exec FIFO, a host path
  std::filesystem::path console_socket;  ///< when process.terminal
  const SeccompFilter* seccomp = nullptr;
  bool new_user_namespace = false;
};

/// The init's whole life. Never returns.
[[noreturn]] void container_init(const InitPlan& plan, SyncSocket sync);

// The steps, exposed for `exec`, which joins a running container and needs
// the last few of them again.

/// Drops capabilities to `caps`, switching to `user` on the way, keeping
/// what `caps` says across the uid change (capabilities(7)).
void apply_user_and_capabilities(const User& user, const std::optional<Capabilities>& caps);

/// The program `args[0]` names: a path, or looked up on the PATH of `env`
/// in the current root. Throws std::runtime_error when it is not there.
std::string find_program(const std::string& name, const std::vector<std::string>& env);

/// Makes `fd` the controlling terminal and stdin/stdout/stderr of this process.
void become_terminal_session(int fd);

/// A new pseudo-terminal in the current /dev/pts: returns {master, slave}.
std::pair<UniqueFd, UniqueFd> open_pty();

/// Connects to the UNIX socket at `path` (the --console-socket). Called
/// before pivot_root, while the host's path is still reachable.
UniqueFd connect_console_socket(const std::filesystem::path& path);

/// Sends `master` over `socket` as SCM_RIGHTS, with the terminal's name as
/// the message, as runc's --console-socket protocol does.
void send_console(const UniqueFd& socket, const UniqueFd& master);

}  // namespace uh::oci
