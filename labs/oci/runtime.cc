// Your workspace for chapter 05: write the code where the LAB markers are.
// Made from solutions/oci/runtime.cc by ci/labgen.py; `./lab test 05` checks your work,
// `./lab hint 05` helps, `./lab reset 05` brings this skeleton back.
#include "oci/runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "container/cgroup.h"
#include "container/isolation.h"
#include "container/launcher.h"
#include "oci/config.h"
#include "oci/hooks.h"
#include "oci/init.h"
#include "oci/seccomp_filter.h"
#include "support/sys_error.h"
#include "support/todo.h"

namespace uh::oci {

namespace fs = std::filesystem;

namespace {

// Undo steps, run newest first unless the whole operation succeeded.
class Undo {
 public:
  Undo() = default;
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  ~Undo() {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      try {
        (*it)();
      } catch (...) {
        // The error that started the undoing is the one to report.
      }
    }
  }
  void add(std::function<void()> step) { steps_.push_back(std::move(step)); }
  void dismiss() { steps_.clear(); }

 private:
  std::vector<std::function<void()>> steps_;
};

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()) %
                  std::chrono::seconds(1);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lldZ", static_cast<long long>(ns.count()));
  return std::string(text) + frac;
}

// /proc/self/cgroup with every group replaced by the hierarchy's root: the
// drivers then make groups below the root, which is what an absolute
// cgroupsPath means (config-linux.md "Cgroups Path").
std::string root_cgroup_text() {
  std::ifstream in("/proc/self/cgroup");
  std::string line, out;
  while (std::getline(in, line)) {
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    out += line.substr(0, second + 1) + "/\n";
  }
  return out;
}

std::unique_ptr<container::CgroupDriver> cgroup_driver(bool from_root) {
  if (!from_root) return container::host_cgroup_driver();
  const fs::path root = "/sys/fs/cgroup";
  return container::make_cgroup_driver(container::detect_cgroup_mode(root), root,
                                       root_cgroup_text());
}

// config-linux.md: an absolute cgroupsPath is below the hierarchy's root, a
// relative one below the runtime's own group; none at all is the runtime's
// choice. With --systemd-cgroup, "slice:prefix:name" names a scope in a slice.
std::pair<std::string, bool> cgroup_name(const RuntimeOptions& rt, const Config& c,
                                         const std::string& id) {
  std::string path = c.cgroups_path;
  if (rt.systemd_cgroup && std::count(path.begin(), path.end(), ':') == 2) {
    const std::size_t a = path.find(':'), b = path.find(':', a + 1);
    const std::string slice = path.substr(0, a).empty() ? "system.slice" : path.substr(0, a);
    path = "/" + slice + "/" + path.substr(a + 1, b - a - 1) + "-" + path.substr(b + 1) + ".scope";
  }
  if (path.empty()) return {"uhrun/" + id, false};
  if (path.front() == '/') return {path.substr(path.find_first_not_of('/')), true};
  return {path, false};
}

unsigned long clone_flags(const Config& c) {
  unsigned long flags = 0;
  for (const NamespaceEntry& ns : c.namespaces) {
    if (!ns.path.empty()) continue;
    if (ns.type == "pid") flags |= CLONE_NEWPID;
    if (ns.type == "network") flags |= CLONE_NEWNET;
    if (ns.type == "mount") flags |= CLONE_NEWNS;
    if (ns.type == "ipc") flags |= CLONE_NEWIPC;
    if (ns.type == "uts") flags |= CLONE_NEWUTS;
    if (ns.type == "user") flags |= CLONE_NEWUSER;
    // cgroup: the init unshares it after joining its group.
  }
  return flags;
}

void write_proc_file(pid_t pid, const std::string& name, const std::string& text) {
  const fs::path file = fs::path("/proc") / std::to_string(pid) / name;
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", file.string(), errno);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw SysError("write", file.string() + " (\"" + text.substr(0, text.find('\n')) + "\")",
                   errno);
  }
}

Status status_now(const StateStore& store, const ContainerState& s) {
  return derive_status(s, process_info(s.pid), fs::exists(fs::symlink_status(store.fifo(s.id))));
}

// Waits (bounded) until `pid` is gone or a zombie.
bool wait_gone(pid_t pid, std::uint64_t start_time, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const ProcessInfo p = process_info(pid);
    if (!p.exists || p.zombie || p.start_time != start_time) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Config stored_config(const StateStore& store, const ContainerState& s) {
  std::ifstream in(store.dir(s.id) / "config.json");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), s.bundle);
}

}  // namespace

// ---------------------------------------------------------------- create

pid_t create_container(const RuntimeOptions& rt, const CreateOptions& opts) {
  StateStore store(rt.root);
  const fs::path bundle = fs::absolute(opts.bundle).lexically_normal();
  // Everything that can be checked is checked before anything exists.
  check_container_id(opts.id);
  const Config config = load_config(bundle);
  if (!fs::is_directory(config.root)) {
    throw ConfigError("config.json: root.path: " + config.root.string() + " is not a directory");
  }
  const NamespaceEntry* mount_ns = config.find_namespace("mount");
  if (!mount_ns || !mount_ns->path.empty()) {
    throw ConfigError(
        "config.json: linux.namespaces: this runtime needs a new mount namespace (pivot_root "
        "would otherwise change the host's root)");
  }
  const NamespaceEntry* user_ns = config.find_namespace("user");
  const bool new_user_ns = user_ns && user_ns->path.empty();
  if (new_user_ns && (config.uid_mappings.empty() || config.gid_mappings.empty())) {
    throw ConfigError(
        "config.json: linux.uidMappings/gidMappings: a new user namespace needs both");
  }
  if (config.process.terminal && opts.console_socket.empty()) {
    throw std::invalid_argument("process.terminal is true: pass --console-socket <path>");
  }
  if (!config.process.terminal && !opts.console_socket.empty()) {
    throw std::invalid_argument("--console-socket given, but process.terminal is false");
  }
  std::optional<SeccompFilter> seccomp;
  if (config.seccomp) seccomp.emplace(*config.seccomp);

  // Each undo step owns (or copies) what it needs: it may run after the
  // locals it was made beside are gone.
  Undo undo;
  UniqueFd lock = store.create_dir(opts.id);
  undo.add([store, id = opts.id] { store.remove(id); });
  fs::copy_file(bundle / "config.json", store.dir(opts.id) / "config.json");
  if (::mkfifo(store.fifo(opts.id).c_str(), 0600) != 0) {
    throw SysError("mkfifo", store.fifo(opts.id).string(), errno);
  }

  ContainerState state;
  state.oci_version = config.oci_version;
  state.id = opts.id;
  state.bundle = bundle.string();
  state.rootfs = config.root.string();
  state.annotations = config.annotations;
  std::tie(state.cgroup, state.cgroup_from_root) = cgroup_name(rt, config, opts.id);
  std::shared_ptr<container::CgroupDriver> cgroup = cgroup_driver(state.cgroup_from_root);
  cgroup->create(state.cgroup);
  undo.add([cgroup] { cgroup->remove(); });
  if (config.resources) cgroup->apply(*config.resources);

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    throw SysError("socketpair", "the create handshake", errno);
  }
  SyncSocket parent_end{UniqueFd(pair[0])};
  UniqueFd child_end(pair[1]);
  // A PID namespace given by path is joined here: setns(CLONE_NEWPID)
  // changes where this process's next child goes.
  if (const NamespaceEntry* pid_ns = config.find_namespace("pid");
      pid_ns && !pid_ns->path.empty()) {
    UniqueFd fd(::open(pid_ns->path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("open", "pid namespace " + pid_ns->path, errno);
    if (::setns(fd.get(), CLONE_NEWPID) != 0)
      throw SysError("setns", "pid namespace " + pid_ns->path, errno);
  }
  InitPlan plan{&config,
                bundle,
                store.fifo(opts.id),
                opts.console_socket.empty() ? fs::path() : fs::absolute(opts.console_socket),
                seccomp ? &*seccomp : nullptr,
                new_user_ns};
  const pid_t pid = container::clone_into_namespaces(clone_flags(config));
  if (pid == 0) {
    parent_end.close();
    lock.reset();
    container_init(plan, SyncSocket(std::move(child_end)));
  }
  undo.add([pid] {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  });
  child_end.reset();
  state.pid = pid;
  state.pid_start_time = process_info(pid).start_time;
  state.created = now_rfc3339();

  const std::string gone = "the container's init ended during setup";
  auto expect = [&](SyncMessage wanted) {
    auto [type, text] = parent_end.receive(gone);
    if (type == SyncMessage::kError) throw std::runtime_error("container init: " + text);
    if (type != wanted) throw std::runtime_error("container init: handshake out of order");
  };
  if (config.process.oom_score_adj) {
    write_proc_file(pid, "oom_score_adj", std::to_string(*config.process.oom_score_adj));
  }
  if (new_user_ns) {
    write_proc_file(pid, "uid_map", container::id_map_text(config.uid_mappings, 0));
    write_proc_file(pid, "gid_map", container::id_map_text(config.gid_mappings, 0));
  }
  parent_end.send(SyncMessage::kGo);
  // The move into the cgroup, while the init does its mounts (see init.h).
  cgroup->join(pid);
  expect(SyncMessage::kHooks);
  // runtime.md "Lifecycle" step 5: createRuntime (and the deprecated
  // prestart) run in the runtime's namespaces, after the namespaces exist.
  const std::string creating_json = [&] {
    boost::json::object o = boost::json::parse(state_json(state, Status::kCreated)).as_object();
    o["status"] = "creating";
    return boost::json::serialize(o);
  }();
  try {
    run_hooks(config.hooks.prestart, creating_json, "prestart");
    run_hooks(config.hooks.create_runtime, creating_json, "createRuntime");
  } catch (const std::exception& e) {
    parent_end.send(SyncMessage::kError, e.what());
    throw;
  }
  parent_end.send(SyncMessage::kState, state_json(state, Status::kCreated));
  expect(SyncMessage::kCreated);

  state.status = Status::kCreated;
  store.save(state);
  if (!opts.pid_file.empty()) {
    write_file_atomically(fs::absolute(opts.pid_file), std::to_string(pid) + "\n");
  }
  undo.dismiss();
  return pid;
}

// ---------------------------------------------------------------- start

void release_init(const fs::path& fifo, pid_t pid) {
  // LAB(05.4) Release the init: open the exec FIFO for reading (without blocking, so a dead
  // init cannot hang us), wait until the init writes its byte, then remove the FIFO.
  throw uh::Todo("05.4",
                 "Release the init: open the exec FIFO for reading (without blocking, so a dead "
                 "init cannot hang us), wait until the init writes its byte, then remove the "
                 "FIFO.");
  // END LAB
}

void start_container(const RuntimeOptions& rt, const std::string& id) {
  StateStore store(rt.root);
  UniqueFd lock = store.lock(id);
  ContainerState state = store.load(id);
  const Status status = status_now(store, state);
  if (status != Status::kCreated) {
    throw std::runtime_error("cannot start container " + id + ": it is " + to_string(status) +
                             " (only a created container can be started)");
  }
  try {
    release_init(store.fifo(id), state.pid);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("cannot start container " + id + ": " + e.what());
  }
  state.status = Status::kRunning;
  store.save(state);
  // poststart hooks: failures are warnings (runtime.md "Lifecycle" step 10).
  try {
    run_hooks(stored_config(store, state).hooks.poststart, state_json(state, Status::kRunning),
              "poststart");
  } catch (const std::exception& e) {
    std::cerr << "uhrun: warning: " << e.what() << "\n";
  }
}

// ---------------------------------------------------------------- state, kill, list

std::string container_state(const RuntimeOptions& rt, const std::string& id) {
  StateStore store(rt.root);
  const ContainerState state = store.load(id);
  return state_json(state, status_now(store, state));
}

void kill_container(const RuntimeOptions& rt, const std::string& id, int signal, bool all) {
  StateStore store(rt.root);
  UniqueFd lock = store.lock(id);
  const ContainerState state = store.load(id);
  const Status status = status_now(store, state);
  if (status == Status::kStopped) {
    throw std::runtime_error("cannot kill container " + id + ": it is stopped");
  }
  if (all) {
    auto cgroup = cgroup_driver(state.cgroup_from_root);
    cgroup->open(state.cgroup);
    for (pid_t p : cgroup->processes()) ::kill(p, signal);
    return;
  }
  if (::kill(state.pid, signal) != 0) throw SysError("kill", "container " + id + " init", errno);
}

std::vector<std::pair<ContainerState, Status>> list_containers(const RuntimeOptions& rt) {
  StateStore store(rt.root);
  std::vector<std::pair<ContainerState, Status>> out;
  for (const std::string& id : store.list()) {
    try {
      ContainerState s = store.load(id);
      out.emplace_back(s, status_now(store, s));
    } catch (const std::exception&) {
      // Half-created (its create is still running) or corrupt: not listed.
    }
  }
  return out;
}

// ---------------------------------------------------------------- delete

void delete_container(const RuntimeOptions& rt, const std::string& id, bool force) {
  StateStore store(rt.root);
  UniqueFd lock = store.lock(id);
  ContainerState state;
  try {
    state = store.load(id);
  } catch (const std::runtime_error&) {
    if (!force) throw;
    store.remove(id);  // a corrupt or half-written record: nothing more to find
    return;
  }
  const Status status = status_now(store, state);
  if (status != Status::kStopped) {
    if (!force) {
      throw std::runtime_error("cannot delete container " + id + ": it is " + to_string(status) +
                               "; stop it first, or delete --force");
    }
    ::kill(state.pid, SIGKILL);
    if (!wait_gone(state.pid, state.pid_start_time, std::chrono::seconds(10))) {
      throw std::runtime_error("container " + id + ": init " + std::to_string(state.pid) +
                               " survived SIGKILL for 10 s");
    }
  }
  // The cgroup: kill whatever the init left behind, then remove it.
  auto cgroup = cgroup_driver(state.cgroup_from_root);
  try {
    cgroup->open(state.cgroup);
  } catch (const SysError& e) {
    if (e.code().value() != ENOENT) throw;
    cgroup.reset();  // already gone
  }
  if (cgroup) cgroup->remove();
  Config config;
  bool have_config = true;
  try {
    config = stored_config(store, state);
  } catch (const std::exception&) {
    have_config = false;
  }
  store.remove(id);
  // poststop hooks: after the container is deleted; failures are warnings.
  if (have_config) {
    try {
      run_hooks(config.hooks.poststop, state_json(state, Status::kStopped), "poststop");
    } catch (const std::exception& e) {
      std::cerr << "uhrun: warning: " << e.what() << "\n";
    }
  }
}

// ---------------------------------------------------------------- run

int run_container(const RuntimeOptions& rt, const CreateOptions& opts, bool detach) {
  const pid_t pid = create_container(rt, opts);
  try {
    start_container(rt, opts.id);
  } catch (...) {
    try {
      delete_container(rt, opts.id, true);
    } catch (...) {
    }
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw;
  }
  if (detach) return 0;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw SysError("waitpid", "container " + opts.id, errno);
  }
  delete_container(rt, opts.id, true);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

// ---------------------------------------------------------------- exec

int exec_in_container(const RuntimeOptions& rt, const ExecOptions& opts) {
  StateStore store(rt.root);
  ContainerState state;
  Config config;
  {
    UniqueFd lock = store.lock(opts.id);
    state = store.load(opts.id);
    const Status status = status_now(store, state);
    if (status != Status::kRunning) {
      throw std::runtime_error("cannot exec in container " + opts.id + ": it is " +
                               to_string(status) + " (exec needs a running container)");
    }
    config = stored_config(store, state);
  }
  Process process = config.process;
  if (!opts.process_file.empty()) {
    std::ifstream in(opts.process_file);
    if (!in)
      throw std::runtime_error("--process " + opts.process_file.string() + ": cannot read it");
    std::ostringstream text;
    text << in.rdbuf();
    // A process.json is config.json's "process" object: parse it as one.
    const std::string wrapped =
        R"({"ociVersion":"1.0.0","root":{"path":"/"},"process":)" + text.str() + "}";
    process = parse_config(wrapped, "/").process;
  }
  if (!opts.args.empty()) process.args = opts.args;
  if (process.args.empty()) throw std::invalid_argument("exec: no command given");
  for (const std::string& e : opts.env) process.env.push_back(e);
  if (!opts.cwd.empty()) process.cwd = opts.cwd;
  std::optional<SeccompFilter> seccomp;
  if (config.seccomp) seccomp.emplace(*config.seccomp);

  // The namespaces to join: each of the init's that differs from ours.
  // The user namespace first; the mount namespace last, since after it the
  // other /proc/<pid>/ns files may no longer be reachable by path.
  std::vector<std::pair<UniqueFd, int>> namespaces;
  for (auto [name, flag] : {std::pair{"user", CLONE_NEWUSER},
                            {"ipc", CLONE_NEWIPC},
                            {"uts", CLONE_NEWUTS},
                            {"net", CLONE_NEWNET},
                            {"pid", CLONE_NEWPID},
                            {"cgroup", CLONE_NEWCGROUP},
                            {"mnt", CLONE_NEWNS}}) {
    const std::string theirs = "/proc/" + std::to_string(state.pid) + "/ns/" + name;
    struct stat a {
    }, b{};
    if (::stat(theirs.c_str(), &a) != 0) throw SysError("stat", theirs, errno);
    if (::stat((std::string("/proc/self/ns/") + name).c_str(), &b) == 0 && a.st_ino == b.st_ino) {
      continue;
    }
    UniqueFd fd(::open(theirs.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("open", theirs, errno);
    namespaces.emplace_back(std::move(fd), flag);
  }
  auto cgroup = cgroup_driver(state.cgroup_from_root);
  cgroup->open(state.cgroup);

  int pid_pipe[2];
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0) throw SysError("pipe2", "exec", errno);
  UniqueFd pid_read(pid_pipe[0]), pid_write(pid_pipe[1]);
  const pid_t middle = ::fork();
  if (middle < 0) throw SysError("fork", "exec", errno);
  if (middle == 0) {
    // The middle process joins the namespaces; its child is the one in the
    // container's PID namespace (setns(CLONE_NEWPID) moves children only).
    pid_read.reset();
    try {
      cgroup->join(::getpid());
      for (auto& [fd, flag] : namespaces) {
        if (::setns(fd.get(), flag) != 0) throw SysError("setns", "exec", errno);
      }
      const pid_t inner = ::fork();
      if (inner < 0) throw SysError("fork", "exec", errno);
      if (inner == 0) {
        try {
          if (::chdir(process.cwd.c_str()) != 0) throw SysError("chdir", process.cwd, errno);
          if (seccomp && !process.no_new_privileges) seccomp->load(false);
          apply_user_and_capabilities(process.user, process.capabilities);
          if (process.no_new_privileges) container::set_no_new_privs();
          const std::string program = find_program(process.args.front(), process.env);
          std::vector<char*> argv, envp;
          for (std::string& a : process.args) argv.push_back(a.data());
          argv.push_back(nullptr);
          for (std::string& e : process.env) envp.push_back(e.data());
          envp.push_back(nullptr);
          if (seccomp && process.no_new_privileges) seccomp->load(true);
          ::execve(program.c_str(), argv.data(), envp.data());
          throw SysError("execve", program, errno);
        } catch (const std::exception& e) {
          std::cerr << "uhrun: exec: " << e.what() << std::endl;
          ::_exit(127);
        }
      }
      const std::string text = std::to_string(inner);
      [[maybe_unused]] ssize_t n = ::write(pid_write.get(), text.data(), text.size());
      pid_write.reset();
      if (opts.detach) ::_exit(0);  // the process lives on, reparented
      int status = 0;
      while (::waitpid(inner, &status, 0) < 0 && errno == EINTR) {
      }
      ::_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    } catch (const std::exception& e) {
      std::cerr << "uhrun: exec: " << e.what() << std::endl;
      ::_exit(127);
    }
  }
  pid_write.reset();
  std::string inner_pid;
  char buffer[32];
  for (ssize_t n; (n = ::read(pid_read.get(), buffer, sizeof buffer)) > 0;)
    inner_pid.append(buffer, n);
  if (!opts.pid_file.empty() && !inner_pid.empty()) {
    write_file_atomically(fs::absolute(opts.pid_file), inner_pid + "\n");
  }
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0) {
    if (errno != EINTR) throw SysError("waitpid", "exec", errno);
  }
  if (inner_pid.empty()) throw std::runtime_error("exec: could not enter container " + opts.id);
  if (opts.detach) return 0;
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

// ---------------------------------------------------------------- signals

int parse_signal(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("signal: empty");
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const int n = text.size() <= 3 ? std::stoi(text) : 0;
    if (n <= 0 || n >= NSIG) throw std::invalid_argument("signal " + text + ": out of range");
    return n;
  }
  std::string name;
  for (char c : text) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (int n = 1; n < NSIG; ++n) {
    const char* abbrev = ::sigabbrev_np(n);
    if (abbrev && name == abbrev) return n;
  }
  throw std::invalid_argument("signal " + text + ": unknown (try TERM, KILL, HUP or a number)");
}

}  // namespace uh::oci
