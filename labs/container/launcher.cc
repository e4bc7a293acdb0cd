// Your workspace for chapter 04: write the code where the LAB markers are.
// Made from solutions/container/launcher.cc by ci/labgen.py; `./lab test 04` checks your work,
// `./lab hint 04` helps, `./lab reset 04` brings this skeleton back.
#include "container/launcher.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "container/isolation.h"
#include "support/sys_error.h"
#include "support/unique_fd.h"
#include "support/todo.h"

namespace uh::container {

namespace fs = std::filesystem;

namespace {

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe2", "", errno);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

unsigned long clone_flags(const std::set<Namespace>& namespaces) {
  unsigned long flags = 0;
  for (Namespace ns : namespaces) {
    switch (ns) {
      case Namespace::kUser:
        flags |= CLONE_NEWUSER;
        break;
      case Namespace::kPid:
        flags |= CLONE_NEWPID;
        break;
      case Namespace::kMount:
        flags |= CLONE_NEWNS;
        break;
      case Namespace::kUts:
        flags |= CLONE_NEWUTS;
        break;
      case Namespace::kIpc:
        flags |= CLONE_NEWIPC;
        break;
      case Namespace::kNet:
        flags |= CLONE_NEWNET;
        break;
      // Not at clone time: the child unshares it after joining its cgroup,
      // so that the namespace's root is the container's own cgroup.
      case Namespace::kCgroup:
        break;
    }
  }
  return flags;
}

}  // namespace

pid_t clone_into_namespaces(unsigned long flags) {
  clone_args args{};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  const char* call = "clone3";
  long pid = ::syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0 && errno == ENOSYS) {
    call = "clone";
    pid = ::syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  }
  if (pid < 0) {
    throw SysError(call, "the container's init", errno,
                   errno == EPERM || errno == ENOSPC
                       ? "are user namespaces allowed here? (sysctl user.max_user_namespaces)"
                       : "");
  }
  return static_cast<pid_t>(pid);
}

namespace {

void write_file(const fs::path& path, const std::string& text, const std::string& advice) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", path.string(), errno, advice);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::string shown = text.substr(0, text.find_last_not_of('\n') + 1);
    throw SysError("write", path.string() + " (\"" + shown + "\")", errno, advice);
  }
}

void write_id_maps(pid_t child, const ContainerSpec& spec) {
  fs::path proc = fs::path("/proc") / std::to_string(child);
  // LAB(04.1) Write the child's uid_map and gid_map (id_map_text); an unprivileged caller must
  // first write "deny" to its setgroups file, or the kernel refuses the gid_map.
  throw uh::Todo("04.1",
                 "Write the child's uid_map and gid_map (id_map_text); an unprivileged caller "
                 "must first write \"deny\" to its setgroups file, or the kernel refuses the "
                 "gid_map.");
  // END LAB
}

// What the child does between the parent's `go` and execve. Any failure is
// thrown, and the caller sends its message up the error pipe.
[[noreturn]] void child_setup(const ContainerSpec& spec, const ResolvedSpec& resolved) {
  if (spec.namespaces.count(Namespace::kUser)) become_root();
  if (spec.namespaces.count(Namespace::kCgroup) && ::unshare(CLONE_NEWCGROUP) != 0) {
    throw SysError("unshare", "cgroup namespace", errno);
  }
  if (spec.namespaces.count(Namespace::kUts) &&
      ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    throw SysError("sethostname", spec.hostname, errno);
  }
  for (auto [fd, target] :
       {std::pair{spec.stdin_fd.get(), 0}, {spec.stdout_fd.get(), 1}, {spec.stderr_fd.get(), 2}}) {
    if (fd >= 0 && ::dup2(fd, target) < 0) throw SysError("dup2", std::to_string(fd), errno);
  }
  // Only the three standard streams go in: every other descriptor this
  // process inherited (the caller's files, sockets, pipes made without
  // O_CLOEXEC) closes at execve. The error pipe is O_CLOEXEC already.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    throw SysError("close_range", "descriptors 3 and up", errno);
  }
  enter_rootfs(spec.rootfs, spec.masked_paths, spec.readonly_paths);
  apply_rlimits(resolved.rlimits);
  if (::chdir(spec.cwd.c_str()) != 0) throw SysError("chdir", spec.cwd, errno);
  if (spec.capabilities) drop_capabilities(resolved.capabilities_kept);
  if (spec.no_new_privileges) set_no_new_privs();
  install_seccomp(resolved.seccomp_deny);
  std::vector<char*> argv, envp;
  for (const std::string& a : spec.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(resolved.program.c_str(), argv.data(), envp.data());
  throw SysError("execve", resolved.program.string(), errno);
}

[[noreturn]] void child_main(const ContainerSpec& spec, const ResolvedSpec& resolved, Pipe& go,
                             Pipe& errors) {
  go.write.reset();
  errors.read.reset();
  char byte = 0;
  if (::read(go.read.get(), &byte, 1) != 1) ::_exit(126);  // the parent gave up
  try {
    child_setup(spec, resolved);
  } catch (const std::exception& e) {
    std::string message = e.what();
    [[maybe_unused]] ssize_t n = ::write(errors.write.get(), message.data(), message.size());
  }
  ::_exit(127);
}

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace

std::string id_map_text(const std::vector<IdMapping>& mappings, std::uint32_t own_id) {
  if (mappings.empty()) return "0 " + std::to_string(own_id) + " 1\n";
  std::string text;
  for (const IdMapping& m : mappings) {
    text += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " +
            std::to_string(m.count) + "\n";
  }
  return text;
}

std::string ExitStatus::describe() const {
  std::string text =
      exited() ? "exited with code " + std::to_string(code)
               : "killed by signal " + std::to_string(signal) + " (" + signal_name(signal) + ")";
  if (oom_killed) text += ", out of memory";
  return text;
}

Container::Container(pid_t pid, std::unique_ptr<CgroupDriver> cgroup)
    : pid_(pid), cgroup_(std::move(cgroup)) {}

Container::Container(Container&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), cgroup_(std::move(other.cgroup_)) {}

Container& Container::operator=(Container&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    cgroup_ = std::move(other.cgroup_);
  }
  return *this;
}

Container::~Container() { release(); }

void Container::release() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  if (cgroup_) {
    try {
      cgroup_->remove();
    } catch (const std::exception&) {
      // A destructor cannot report it; wait() is the place where it is reported.
    }
    cgroup_.reset();
  }
}

void Container::kill(int signal) {
  if (pid_ <= 0) throw std::logic_error("kill: the container has already been waited for");
  if (::kill(pid_, signal) != 0) throw SysError("kill", std::to_string(pid_), errno);
}

ExitStatus Container::wait() {
  if (pid_ <= 0) throw std::logic_error("wait: the container has already been waited for");
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw SysError("waitpid", std::to_string(pid_), errno);
  }
  pid_ = -1;
  ExitStatus out;
  if (WIFEXITED(status)) out.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  if (cgroup_) {
    CgroupStats stats = cgroup_->stats();
    out.oom_killed = stats.oom_kills.value_or(0) > 0;
    std::unique_ptr<CgroupDriver> group = std::move(cgroup_);
    group->remove();  // kills anything init left behind
  }
  return out;
}

// Removes a cgroup while another error is on its way: that error is the one to
// report, so a failure here is swallowed.
void remove_quietly(CgroupDriver& cgroup) noexcept {
  try {
    cgroup.remove();
  } catch (...) {
  }
}

Container Container::start(const ContainerSpec& spec) {
  ResolvedSpec resolved = validate(spec);  // bad input fails here, before anything exists
  // The pipes first: failing to make them leaves nothing to undo.
  Pipe go = make_pipe(), errors = make_pipe();
  std::unique_ptr<CgroupDriver> cgroup;
  if (spec.cgroup_limits) {
    static std::atomic<int> counter{0};
    std::string name = spec.cgroup_name.empty() ? "uh-container/" + std::to_string(::getpid()) +
                                                      "-" + std::to_string(counter++)
                                                : spec.cgroup_name;
    cgroup = host_cgroup_driver();
    cgroup->create(name);
    try {
      cgroup->apply(*spec.cgroup_limits);
    } catch (...) {
      remove_quietly(*cgroup);
      throw;
    }
  }
  pid_t pid = -1;
  try {
    pid = clone_into_namespaces(clone_flags(spec.namespaces));
  } catch (...) {
    if (cgroup) remove_quietly(*cgroup);
    throw;
  }
  if (pid == 0) child_main(spec, resolved, go, errors);

  // From here on the Container owns the child and the cgroup: if anything
  // throws, its destructor kills and reaps the one and removes the other.
  Container container(pid, std::move(cgroup));
  go.read.reset();
  errors.write.reset();
  if (container.cgroup_) container.cgroup_->join(pid);
  if (spec.namespaces.count(Namespace::kUser)) write_id_maps(pid, spec);
  char byte = 1;
  if (::write(go.write.get(), &byte, 1) != 1) throw SysError("write", "the go pipe", errno);
  go.write.reset();
  std::string message;
  char buffer[512];
  for (;;) {
    ssize_t n = ::read(errors.read.get(), buffer, sizeof(buffer));
    if (n > 0) {
      message.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  if (!message.empty()) {
    throw std::runtime_error("container setup failed: " + message);
  }
  // EOF with no message: execve closed the pipe. (A child killed from outside
  // during setup reads the same; wait() then reports the signal.)
  return container;
}

}  // namespace uh::container
