// Chapter 04 tests — a busybox rootfs, running a container to completion, and
// snapshots of what a container could leave behind on the host.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include "container/launcher.h"
#include "container/rootfs.h"

namespace uh::container::testing {

namespace fs = std::filesystem;

// One busybox rootfs per test process, made on first use and removed at exit.
// It lives under /tmp with mode 755, so that an unprivileged user can use it.
inline const fs::path& busybox_rootfs() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("uh-ch04-rootfs-" + std::to_string(::getpid()));
    fs::remove_all(d);
    build_busybox_rootfs(d);
    fs::permissions(d, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
    std::atexit([] {
      fs::remove_all(fs::temp_directory_path() / ("uh-ch04-rootfs-" + std::to_string(::getpid())));
    });
    return d;
  }();
  return dir;
}

inline ContainerSpec spec_for(std::vector<std::string> args) {
  ContainerSpec spec;
  spec.rootfs = busybox_rootfs();
  spec.args = std::move(args);
  return spec;
}

struct Outcome {
  ExitStatus status;
  std::string out, err;
};

// Starts `spec` with its stdout and stderr captured, reads both to the end
// (when every process in the container has gone) and reaps it.
inline std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

inline Outcome run(ContainerSpec spec) {
  auto [out_read, out_write] = make_pipe();
  auto [err_read, err_write] = make_pipe();
  spec.stdout_fd = BorrowedFd(out_write);
  spec.stderr_fd = BorrowedFd(err_write);
  Outcome result;
  Container c = Container::start(spec);
  // Only the container holds the write ends now: end of file means it is done.
  out_write.reset();
  err_write.reset();
  auto drain = [](const UniqueFd& fd, std::string& into) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd.get(), buffer, sizeof(buffer))) > 0) into.append(buffer, n);
  };
  std::thread err_reader([&] { drain(err_read, result.err); });
  drain(out_read, result.out);
  err_reader.join();
  result.status = c.wait();
  return result;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// What a container must not leave behind: mounts in our namespace, child
// processes, and directories under the cgroup roots.
struct HostSnapshot {
  std::string mounts;
  std::set<std::string> children;
  std::set<std::string> cgroup_dirs;

  static HostSnapshot take() {
    HostSnapshot s;
    s.mounts = read_text("/proc/self/mountinfo");
    s.children = children_of_self();
    std::error_code ec;
    for (const char* root : {"/sys/fs/cgroup"}) {
      for (auto it = fs::recursive_directory_iterator(
               root, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it.depth() > 4) it.disable_recursion_pending();
        if (it->is_directory(ec) && it->path().string().find("uh-container") != std::string::npos) {
          s.cgroup_dirs.insert(it->path().string());
        }
      }
    }
    return s;
  }

  static std::set<std::string> children_of_self() {
    std::set<std::string> out;
    fs::path tasks = "/proc/self/task";
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(tasks, ec)) {
      std::ifstream in(task.path() / "children");
      std::string pid;
      while (in >> pid) out.insert(pid);
    }
    return out;
  }
};

}  // namespace uh::container::testing
