// oci/state.h — what the runtime remembers about each container, on disk.
//
// Owns: the directory <root>/<id> of every container: state.json, the
// config.json the container was created from, the exec FIFO, and a lock
// file. Each runtime command is a separate process (podman runs `create`,
// then `start`, then `delete`, as separate commands), so everything one
// command must tell the next goes through these files.
//
//   <root>/<id>/state.json   written whole, atomically: a temp file, fsync, rename
//   <root>/<id>/config.json  the bundle's config, for hooks and exec later
//   <root>/<id>/exec.fifo    exists from create until start (the runc design)
//   <root>/<id>/lock         flock()ed by any command working on the container
//
// The status is never trusted from the file alone: the container's init can
// die at any time without telling anyone. derive_status() combines what the
// file says with what /proc says now. Not thread-safe; concurrent processes
// are kept apart by the lock.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/unique_fd.h"

namespace uh::oci {

/// The runtime-spec's states (runtime.md "State"): creating is not stored,
/// since a container is only written once created.
enum class Status { kCreated, kRunning, kStopped };
std::string to_string(Status status);

struct ContainerState {
  std::string oci_version;
  std::string id;
  Status status = Status::kCreated;  ///< as last written; see derive_status()
  pid_t pid = 0;                     ///< the container's init, in the runtime's PID namespace
  std::uint64_t pid_start_time = 0;  ///< field 22 of /proc/<pid>/stat: tells a reused PID apart
  std::string bundle;
  std::string rootfs;
  std::string created;            ///< RFC 3339, UTC
  std::string cgroup;             ///< the group name given to the cgroup driver
  bool cgroup_from_root = false;  ///< the name is below the hierarchy's root, not our own group
  std::map<std::string, std::string> annotations;
};

/// The runtime-spec's state JSON, as `state` prints it and hooks read it on
/// stdin: ociVersion, id, status, pid (0 once stopped), bundle, annotations.
std::string state_json(const ContainerState& state, Status status);

/// What /proc says about `pid` now.
struct ProcessInfo {
  bool exists = false;
  bool zombie = false;
  std::uint64_t start_time = 0;
};
ProcessInfo process_info(pid_t pid);

/// The status now: stopped when the init is gone, a zombie, or a different
/// process that reused its PID; otherwise created while the exec FIFO still
/// exists (the init is waiting in it), running once start removed it.
Status derive_status(const ContainerState& state, const ProcessInfo& now, bool fifo_exists);

/// Container ids: 1..1024 characters of [A-Za-z0-9_.+-], not "." or "..".
/// Throws std::invalid_argument saying what is wrong.
void check_container_id(const std::string& id);

class StateStore {
 public:
  /// `root` is created (0700) when it does not exist.
  explicit StateStore(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path dir(const std::string& id) const { return root_ / id; }
  std::filesystem::path fifo(const std::string& id) const { return dir(id) / "exec.fifo"; }

  /// Makes <root>/<id> and takes its lock. Throws std::runtime_error
  /// "container <id> already exists" when it does.
  UniqueFd create_dir(const std::string& id);
  /// Takes the lock of an existing container, waiting for another command
  /// holding it. Throws std::runtime_error "container <id> does not exist".
  UniqueFd lock(const std::string& id) const;

  /// Writes state.json atomically: a reader sees the old file or the new
  /// one, never a mix, even if the machine stops half-way.
  void save(const ContainerState& state) const;
  /// Reads state.json. Throws std::runtime_error for a missing or corrupt
  /// file, naming it.
  ContainerState load(const std::string& id) const;
  /// Removes <root>/<id> and everything in it.
  void remove(const std::string& id) const;
  /// The ids that have a directory, sorted.
  std::vector<std::string> list() const;

 private:
  std::filesystem::path root_;
};

/// Writes `text` to `file` atomically (temp file in the same directory,
/// fsync, rename). Used for state.json and for --pid-file.
void write_file_atomically(const std::filesystem::path& file, const std::string& text);

}  // namespace uh::oci
