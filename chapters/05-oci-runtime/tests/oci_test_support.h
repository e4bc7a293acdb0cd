// Chapter 05 tests — bundles, running the uhrun binary, and what a container
// could leave behind.
#pragma once

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "container/rootfs.h"
#include "oci/config.h"
#include "support/unique_fd.h"

namespace uh::oci::testing {

namespace fs = std::filesystem;
namespace json = boost::json;

inline std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "uh-ch05-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// One busybox rootfs per test process, shared by its bundles (root.path is absolute).
inline const fs::path& shared_rootfs() {
  static TempDir dir;
  static const fs::path rootfs = [] {
    fs::path r = dir.path() / "rootfs";
    container::build_busybox_rootfs(r);
    return r;
  }();
  return rootfs;
}

// A bundle: config.json from the default `uhrun spec` writes, with the
// process's args replaced and `edit` applied to the JSON, and root.path
// pointing at the shared rootfs (read-only, as in the default).
class Bundle {
 public:
  explicit Bundle(std::vector<std::string> args,
                  const std::function<void(json::object&)>& edit = {}) {
    json::object config = json::parse(default_config_json()).as_object();
    config["root"].as_object()["path"] = shared_rootfs().string();
    json::array a;
    for (const auto& s : args) a.push_back(json::string(s));
    config["process"].as_object()["args"] = a;
    if (edit) edit(config);
    write(json::serialize(config));
  }
  void write(const std::string& text) const { std::ofstream(dir_.path() / "config.json") << text; }
  const fs::path& path() const { return dir_.path(); }

 private:
  TempDir dir_;
};

struct Result {
  int code = -1;
  std::string out, err;
};

// Runs uhrun with `args`, its stdout and stderr captured; stdin is /dev/null.
inline Result uhrun(const std::vector<std::string>& args) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("pipe2");
  }
  UniqueFd out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);
  std::vector<std::string> argv_s = {UH_UHRUN_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out_w.get(), 1);
    ::dup2(err_w.get(), 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  out_w.reset();
  err_w.reset();
  Result r;
  // Read both pipes to the end; a container's processes hold them open as
  // long as they live, so a detached container's output is not waited for:
  // the caller closes nothing but reads what came until uhrun exited.
  auto drain = [](int fd, std::string& into) {
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) into.append(buffer, n);
  };
  int status = 0;
  // stderr first is safe: uhrun writes at most a line or two there.
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);
  for (;;) {
    drain(out_r.get(), r.out);
    drain(err_r.get(), r.err);
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    ::usleep(500);
  }
  drain(out_r.get(), r.out);
  drain(err_r.get(), r.err);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// This process adopts the containers' inits once their `create` exits (as
// conmon does for podman), so that they can be reaped; reap() collects any
// that have ended.
inline void become_subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
inline void reap() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

// The mount points of this mount namespace.
inline std::multiset<std::string> mounts() {
  std::multiset<std::string> out;
  std::istringstream in(slurp("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string f;
    for (int i = 0; i < 5 && fields >> f; ++i) {
    }
    out.insert(f);
  }
  return out;
}

// Every directory named `name` below /sys/fs/cgroup (a few levels deep).
inline std::vector<fs::path> cgroup_dirs_named(const std::string& name) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           "/sys/fs/cgroup", fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it.depth() > 6) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec) && it->path().filename() == name) out.push_back(it->path());
  }
  return out;
}

}  // namespace uh::oci::testing
