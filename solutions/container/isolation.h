// container/isolation.h — what the child does to itself before execve.
//
// Owns: nothing; each function changes the calling process. They run in the
// child, after the parent has written its uid/gid maps, in this order:
//
//   become_root          setresuid/setresgid(0) inside the user namespace
//   enter_rootfs         private mounts, /proc, /sys, /dev, pivot_root, masks
//   drop_capabilities    bounding set, then effective/permitted/inheritable, ambient
//   set_no_new_privs     prctl(PR_SET_NO_NEW_PRIVS): exec can never gain privileges
//   install_seccomp      a BPF filter (libseccomp) that makes calls fail with an errno
//
// Each throws SysError naming the call and the object; the launcher sends the
// message to the parent. The order matters: mounting needs CAP_SYS_ADMIN, so
// capabilities go after it; seccomp goes last so that its own setup calls are
// not filtered.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "container/spec.h"

namespace uh::container {

void become_root();

/// Makes every mount private (so nothing propagates back to the host), binds
/// `rootfs` onto itself, mounts /proc, /sys (read-only) and a minimal /dev in
/// it, pivot_roots into it and detaches the old root; then masks and
/// read-only paths. Needs a new mount namespace (and PID namespace for /proc).
void enter_rootfs(const std::filesystem::path& rootfs, const std::vector<std::string>& masked,
                  const std::vector<std::string>& readonly);

/// The nosuid/nodev/noexec flags the mount at `path` has, which a bind
/// remount must repeat (in a user namespace the kernel locks them).
/// Throws SysError naming the path when statvfs fails.
unsigned long locked_flags(const std::filesystem::path& path);

/// Sets each (resource, limit) with setrlimit. Throws SysError naming the
/// limit; lowering is always allowed, raising a hard limit needs CAP_SYS_RESOURCE.
void apply_rlimits(const std::vector<std::pair<int, RlimitSetting>>& rlimits);

/// Keeps only the capabilities in `keep` (numbers) in every set.
void drop_capabilities(const std::vector<int>& keep);

void set_no_new_privs();

/// Hides `path` (inside the current root): /dev/null bound over a file, an
/// empty read-only tmpfs over a directory. A missing path is left alone.
void mask_path(const std::filesystem::path& path);

/// Binds `path` read-only onto itself, with every mount below it. A missing
/// path is left alone.
void make_read_only(const std::filesystem::path& path);

/// Installs a filter: every call in `deny` (syscall number, errno) fails with
/// that errno; everything else is allowed.
void install_seccomp(const std::vector<std::pair<int, int>>& deny);

/// The device nodes of the minimal /dev, bound from the host's.
const std::vector<std::string>& minimal_devices();

}  // namespace uh::container
