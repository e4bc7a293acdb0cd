// Chapter 04 — each isolation step on its own, in a child process.
//
// The launcher tests need every step at once; these call one function of
// isolation.h in a forked child (the functions change the process that calls
// them, so never in the test process itself) and report what the child saw.
#include "container/isolation.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "container_test_support.h"
#include "host/require.h"

namespace uh::container {
namespace {

namespace fs = std::filesystem;
using host::Capability;

// Runs `body` in a child and returns what it returned, or "error: <what>"
// when it threw (a TODO not written yet among them).
std::string in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    try {
      out = body();
    } catch (const std::exception& e) {
      out = std::string("error: ") + e.what();
    }
    [[maybe_unused]] ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return text;
}

std::string status_line(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0)
      return line.substr(line.find_first_not_of(" \t", key.size() + 1));
  }
  return "";
}

TEST(Isolation, EnterRootfsMakesTheRootfsTheRoot) {
  UH_REQUIRE(Capability::kRoot);
  const fs::path rootfs = testing::busybox_rootfs();
  std::string seen = in_child([&] {
    if (::unshare(CLONE_NEWNS) != 0) return std::string("error: unshare: ") + std::strerror(errno);
    enter_rootfs(rootfs, {"/proc/kcore"}, {"/proc/sys"});
    std::ifstream hostname("/etc/hostname");
    std::string name;
    hostname >> name;
    return name + (::access("/bin/busybox", X_OK) == 0 ? " busybox" : " no-busybox") +
           (fs::exists(rootfs) ? " host-visible" : " host-gone") +
           (::access("/proc/sys/kernel/hostname", W_OK) == 0 ? " sys-writable" : " sys-read-only");
  });
  EXPECT_EQ(seen, "container busybox host-gone sys-read-only");
}

TEST(Isolation, DropCapabilitiesKeepsExactlyTheGivenSet) {
  UH_REQUIRE(Capability::kRoot);
  std::string seen = in_child([] {
    drop_capabilities({5 /* CAP_KILL */, 10 /* CAP_NET_BIND_SERVICE */});
    return status_line("CapEff") + " " + status_line("CapPrm") + " " + status_line("CapBnd") + " " +
           status_line("CapAmb");
  });
  EXPECT_EQ(seen, "0000000000000420 0000000000000420 0000000000000420 0000000000000000");
}

TEST(Isolation, ASeccompDeniedCallFailsWithItsErrno) {
  std::string seen = in_child([] {
    install_seccomp({{SYS_getppid, EXDEV}});
    const long r = ::syscall(SYS_getppid);
    const int err = errno;
    return std::to_string(r) + " " + std::to_string(err == EXDEV) + " " +
           std::to_string(::getpid() > 0);
  });
  EXPECT_EQ(seen, "-1 1 1") << "getppid should fail with EXDEV, getpid still work";
}

}  // namespace
}  // namespace uh::container
