// oci/runtime.h — the OCI runtime's operations, one function per command.
//
// Owns: the containers under one state root (state.h). Each function is one
// command of `uhrun`, with runc's meaning (runtime.md "Operations" of the
// OCI runtime-spec, plus runc's run, exec, list and spec). A failure throws
// with a message that says what to do, and leaves nothing behind that the
// command made: no state directory, cgroup, mount or process.
//
// The lifecycle the spec requires, enforced here:
//
//   create ──> created ──start──> running ──(exits)──> stopped ──delete──> gone
//                 │                   │
//                 └──── kill ─────────┴──> (signal; stopped once it dies)
//
//   start of anything but created fails; kill of a stopped container fails;
//   delete of a created or running one fails unless forced.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oci/state.h"

namespace uh::oci {

/// runc's global flags.
struct RuntimeOptions {
  std::filesystem::path root = "/run/uhrun";
  bool systemd_cgroup = false;  ///< accepted; cgroupsPath "slice:prefix:name" is then mapped
};

struct CreateOptions {
  std::string id;
  std::filesystem::path bundle = ".";
  std::filesystem::path pid_file;        ///< empty: none
  std::filesystem::path console_socket;  ///< needed when process.terminal is true
};

/// `create`: sets the container up and leaves its init waiting for start.
/// Returns the init's PID. The init is a child of the calling process.
pid_t create_container(const RuntimeOptions& rt, const CreateOptions& opts);
/// The heart of `start`: opens the exec FIFO for reading, waits until the
/// init `pid` has written its byte (it then goes on to execve), and removes
/// the FIFO. Throws std::runtime_error when the init ends first.
void release_init(const std::filesystem::path& fifo, pid_t pid);
/// `start`: lets the init execve the user's program; runs poststart hooks.
void start_container(const RuntimeOptions& rt, const std::string& id);
/// `state`: the state JSON, status as it is now.
std::string container_state(const RuntimeOptions& rt, const std::string& id);
/// `kill`: `signal` to the init, or with `all` to every process in its cgroup.
void kill_container(const RuntimeOptions& rt, const std::string& id, int signal, bool all);
/// `delete`: removes a stopped container (any, with `force`, killing it).
void delete_container(const RuntimeOptions& rt, const std::string& id, bool force);
/// `list`: every container, with its status now.
std::vector<std::pair<ContainerState, Status>> list_containers(const RuntimeOptions& rt);

/// `run`: create, start, wait, delete. Returns the exit code to pass on
/// (128 + signal for a killed process, as a shell does). With `detach`,
/// returns 0 once started.
int run_container(const RuntimeOptions& rt, const CreateOptions& opts, bool detach);

struct ExecOptions {
  std::string id;
  std::vector<std::string> args;  ///< the command; or from process_file
  std::filesystem::path process_file;
  std::vector<std::string> env;
  std::string cwd;
  std::filesystem::path pid_file;
  bool detach = false;
};
/// `exec`: another process in a running container's namespaces and cgroup,
/// with the container's capabilities and seccomp filter. Returns its exit
/// code, or 0 with `detach`.
int exec_in_container(const RuntimeOptions& rt, const ExecOptions& opts);

/// A signal by name ("TERM", "SIGTERM", "sigkill") or number ("9").
/// Throws std::invalid_argument naming it when unknown.
int parse_signal(const std::string& text);

}  // namespace uh::oci
