#include "oci/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "support/sys_error.h"
#include "support/unique_fd.h"

namespace uh::oci {

void run_hook(const Hook& hook, const std::string& state, const std::string& phase,
              int default_timeout_seconds) {
  const std::string what = phase + " hook " + hook.path;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe2", what, errno);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // Everything execve needs is built before fork: the child only calls
  // async-signal-safe functions.
  std::vector<std::string> args = hook.args.empty() ? std::vector{hook.path} : hook.args;
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork", what, errno);
  if (pid == 0) {
    ::dup2(read_end.get(), 0);  // dup2 clears O_CLOEXEC on the copy
    ::setpgid(0, 0);            // its own group: a timeout kills its children too
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  read_end.reset();
  // A hook that does not read its stdin gets EPIPE here, which is its right.
  ::signal(SIGPIPE, SIG_IGN);
  std::size_t done = 0;
  while (done < state.size()) {
    ssize_t n = ::write(write_end.get(), state.data() + done, state.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  write_end.reset();

  const int timeout = hook.timeout_seconds.value_or(default_timeout_seconds);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  int status = 0;
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw SysError("waitpid", what, errno);
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      throw std::runtime_error(what + ": still running after its timeout of " +
                               std::to_string(timeout) + " s; killed it");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20'000));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    throw std::runtime_error(what + ": exited with code 127 (is it an executable file?)");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    throw std::runtime_error(what + ": exited with code " + std::to_string(WEXITSTATUS(status)));
  }
  if (WIFSIGNALED(status)) {
    throw std::runtime_error(what + ": killed by signal " + std::to_string(WTERMSIG(status)));
  }
}

void run_hooks(const std::vector<Hook>& hooks, const std::string& state, const std::string& phase) {
  for (const Hook& hook : hooks) run_hook(hook, state, phase);
}

}  // namespace uh::oci
