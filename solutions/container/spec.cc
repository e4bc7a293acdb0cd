#include "container/spec.h"

#include <seccomp.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace uh::container {

namespace fs = std::filesystem;

namespace {

// capabilities(7), in number order: CAP_CHOWN is 0.
constexpr std::array<const char*, 41> kCapabilityNames = {"CHOWN",
                                                          "DAC_OVERRIDE",
                                                          "DAC_READ_SEARCH",
                                                          "FOWNER",
                                                          "FSETID",
                                                          "KILL",
                                                          "SETGID",
                                                          "SETUID",
                                                          "SETPCAP",
                                                          "LINUX_IMMUTABLE",
                                                          "NET_BIND_SERVICE",
                                                          "NET_BROADCAST",
                                                          "NET_ADMIN",
                                                          "NET_RAW",
                                                          "IPC_LOCK",
                                                          "IPC_OWNER",
                                                          "SYS_MODULE",
                                                          "SYS_RAWIO",
                                                          "SYS_CHROOT",
                                                          "SYS_PTRACE",
                                                          "SYS_PACCT",
                                                          "SYS_ADMIN",
                                                          "SYS_BOOT",
                                                          "SYS_NICE",
                                                          "SYS_RESOURCE",
                                                          "SYS_TIME",
                                                          "SYS_TTY_CONFIG",
                                                          "MKNOD",
                                                          "LEASE",
                                                          "AUDIT_WRITE",
                                                          "AUDIT_CONTROL",
                                                          "SETFCAP",
                                                          "MAC_OVERRIDE",
                                                          "MAC_ADMIN",
                                                          "SYSLOG",
                                                          "WAKE_ALARM",
                                                          "BLOCK_SUSPEND",
                                                          "AUDIT_READ",
                                                          "PERFMON",
                                                          "BPF",
                                                          "CHECKPOINT_RESTORE"};

struct RlimitName {
  const char* name;
  int resource;
};
constexpr RlimitName kRlimits[] = {{"RLIMIT_AS", RLIMIT_AS},
                                   {"RLIMIT_CORE", RLIMIT_CORE},
                                   {"RLIMIT_CPU", RLIMIT_CPU},
                                   {"RLIMIT_DATA", RLIMIT_DATA},
                                   {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                                   {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                                   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                                   {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                                   {"RLIMIT_NICE", RLIMIT_NICE},
                                   {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                                   {"RLIMIT_NPROC", RLIMIT_NPROC},
                                   {"RLIMIT_RSS", RLIMIT_RSS},
                                   {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                                   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                                   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                                   {"RLIMIT_STACK", RLIMIT_STACK}};

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument(what); }

bool exists_in(const fs::path& rootfs, const fs::path& inside) {
  // lstat, not stat: busybox applets are symlinks that only resolve inside.
  struct stat st {};
  return ::lstat((rootfs / inside.relative_path()).c_str(), &st) == 0;
}

}  // namespace

std::string to_string(Namespace ns) {
  switch (ns) {
    case Namespace::kUser:
      return "user";
    case Namespace::kPid:
      return "pid";
    case Namespace::kMount:
      return "mount";
    case Namespace::kUts:
      return "uts";
    case Namespace::kIpc:
      return "ipc";
    case Namespace::kNet:
      return "net";
    case Namespace::kCgroup:
      return "cgroup";
  }
  return "unknown";
}

std::optional<int> capability_number(const std::string& name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.rfind("CAP_", 0) == 0) upper = upper.substr(4);
  for (std::size_t i = 0; i < kCapabilityNames.size(); ++i) {
    if (upper == kCapabilityNames[i]) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<int> rlimit_number(const std::string& name) {
  for (const RlimitName& r : kRlimits) {
    if (name == r.name) return r.resource;
  }
  return std::nullopt;
}

ResolvedSpec validate(const ContainerSpec& spec) {
  ResolvedSpec out;
  if (spec.args.empty() || spec.args[0].empty()) invalid("args: no program to run");
  std::error_code ec;
  if (spec.rootfs.empty() || !fs::is_directory(spec.rootfs, ec)) {
    invalid("rootfs " + spec.rootfs.string() + ": no such directory");
  }
  if (!spec.namespaces.count(Namespace::kMount)) {
    invalid(
        "namespaces: the mount namespace is required (pivot_root changes the root of a "
        "mount namespace)");
  }
  if (spec.namespaces.count(Namespace::kPid) == 0) {
    invalid("namespaces: the PID namespace is required (the container's /proc shows its own)");
  }
  if (!spec.namespaces.count(Namespace::kUser) &&
      (!spec.uid_map.empty() || !spec.gid_map.empty())) {
    invalid("uid_map/gid_map: id maps need the user namespace");
  }
  // user_namespaces(7): each range must fit in 32 bits, and no two ranges may
  // overlap on either side, or the kernel refuses the whole map with EINVAL.
  for (const auto* map : {&spec.uid_map, &spec.gid_map}) {
    const std::string which = map == &spec.uid_map ? "uid_map" : "gid_map";
    for (std::size_t i = 0; i < map->size(); ++i) {
      const IdMapping& m = (*map)[i];
      const std::string name = which + " \"" + std::to_string(m.inside) + " " +
                               std::to_string(m.outside) + " " + std::to_string(m.count) + "\"";
      if (m.count == 0) invalid(name + ": count is 0");
      constexpr std::uint64_t kIds = std::uint64_t{1} << 32;
      if (std::uint64_t{m.inside} + m.count > kIds || std::uint64_t{m.outside} + m.count > kIds) {
        invalid(name + ": the range runs past id 4294967295");
      }
      for (std::size_t j = 0; j < i; ++j) {
        const IdMapping& o = (*map)[j];
        auto overlap = [](std::uint64_t a, std::uint64_t b, std::uint64_t n, std::uint64_t m) {
          return a < b + m && b < a + n;
        };
        if (overlap(m.inside, o.inside, m.count, o.count) ||
            overlap(m.outside, o.outside, m.count, o.count)) {
          invalid(name + ": overlaps the mapping at line " + std::to_string(j + 1));
        }
      }
    }
  }
  // The program: a path inside the rootfs, or a name on the spec's PATH.
  const std::string& program = spec.args[0];
  if (program.find('/') != std::string::npos) {
    if (!exists_in(spec.rootfs, program)) {
      invalid("args: " + program + " does not exist in the rootfs " + spec.rootfs.string());
    }
    out.program = program;
  } else {
    std::string path = "/bin:/usr/bin";
    for (const std::string& e : spec.env) {
      if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    }
    for (std::size_t at = 0; at <= path.size() && out.program.empty();) {
      std::size_t end = std::min(path.find(':', at), path.size());
      fs::path candidate = fs::path(path.substr(at, end - at)) / program;
      if (candidate.is_absolute() && exists_in(spec.rootfs, candidate)) out.program = candidate;
      at = end + 1;
    }
    if (out.program.empty()) {
      invalid("args: " + program + " is not on the PATH (" + path + ") inside the rootfs " +
              spec.rootfs.string());
    }
  }
  if (spec.capabilities) {
    for (const std::string& name : *spec.capabilities) {
      auto number = capability_number(name);
      if (!number) invalid("capabilities: unknown capability " + name);
      out.capabilities_kept.push_back(*number);
    }
  }
  for (const RlimitSetting& r : spec.rlimits) {
    std::optional<int> resource = rlimit_number(r.name);
    if (!resource) invalid("rlimits: unknown resource " + r.name);
    if (r.soft > r.hard) {
      invalid("rlimits: " + r.name + " soft limit " + std::to_string(r.soft) +
              " is above its hard limit " + std::to_string(r.hard));
    }
    out.rlimits.emplace_back(*resource, r);
  }
  for (const SeccompDeny& d : spec.seccomp_deny) {
    int number = seccomp_syscall_resolve_name(d.syscall.c_str());
    if (number == __NR_SCMP_ERROR) invalid("seccomp: unknown system call " + d.syscall);
    if (d.errno_value <= 0 || d.errno_value > 4095) {
      invalid("seccomp: errno " + std::to_string(d.errno_value) + " for " + d.syscall +
              " is not between 1 and 4095");
    }
    out.seccomp_deny.emplace_back(number, d.errno_value);
  }
  if (spec.hostname.size() > 64) invalid("hostname: longer than 64 bytes");
  return out;
}

}  // namespace uh::container
