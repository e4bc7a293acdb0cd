#include "container/isolation.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <memory>
#include <string>

#include "support/sys_error.h"
#include "support/unique_fd.h"

namespace uh::container {

namespace fs = std::filesystem;

namespace {

void mount_or_throw(const std::string& source, const fs::path& target, const char* type,
                    unsigned long flags, const char* data = nullptr) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(), type, flags, data) != 0) {
    throw SysError("mount", (type ? std::string(type) + " " : std::string()) + target.string(),
                   errno);
  }
}

void bind_read_only(const fs::path& source, const fs::path& target) {
  mount_or_throw(source.string(), target, nullptr, MS_BIND | MS_REC);
  // A remount changes one mount only (the kernel ignores MS_REC there), so
  // this makes the top read-only and leaves the mounts below it alone...
  mount_or_throw("", target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(target));
  // ...and mount_setattr (Linux 5.12) with AT_RECURSIVE reaches the whole
  // subtree. On an older kernel only the top is read-only.
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(AT_FDCWD, target.c_str(), AT_RECURSIVE, &attr, sizeof attr) != 0 &&
      errno != ENOSYS) {
    throw SysError("mount_setattr", "read-only, recursively: " + target.string(), errno);
  }
}

// /dev as a small tmpfs holding only what a process expects to find. The
// nodes are bind mounts of the host's: creating device nodes (mknod) is not
// allowed inside a user namespace, binding existing ones is.
void make_dev(const fs::path& dev) {
  mount_or_throw("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  for (const std::string& name : minimal_devices()) {
    fs::path host = fs::path("/dev") / name, node = dev / name;
    UniqueFd placeholder(::open(node.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666));
    if (!placeholder) throw SysError("create", node.string(), errno);
    mount_or_throw(host.string(), node, nullptr, MS_BIND);
  }
  fs::create_directories(dev / "pts");
  // A devpts of its own: the container's terminals are not the host's.
  mount_or_throw("devpts", dev / "pts", "devpts", MS_NOSUID | MS_NOEXEC,
                 "newinstance,ptmxmode=0666,mode=0620");
  fs::create_symlink("pts/ptmx", dev / "ptmx");
  fs::create_directory_symlink("/proc/self/fd", dev / "fd");
  fs::create_symlink("/proc/self/fd/0", dev / "stdin");
  fs::create_symlink("/proc/self/fd/1", dev / "stdout");
  fs::create_symlink("/proc/self/fd/2", dev / "stderr");
  fs::create_directories(dev / "shm");
  mount_or_throw("shm", dev / "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 "mode=1777,size=65536k");
}

// /sys read-only. A sysfs of its own shows the container's network devices;
// the kernel allows that only to the owner of the network namespace, so
// without one we fall back to the host's /sys, bound read-only.
void make_sys(const fs::path& sys) {
  unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (::mount("sysfs", sys.c_str(), "sysfs", flags, nullptr) == 0) return;
  if (errno != EPERM) throw SysError("mount", "sysfs " + sys.string(), errno);
  bind_read_only("/sys", sys);
}

void mask(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;  // nothing there to hide
  if (S_ISDIR(st.st_mode)) {
    mount_or_throw("tmpfs", path, "tmpfs", MS_RDONLY, "size=0");
  } else {
    mount_or_throw("/dev/null", path, nullptr, MS_BIND);
  }
}

}  // namespace

// In a user namespace the kernel locks nosuid/nodev/noexec on mounts
// inherited from the host, and a remount that would clear one fails with EPERM.
unsigned long locked_flags(const fs::path& path) {
  struct statvfs s {};
  if (::statvfs(path.c_str(), &s) != 0) throw SysError("statvfs", path.string(), errno);
  unsigned long flags = 0;
  if (s.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (s.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  return flags;
}

void apply_rlimits(const std::vector<std::pair<int, RlimitSetting>>& rlimits) {
  for (const auto& [resource, limit] : rlimits) {
    rlimit r{static_cast<rlim_t>(limit.soft), static_cast<rlim_t>(limit.hard)};
    if (::setrlimit(resource, &r) != 0) {
      throw SysError(
          "setrlimit",
          limit.name + " " + std::to_string(limit.soft) + ":" + std::to_string(limit.hard), errno,
          errno == EPERM ? "raising a hard limit needs CAP_SYS_RESOURCE" : "");
    }
  }
}

const std::vector<std::string>& minimal_devices() {
  static const std::vector<std::string> devices = {"null",   "zero",    "full",
                                                   "random", "urandom", "tty"};
  return devices;
}

void become_root() {
  if (::setresgid(0, 0, 0) != 0) throw SysError("setresgid", "0", errno, "is gid 0 mapped?");
  if (::setresuid(0, 0, 0) != 0) throw SysError("setresuid", "0", errno, "is uid 0 mapped?");
}

void enter_rootfs(const fs::path& rootfs, const std::vector<std::string>& masked,
                  const std::vector<std::string>& readonly) {
  // LAB(04.2) Make every mount private, bind the rootfs onto itself, mount /proc, /sys and /dev
  // in it (make_sys, make_dev), then pivot_root into it and detach the old root.
  mount_or_throw("", "/", nullptr, MS_REC | MS_PRIVATE);
  mount_or_throw(rootfs.string(), rootfs, nullptr, MS_BIND | MS_REC);
  fs::create_directories(rootfs / "proc");
  mount_or_throw("proc", rootfs / "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  fs::create_directories(rootfs / "sys");
  make_sys(rootfs / "sys");
  fs::create_directories(rootfs / "dev");
  make_dev(rootfs / "dev");
  if (::chdir(rootfs.c_str()) != 0) throw SysError("chdir", rootfs.string(), errno);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) {
    throw SysError("pivot_root", rootfs.string(), errno);
  }
  if (::umount2(".", MNT_DETACH) != 0) throw SysError("umount2", "the old root", errno);
  if (::chdir("/") != 0) throw SysError("chdir", "/", errno);
  // END LAB
  for (const std::string& path : masked) mask_path(path);
  for (const std::string& path : readonly) make_read_only(path);
}

void drop_capabilities(const std::vector<int>& keep) {
  // LAB(04.3) Drop every capability not in `keep` from the bounding set (prctl), then set
  // effective, permitted and inheritable to `keep` (capset) and clear the ambient set.
  auto kept = [&](int cap) { return std::find(keep.begin(), keep.end(), cap) != keep.end(); };
  int last = CAP_LAST_CAP;
  std::ifstream last_cap("/proc/sys/kernel/cap_last_cap");
  if (!(last_cap >> last)) last = CAP_LAST_CAP;
  for (int cap = 0; cap <= last; ++cap) {
    if (!kept(cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      throw SysError("prctl(PR_CAPBSET_DROP)", std::to_string(cap), errno);
    }
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int cap : keep) {
    data[cap / 32].effective |= 1u << (cap % 32);
    data[cap / 32].permitted |= 1u << (cap % 32);
    data[cap / 32].inheritable |= 1u << (cap % 32);
  }
  if (::syscall(SYS_capset, &header, data) != 0) throw SysError("capset", "the kept set", errno);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    throw SysError("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", "", errno);
  }
  // END LAB
}

void mask_path(const fs::path& path) { mask(path); }

void make_read_only(const fs::path& path) {
  if (::access(path.c_str(), F_OK) == 0) bind_read_only(path, path);
}

void set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    throw SysError("prctl(PR_SET_NO_NEW_PRIVS)", "", errno);
  }
}

void install_seccomp(const std::vector<std::pair<int, int>>& deny) {
  if (deny.empty()) return;
  // LAB(04.4) Build a libseccomp filter that allows everything except the calls in `deny`,
  // which fail with their errno, and load it into the kernel.
  std::unique_ptr<void, decltype(&seccomp_release)> filter(seccomp_init(SCMP_ACT_ALLOW),
                                                           &seccomp_release);
  if (!filter) throw SysError("seccomp_init", "", ENOMEM);
  for (auto [syscall, error] : deny) {
    int rc = seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(static_cast<std::uint32_t>(error)),
                              syscall, 0);
    if (rc < 0) throw SysError("seccomp_rule_add", std::to_string(syscall), -rc);
  }
  if (int rc = seccomp_load(filter.get()); rc < 0) throw SysError("seccomp_load", "", -rc);
  // END LAB
}

}  // namespace uh::container
