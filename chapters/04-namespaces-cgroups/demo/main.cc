// lab run 04 — one busybox command at a time, each in every namespace, next
// to what the same question gets on the host.
//
// No shell in the container: each line runs one busybox applet as the
// container's PID 1, reads its output through a pipe and reaps it.
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "container/launcher.h"
#include "container/rootfs.h"

namespace {

namespace fs = std::filesystem;
using namespace uh::container;

struct Output {
  ExitStatus status;
  std::string text;
};

// Runs `spec` with stdout and stderr into one pipe, and returns what it said.
Output run(ContainerSpec spec) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  uh::UniqueFd read_end(fds[0]), write_end(fds[1]);
  spec.stdout_fd = spec.stderr_fd = uh::BorrowedFd(write_end);
  Output out;
  Container c = Container::start(spec);
  write_end.reset();  // the container holds the only write end now
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(read_end.get(), buffer, sizeof(buffer))) > 0) out.text.append(buffer, n);
  out.status = c.wait();
  while (!out.text.empty() && out.text.back() == '\n') out.text.pop_back();
  return out;
}

std::string host_output(const std::string& command) {
  std::string text;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), p)) > 0) text.append(buffer, n);
    ::pclose(p);
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string indent(const std::string& text) {
  std::string out = "    ";
  for (char c : text) {
    out += c;
    if (c == '\n') out += "    ";
  }
  return out;
}

void show(const std::string& question, const std::string& host, const ContainerSpec& spec) {
  Output inside = run(spec);
  fmt::print("\n{}\n  host:\n{}\n  container ({}):\n{}\n", question, indent(host),
             fmt::join(spec.args, " "), indent(inside.text));
  if (!inside.status.exited() || inside.status.code != 0) {
    fmt::print("  (the container's init {})\n", inside.status.describe());
  }
}

int demo(const fs::path& rootfs) {
  fmt::print("Building a busybox rootfs in {} from the distribution's busybox-static.\n",
             rootfs.string());
  build_busybox_rootfs(rootfs);
  auto spec = [&](std::vector<std::string> args) {
    ContainerSpec s;
    s.rootfs = rootfs;
    s.args = std::move(args);
    s.hostname = "uh-demo-04";
    return s;
  };
  fmt::print(
      "Every command below runs as PID 1 of new user, PID, mount, UTS, IPC, network\n"
      "and cgroup namespaces, after pivot_root into that rootfs, with 14 capabilities\n"
      "kept and no_new_privs set; one of them also runs under a seccomp filter that\n"
      "refuses mkdir.\n");

  show("Which processes are there?", host_output("ps -e --no-headers | wc -l") + " processes",
       spec({"ps", "-o", "pid,user,comm"}));
  show("Who am I?", host_output("id"), spec({"id"}));
  show("What is this machine called?", host_output("hostname"), spec({"hostname"}));
  show("Which network devices exist?", host_output("ls /sys/class/net | tr '\\n' ' '"),
       spec({"ls", "/sys/class/net"}));
  show("What is mounted?", host_output("wc -l < /proc/self/mountinfo") + " mounts",
       spec({"cut", "-d", " ", "-f", "5,9", "/proc/self/mountinfo"}));
  show("Which capabilities do I have?", host_output("grep CapEff /proc/self/status"),
       spec({"grep", "-E", "CapEff|CapBnd|NoNewPrivs|Seccomp:", "/proc/self/status"}));
  ContainerSpec no_admin = spec({"hostname", "renamed"});
  show("Can I rename the machine (needs CAP_SYS_ADMIN)?", "yes: root on the host can", no_admin);
  ContainerSpec seccomp = spec({"mkdir", "/tmp/new"});
  seccomp.seccomp_deny = {{"mkdir", EPERM}, {"mkdirat", EPERM}};
  show("Can I make a directory (seccomp refuses mkdir)?", "yes", seccomp);

  ContainerSpec hog = spec({"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  hog.cgroup_limits = CgroupLimits{};
  hog.cgroup_limits->memory_max = 32 << 20;
  Output oom = run(hog);
  fmt::print("\nA 64 MiB allocation under a 32 MiB memory limit ({} cgroups here):\n  {}\n",
             to_string(detect_cgroup_mode()), oom.status.describe());
  return 0;
}

}  // namespace

int main() {
  if (::geteuid() != 0) {
    fmt::print(stderr,
               "uh-demo-04 runs as root: it makes cgroups and mounts devices. Try `sudo ./lab run "
               "04`. (The chapter's tests also show the unprivileged case.)\n");
    return 1;
  }
  fs::path rootfs = fs::temp_directory_path() / fmt::format("uh-demo-04-{}", ::getpid());
  int code = 1;
  try {
    code = demo(rootfs);
  } catch (const std::exception& e) {
    fmt::print(stderr, "uh-demo-04: {}\n", e.what());
  }
  fs::remove_all(rootfs);
  return code;
}
