#include "oci/init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "container/cgroup.h"
#include "container/isolation.h"
#include "oci/hooks.h"
#include "oci/mount_options.h"
#include "support/sys_error.h"

namespace uh::oci {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- the socket

void SyncSocket::send(SyncMessage type, std::string_view payload) const {
  std::string message(1, static_cast<char>(type));
  message.append(payload);
  if (::send(fd_.get(), message.data(), message.size(), MSG_NOSIGNAL) < 0) {
    throw SysError("send", "the create handshake", errno);
  }
}

std::pair<SyncMessage, std::string> SyncSocket::receive(const std::string& peer_gone) const {
  std::string buffer(64 << 10, '\0');
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("recv", "the create handshake", errno);
    if (n == 0) return {SyncMessage::kError, peer_gone};
    buffer.resize(static_cast<std::size_t>(n));
    const auto type = static_cast<SyncMessage>(buffer[0]);
    switch (type) {
      case SyncMessage::kGo:
      case SyncMessage::kHooks:
      case SyncMessage::kState:
      case SyncMessage::kCreated:
      case SyncMessage::kError:
        return {type, buffer.substr(1)};
    }
    return {SyncMessage::kError, "unexpected handshake message"};
  }
}

namespace {

// ---------------------------------------------------------------- mounts

void do_mount(const std::string& source, const fs::path& target, const std::string& type,
              unsigned long flags, const std::string& data, const std::string& what) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
              type.empty() ? nullptr : type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    throw SysError("mount", what, errno);
  }
}

// The flags a bind remount must repeat (see chapter 04, "Locked mount flags").
using container::locked_flags;

// Makes the mount point: a directory, or an empty file for a file bind.
void make_mount_point(const fs::path& target, bool file) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) return;
  fs::create_directories(file ? target.parent_path() : target, ec);
  if (ec) throw SysError("mkdir", target.string(), ec.value());
  if (file) {
    UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) throw SysError("create", target.string(), errno);
  }
}

void mount_entry(const Mount& m, const fs::path& rootfs, const fs::path& bundle) {
  const std::string what =
      (m.type.empty() ? "bind" : m.type) + " " + m.source + " on " + m.destination;
  MountOptions opts;
  try {
    opts = parse_mount_options(m.options);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("mount " + what + ": " + e.what());
  }
  const fs::path target = secure_join(rootfs, m.destination);
  if (m.type == "bind" || opts.bind()) {
    // config.md: a relative source is relative to the bundle.
    const fs::path source =
        fs::path(m.source).is_absolute() ? fs::path(m.source) : bundle / m.source;
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0)
      throw SysError("stat", "bind source " + source.string(), errno);
    make_mount_point(target, !S_ISDIR(st.st_mode));
    do_mount(source, target, "", MS_BIND | (opts.flags & MS_REC), "", what);
    // A bind ignores every other flag: they take a remount of their own.
    const unsigned long rest = opts.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (rest != 0) {
      do_mount("", target, "", MS_BIND | MS_REMOUNT | rest | locked_flags(target), "",
               what + " (remount)");
    }
  } else if (m.type == "cgroup" || m.type == "cgroup2") {
    make_mount_point(target, false);
    // A cgroup2 tree of the container's own cgroup namespace where the host
    // has one; on v1 and hybrid hosts an empty read-only tmpfs (the v1
    // hierarchies would need one mount each).
    const auto mode = container::detect_cgroup_mode();
    if (mode == container::CgroupMode::kUnified) {
      do_mount("cgroup2", target, "cgroup2", opts.flags, "", what);
    } else {
      do_mount("tmpfs", target, "tmpfs", opts.flags | MS_RDONLY, "size=0", what);
    }
  } else {
    make_mount_point(target, false);
    do_mount(m.source, target, m.type, opts.flags & ~MS_REMOUNT, opts.data, what);
  }
  if (opts.propagation != 0)
    do_mount("", target, "", opts.propagation, "", what + " (propagation)");
}

// config-linux.md "Default Devices": what every container's /dev has.
struct Device {
  const char* name;
  unsigned major, minor;
};
constexpr Device kDefaultDevices[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                                      {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

void make_default_devices(const fs::path& dev, bool in_user_namespace) {
  std::error_code ec;
  if (!fs::is_directory(dev, ec)) return;
  for (const Device& d : kDefaultDevices) {
    const fs::path node = dev / d.name;
    if (fs::exists(fs::symlink_status(node, ec))) continue;
    // mknod needs CAP_MKNOD in the initial user namespace; inside a new one
    // bind the host's node instead (chapter 04, "Why /dev nodes are bind mounts").
    if (!in_user_namespace &&
        ::mknod(node.c_str(), S_IFCHR | 0666, makedev(d.major, d.minor)) == 0) {
      ::chmod(node.c_str(), 0666);  // past the umask
      continue;
    }
    make_mount_point(node, true);
    do_mount("/dev/" + std::string(d.name), node, "", MS_BIND, "",
             "bind /dev/" + std::string(d.name));
  }
  for (auto [link, target] : {std::pair{"ptmx", "pts/ptmx"},
                              {"fd", "/proc/self/fd"},
                              {"stdin", "/proc/self/fd/0"},
                              {"stdout", "/proc/self/fd/1"},
                              {"stderr", "/proc/self/fd/2"}}) {
    if (!fs::exists(fs::symlink_status(dev / link, ec))) {
      fs::create_symlink(target, dev / link, ec);
      if (ec) throw SysError("symlink", (dev / link).string(), ec.value());
    }
  }
}

void pivot_into(const fs::path& rootfs) {
  if (::chdir(rootfs.c_str()) != 0) throw SysError("chdir", rootfs.string(), errno);
  if (::syscall(SYS_pivot_root, ".", ".") != 0)
    throw SysError("pivot_root", rootfs.string(), errno);
  // The old root now sits on top of the new one: make it private, so its
  // unmount does not travel back to the host, then detach it.
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    throw SysError("mount", "the old root, rslave", errno);
  }
  if (::umount2(".", MNT_DETACH) != 0) throw SysError("umount2", "the old root", errno);
  if (::chdir("/") != 0) throw SysError("chdir", "/", errno);
}

void write_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", "sysctl " + key + " (" + path + ")", errno);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    throw SysError("write", "sysctl " + key + " = " + value, errno);
  }
}

int namespace_flag(const std::string& type) {
  if (type == "pid") return CLONE_NEWPID;
  if (type == "network") return CLONE_NEWNET;
  if (type == "mount") return CLONE_NEWNS;
  if (type == "ipc") return CLONE_NEWIPC;
  if (type == "uts") return CLONE_NEWUTS;
  if (type == "user") return CLONE_NEWUSER;
  if (type == "cgroup") return CLONE_NEWCGROUP;
  return 0;
}

void join_namespace(const NamespaceEntry& ns) {
  UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", ns.type + " namespace " + ns.path, errno);
  if (::setns(fd.get(), namespace_flag(ns.type)) != 0) {
    throw SysError("setns", ns.type + " namespace " + ns.path, errno);
  }
}

// Everything from kGo to kCreated. Returns the FIFO, opened O_PATH, and the
// console socket when there is a terminal.
struct Prepared {
  UniqueFd fifo;
  std::string state;  // the state JSON the runtime sent, for the startContainer hooks
};

Prepared prepare(const InitPlan& plan, SyncSocket& sync) {
  const Config& c = *plan.config;
  // Joined namespaces first: the user namespace (if joined) decides what
  // the others may do. The PID namespace was joined by the runtime before
  // the clone, since setns(CLONE_NEWPID) only moves children.
  if (const NamespaceEntry* user = c.find_namespace("user"); user && !user->path.empty()) {
    join_namespace(*user);
  }
  for (const NamespaceEntry& ns : c.namespaces) {
    if (!ns.path.empty() && ns.type != "user" && ns.type != "pid") join_namespace(ns);
  }
  if (plan.new_user_namespace) container::become_root();
  if (!c.hostname.empty() && ::sethostname(c.hostname.data(), c.hostname.size()) != 0) {
    throw SysError("sethostname", c.hostname, errno);
  }

  // The root: private propagation (or what the config asks), then the
  // rootfs bound onto itself so that pivot_root accepts it.
  unsigned long propagation = MS_REC | MS_PRIVATE;
  if (!c.rootfs_propagation.empty()) {
    propagation = parse_mount_options({c.rootfs_propagation}).propagation;
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    throw SysError("mount", "/ rslave", errno);
  }
  const fs::path rootfs = c.root;
  do_mount(rootfs, rootfs, "", MS_BIND | MS_REC, "", "the rootfs " + rootfs.string());
  // The mounts, in order, while the runtime moves this process into its
  // cgroup (on a v1 host that move can wait a whole RCU grace period, so it
  // is done meanwhile). Mounts of the cgroup filesystem wait: they must show
  // the cgroup namespace, which can only be made once the move is done.
  std::vector<const Mount*> cgroup_mounts;
  for (const Mount& m : c.mounts) {
    if (m.type == "cgroup" || m.type == "cgroup2") {
      cgroup_mounts.push_back(&m);
    } else {
      mount_entry(m, rootfs, plan.bundle);
    }
  }

  sync.send(SyncMessage::kHooks);
  auto [type, state] = sync.receive("the runtime went away during create");
  if (type != SyncMessage::kState) throw std::runtime_error(state);

  // Now in its cgroup: the namespace's root is that group.
  if (const NamespaceEntry* cg = c.find_namespace("cgroup"); cg && cg->path.empty()) {
    if (::unshare(CLONE_NEWCGROUP) != 0) throw SysError("unshare", "cgroup namespace", errno);
  }
  for (const Mount* m : cgroup_mounts) mount_entry(*m, rootfs, plan.bundle);
  make_default_devices(secure_join(rootfs, "/dev"), plan.new_user_namespace);

  // createContainer hooks: in the container's namespaces, before pivot_root.
  run_hooks(c.hooks.create_container, state, "createContainer");

  Prepared out;
  out.state = state;
  out.fifo = UniqueFd(::open(plan.fifo.c_str(), O_PATH | O_CLOEXEC));
  if (!out.fifo) throw SysError("open", plan.fifo.string(), errno);
  UniqueFd console;
  if (c.process.terminal) console = connect_console_socket(plan.console_socket);

  pivot_into(rootfs);
  // The rootfs propagation the config asked for, now that "/" is the rootfs.
  if (::mount(nullptr, "/", nullptr, propagation, nullptr) != 0) {
    throw SysError("mount", "/ " + c.rootfs_propagation, errno);
  }
  for (const auto& [key, value] : c.sysctl) write_sysctl(key, value);
  for (const std::string& p : c.masked_paths) container::mask_path(p);
  for (const std::string& p : c.readonly_paths) container::make_read_only(p);
  if (c.root_readonly) {
    do_mount("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), "", "/ read-only");
  }

  if (c.process.terminal) {
    auto [master, slave] = open_pty();
    send_console(console, master);
    become_terminal_session(slave.get());
  }
  if (c.process.user.umask) ::umask(*c.process.user.umask);
  container::apply_rlimits(c.process.rlimit_numbers);
  if (::chdir(c.process.cwd.c_str()) != 0) throw SysError("chdir", c.process.cwd, errno);
  // Without no_new_privs the filter goes in now, while CAP_SYS_ADMIN still
  // allows it; with it, as the very last step (runc's order).
  if (plan.seccomp && !c.process.no_new_privileges) plan.seccomp->load(false);
  apply_user_and_capabilities(c.process.user, c.process.capabilities);
  if (c.process.no_new_privileges) container::set_no_new_privs();
  return out;
}

}  // namespace

// ---------------------------------------------------------------- steps

void apply_user_and_capabilities(const User& user, const std::optional<Capabilities>& caps) {
  auto has = [](const std::vector<int>& set, int cap) {
    return std::find(set.begin(), set.end(), cap) != set.end();
  };
  int last = CAP_LAST_CAP;
  std::ifstream last_cap("/proc/sys/kernel/cap_last_cap");
  if (!(last_cap >> last)) last = CAP_LAST_CAP;
  if (caps) {
    // The bounding set first, while CAP_SETPCAP is still ours.
    for (int cap = 0; cap <= last; ++cap) {
      if (!has(caps->bounding, cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
          errno != EINVAL) {
        throw SysError("prctl(PR_CAPBSET_DROP)", std::to_string(cap), errno);
      }
    }
  }
  // Changing uid from 0 clears the permitted set unless KEEPCAPS is on.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    throw SysError("prctl(PR_SET_KEEPCAPS)", "1", errno);
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  if (::setgroups(groups.size(), groups.data()) != 0 && errno != EPERM) {
    throw SysError("setgroups", std::to_string(groups.size()) + " groups", errno);
  }
  if (::setresgid(user.gid, user.gid, user.gid) != 0) {
    throw SysError("setresgid", std::to_string(user.gid), errno, "is the gid mapped?");
  }
  if (::setresuid(user.uid, user.uid, user.uid) != 0) {
    throw SysError("setresuid", std::to_string(user.uid), errno, "is the uid mapped?");
  }
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (!caps) return;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int cap = 0; cap <= last && cap < 64; ++cap) {
    const std::uint32_t bit = 1u << (cap % 32);
    if (has(caps->effective, cap)) data[cap / 32].effective |= bit;
    if (has(caps->permitted, cap)) data[cap / 32].permitted |= bit;
    if (has(caps->inheritable, cap)) data[cap / 32].inheritable |= bit;
  }
  if (::syscall(SYS_capset, &header, data) != 0) {
    throw SysError("capset", "process.capabilities", errno,
                   "effective and inheritable must be within permitted");
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    throw SysError("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", "", errno);
  }
  // An ambient capability must be permitted and inheritable too; runc
  // skips those that are not, and so do we.
  for (int cap : caps->ambient) ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
}

std::string find_program(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) throw SysError("exec", name, errno);
    return name;
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const std::string& e : env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  for (std::size_t at = 0; at <= path.size();) {
    const std::size_t end = std::min(path.find(':', at), path.size());
    const std::string dir = path.substr(at, end - at);
    at = end + 1;
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw std::runtime_error("exec " + name + ": not found on the container's PATH (" + path + ")");
}

void become_terminal_session(int fd) {
  if (::setsid() < 0) throw SysError("setsid", "the container's session", errno);
  if (::ioctl(fd, TIOCSCTTY, 0) != 0) throw SysError("ioctl(TIOCSCTTY)", "the terminal", errno);
  for (int target : {0, 1, 2}) {
    if (::dup2(fd, target) < 0) throw SysError("dup2", "the terminal", errno);
  }
}

std::pair<UniqueFd, UniqueFd> open_pty() {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master)
    throw SysError("open", "/dev/ptmx", errno, "does config.json mount a devpts at /dev/pts?");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0)
    throw SysError("ioctl(TIOCSPTLCK)", "/dev/ptmx", errno);
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) throw SysError("ioctl(TIOCGPTPEER)", "/dev/ptmx", errno);
  return {std::move(master), std::move(slave)};
}

UniqueFd connect_console_socket(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.native().size() >= sizeof(addr.sun_path)) {
    throw std::runtime_error("--console-socket \"" + path.string() + "\" is empty or too long");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw SysError("socket", "console socket", errno);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw SysError("connect", "console socket " + path.string(), errno);
  }
  return s;
}

void send_console(const UniqueFd& socket, const UniqueFd& master) {
  char name[] = "/dev/ptmx";
  iovec iov{name, sizeof name - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  const int fd = master.get();
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  if (::sendmsg(socket.get(), &msg, MSG_NOSIGNAL) < 0) {
    throw SysError("sendmsg", "the terminal over the console socket", errno);
  }
}

// ---------------------------------------------------------------- the init

void container_init(const InitPlan& plan, SyncSocket sync) {
  const Config& c = *plan.config;
  // Nothing of the runtime's may leak into the container: every descriptor
  // but stdio and the handshake closes now (the state directory's lock
  // among them, or `start` would wait for it forever).
  const unsigned s = static_cast<unsigned>(sync.fd());
  if (s > 3) ::syscall(SYS_close_range, 3U, s - 1, 0U);
  ::syscall(SYS_close_range, s + 1, ~0U, 0U);

  Prepared prepared;
  try {
    auto [type, text] = sync.receive("the runtime went away before the go-ahead");
    if (type != SyncMessage::kGo) throw std::runtime_error(text);
    prepared = prepare(plan, sync);
    sync.send(SyncMessage::kCreated);
  } catch (const std::exception& e) {
    try {
      sync.send(SyncMessage::kError, e.what());
    } catch (...) {
    }
    ::_exit(127);
  }
  sync.close();

  // From here the runtime is gone; failures go to the container's stderr.
  try {
    // Blocks until `start` opens the FIFO for reading. /proc/self/fd reopens
    // the O_PATH descriptor, whose path is not reachable after pivot_root.
    const std::string reopen = "/proc/self/fd/" + std::to_string(prepared.fifo.get());
    UniqueFd fifo(::open(reopen.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fifo) throw SysError("open", "the exec FIFO", errno, "is /proc mounted in the container?");
    if (::write(fifo.get(), "0", 1) != 1) throw SysError("write", "the exec FIFO", errno);
    fifo.reset();
    prepared.fifo.reset();
    // startContainer hooks: run in the container, right before the program.
    run_hooks(c.hooks.start_container, prepared.state, "startContainer");
    const std::string program = find_program(c.process.args.front(), c.process.env);
    std::vector<char*> argv, envp;
    std::vector<std::string> args = c.process.args, env = c.process.env;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (plan.seccomp && c.process.no_new_privileges) plan.seccomp->load(true);
    ::execve(program.c_str(), argv.data(), envp.data());
    throw SysError("execve", program, errno);
  } catch (const std::exception& e) {
    const std::string line = std::string("uhrun: container init: ") + e.what() + "\n";
    [[maybe_unused]] ssize_t n = ::write(2, line.data(), line.size());
  }
  ::_exit(127);
}

}  // namespace uh::oci
