// lab run 05 — one container through the OCI lifecycle, one command at a time.
//
// Every step is a separate uhrun process, exactly as podman runs them: create
// leaves the init waiting in the exec FIFO, start lets it go, state reads what
// /proc says, delete cleans up. The state JSON is printed after each step.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "run_program.h"

namespace {

using uh::oci::support::DemoBundle;
using uh::oci::support::run_program;

const std::string kUhrun = UH_UHRUN_BINARY;

// Runs one uhrun command and shows it. `create` is not captured: the
// container's init inherits its stdout, so what the container prints after
// start appears here, as it would in a terminal.
std::string step(const std::string& root, std::vector<std::string> args, const std::string& why) {
  const bool capture = args.front() != "create";
  args.insert(args.begin(), {kUhrun, "--root", root});
  std::string shown = "uhrun";
  for (std::size_t i = 1; i < args.size(); ++i) shown += " " + args[i];
  fmt::print("\n# {}\n$ {}\n", why, shown);
  std::fflush(stdout);
  const auto r = run_program(args, capture);
  if (!r.out.empty()) fmt::print("{}", r.out);
  if (r.code != 0) fmt::print("(exit code {})\n", r.code);
  return r.out;
}

int demo() {
  if (::geteuid() != 0) {
    fmt::print(stderr,
               "lab run 05 makes namespaces, mounts and cgroups for its container: run it as root "
               "(sudo ./lab run 05)\n");
    return 1;
  }
  DemoBundle bundle(kUhrun, {"sh", "-c",
                             "echo \"hello from $(hostname): I am PID $$, and I see:\"; ps -o "
                             "pid,comm; sleep 2"});
  const std::string root = (bundle.dir() / "state").string();
  const std::string id = "demo-05";
  fmt::print("A bundle in {}: rootfs/ (busybox) and config.json (from `uhrun spec`).\n",
             bundle.bundle().string());
  step(root, {"create", "--bundle", bundle.bundle().string(), id},
       "create: namespaces, mounts, cgroup; the init now waits in the exec FIFO");
  step(root, {"state", id}, "state: \"created\", the init exists but has not run sh yet");
  step(root, {"list"}, "list");
  step(root, {"start", id}, "start: opens the FIFO; the init execs sh (its output follows)");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  step(root, {"state", id}, "state: \"running\"");
  step(root, {"delete", id}, "delete of a running container is refused");
  step(root, {"kill", id, "KILL"}, "kill: SIGKILL to the init");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  step(root, {"state", id}, "state: \"stopped\" (pid 0)");
  step(root, {"delete", id}, "delete: cgroup and state directory removed");
  step(root, {"state", id}, "gone");
  fmt::print(
      "\nThe same runtime under podman (see the lesson):\n"
      "  podman --runtime {} run --rm --ulimit nofile=1024:1024 <image> echo hi\n",
      kUhrun);
  return 0;
}

}  // namespace

int main() {
  try {
    return demo();
  } catch (const std::exception& e) {
    fmt::print(stderr, "lab run 05: {}\n", e.what());
    return 1;
  }
}
