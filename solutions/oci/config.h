// oci/config.h — a bundle's config.json, parsed and checked.
//
// Owns: plain data. parse_config() reads the runtime-spec's config.json
// (config.md and config-linux.md of the OCI runtime-spec 1.0/1.1) with
// Boost.JSON into a Config, and checks everything that can be checked before
// any process, mount or cgroup exists: a malformed or hostile file costs
// nothing to undo. Every error names the field the way the spec does
// ("process.cwd: must be an absolute path"), so a reader can find it in the
// file. Fields the runtime does not act on are accepted and ignored, as the
// spec asks of unknown properties.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "container/cgroup.h"
#include "container/spec.h"

namespace uh::oci {

/// A config.json that cannot be used; what() is "config.json: <field>: <why>".
class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// config.md "POSIX-platform User".
struct User {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::optional<std::uint32_t> umask;
  std::vector<std::uint32_t> additional_gids;
};

/// config.md "Linux Process" capabilities: five sets of numbers, each absent
/// when the file leaves it out (an absent set is an empty set).
struct Capabilities {
  std::vector<int> bounding, effective, permitted, inheritable, ambient;
};

struct Process {
  bool terminal = false;
  User user;
  std::vector<std::string> args;  ///< at least one
  std::vector<std::string> env;
  std::string cwd;  ///< absolute
  std::optional<Capabilities> capabilities;
  std::vector<container::RlimitSetting> rlimits;
  std::vector<std::pair<int, container::RlimitSetting>> rlimit_numbers;  ///< resolved
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
};

/// config.md "Mounts": one entry, options still as written. The runtime
/// splits the options into mount(2) flags and data (mount_options.h).
struct Mount {
  std::string destination;  ///< absolute, inside the container
  std::string type;         ///< "" for a bind mount given only by options
  std::string source;
  std::vector<std::string> options;
};

/// config-linux.md "Namespaces": a type, and a path to join instead of
/// making a new one.
struct NamespaceEntry {
  std::string type;  ///< pid, network, mount, ipc, uts, user, cgroup
  std::string path;
};

/// config-linux.md "Seccomp", the parts libseccomp acts on.
struct SeccompArg {
  unsigned index = 0;
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;
  std::string op;  ///< SCMP_CMP_EQ, ...
};
struct SeccompRule {
  std::vector<std::string> names;
  std::string action;  ///< SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ...
  std::optional<std::uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};
struct Seccomp {
  std::string default_action;
  std::optional<std::uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<SeccompRule> syscalls;
};

/// config.md "POSIX-platform Hooks": one hook.
struct Hook {
  std::string path;  ///< absolute
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout_seconds;  ///< > 0 when given
};

struct Hooks {
  std::vector<Hook> create_runtime, create_container, start_container, poststart, poststop;
  /// The deprecated "prestart" hooks run where createRuntime does.
  std::vector<Hook> prestart;
};

struct Config {
  std::string oci_version;
  std::filesystem::path root;  ///< root.path, made absolute against the bundle
  bool root_readonly = false;
  std::string hostname;
  Process process;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  // linux
  std::vector<NamespaceEntry> namespaces;
  std::vector<container::IdMapping> uid_mappings, gid_mappings;
  std::map<std::string, std::string> sysctl;
  std::string cgroups_path;
  std::optional<container::CgroupLimits> resources;  ///< memory, pids and cpu only
  std::vector<std::string> masked_paths, readonly_paths;
  std::string rootfs_propagation;  ///< "", private, rprivate, slave, ...
  std::optional<Seccomp> seccomp;

  /// The namespace entry of `type`, or null when the container shares the runtime's.
  const NamespaceEntry* find_namespace(std::string_view type) const;
};

/// Parses `text`, the contents of `bundle`/config.json. Throws ConfigError.
/// Checks: valid JSON of the right shapes; ociVersion's major is 1; process
/// present with args and an absolute cwd; absolute mount destinations and
/// hook paths; namespace types known and not repeated; id mappings with a
/// non-zero count that do not overflow; rlimit and capability names known;
/// resources within their ranges; bounded sizes everywhere (a hostile file
/// cannot make the runtime allocate without limit).
Config parse_config(std::string_view text, const std::filesystem::path& bundle);

/// Reads and parses `bundle`/config.json. Throws ConfigError, also for a
/// missing or unreadable file.
Config load_config(const std::filesystem::path& bundle);

/// The default config.json `uhrun spec` writes: `sh` in a rootfs called
/// "rootfs", every namespace but user and cgroup, the default capabilities,
/// the masked and read-only paths runc uses.
std::string default_config_json();

}  // namespace uh::oci
