// Chapter 04 — real containers: busybox in new namespaces, with limits.
//
// Each test starts real processes in new namespaces and checks, from inside
// and from the host, what the container can see and do.
#include "container/launcher.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "container_test_support.h"
#include "host/require.h"

namespace uh::container {
namespace {

using host::Capability;
using testing::HostSnapshot;
using testing::Outcome;
using testing::run;
using testing::spec_for;

// The mount points (field 5) of a mountinfo text.
std::vector<std::string> mount_points(const std::string& mountinfo) {
  std::istringstream in(mountinfo);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 5 && fields >> field; ++i) {
    }
    out.push_back(field);
  }
  return out;
}

int lines_matching(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

class Launcher : public ::testing::Test {
 protected:
  void SetUp() override {
    UH_REQUIRE(Capability::kUserNamespaces);
    UH_REQUIRE(Capability::kRoot);
    before_ = HostSnapshot::take();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    HostSnapshot after = HostSnapshot::take();
    EXPECT_EQ(after.mounts, before_.mounts) << "a mount leaked into the host's namespace";
    EXPECT_EQ(after.children, before_.children) << "a container process was left behind";
    EXPECT_EQ(after.cgroup_dirs, before_.cgroup_dirs) << "a cgroup was left behind";
  }
  HostSnapshot before_;
};

TEST_F(Launcher, TheProgramRunsAsPidOneAndItsExitCodeComesBack) {
  Outcome r = run(spec_for({"sh", "-c", "echo pid=$$; exit 3"}));
  EXPECT_EQ(r.out, "pid=1\n") << r.err;
  EXPECT_TRUE(r.status.exited());
  EXPECT_EQ(r.status.code, 3);
}

TEST_F(Launcher, ItSeesOnlyItsOwnProcesses) {
  Outcome r = run(spec_for({"ps", "-o", "pid,comm"}));
  ASSERT_EQ(r.status.code, 0) << r.err;
  // The header and ps itself, PID 1: none of the host's processes.
  EXPECT_EQ(r.out, "PID   COMMAND\n    1 ps\n");
}

TEST_F(Launcher, HostnameIsItsOwn) {
  ContainerSpec spec = spec_for({"hostname"});
  spec.hostname = "inside-04";
  Outcome r = run(spec);
  EXPECT_EQ(r.out, "inside-04\n") << r.err;
  char host[256] = {};
  ::gethostname(host, sizeof(host));
  EXPECT_STRNE(host, "inside-04") << "the host's hostname changed";
}

TEST_F(Launcher, SysVIpcObjectsOfTheHostAreInvisible) {
  int id = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_GE(id, 0);
  Outcome r = run(spec_for({"cat", "/proc/sysvipc/shm"}));
  ::shmctl(id, IPC_RMID, nullptr);
  EXPECT_EQ(r.status.code, 0) << r.err;
  // The file's header line, and no segment below it.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.find(std::to_string(id) + " "), std::string::npos)
      << "the host's shared memory segment is visible:\n"
      << r.out;
}

TEST_F(Launcher, ItsCgroupNamespaceMakesItsOwnGroupTheRoot) {
  // On the host this process is in some group ("0::/user.slice/..."); the
  // container's cgroup namespace starts at the group it was put in.
  Outcome r = run(spec_for({"cat", "/proc/self/cgroup"}));
  EXPECT_EQ(r.status.code, 0) << r.err;
  EXPECT_NE(r.out.find("0::/\n"), std::string::npos) << r.out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    EXPECT_EQ(line.substr(line.rfind(':') + 1), "/") << "not the namespace's root: " << line;
  }
}

TEST_F(Launcher, HostMountsAreGoneAfterPivotRoot) {
  Outcome r = run(spec_for({"cat", "/proc/self/mountinfo"}));
  ASSERT_EQ(r.status.code, 0) << r.err;
  // Only the rootfs and what was mounted into it: proc, sysfs, /dev and its
  // nodes, and the masks. Nothing of the host's tree, such as /work or /etc.
  EXPECT_EQ(lines_matching(r.out, " /work"), 0) << r.out;
  EXPECT_EQ(lines_matching(r.out, " /etc "), 0) << r.out;
  std::vector<std::string> points = mount_points(r.out);
  EXPECT_EQ(std::count(points.begin(), points.end(), "/"), 1) << "exactly one root:\n" << r.out;
  for (const std::string& point : points) {
    EXPECT_TRUE(point == "/" || point.rfind("/proc", 0) == 0 || point.rfind("/sys", 0) == 0 ||
                point.rfind("/dev", 0) == 0)
        << "a mount the container did not make: " << point;
  }
  EXPECT_GE(lines_matching(r.out, " /proc "), 1);
  EXPECT_GE(lines_matching(r.out, " /dev/null "), 1);
}

TEST_F(Launcher, ItHasItsOwnNetworkWithOnlyLoopback) {
  Outcome r = run(spec_for({"ls", "/sys/class/net"}));
  EXPECT_EQ(r.out, "lo\n") << r.err;
}

TEST_F(Launcher, SysIsReadOnlyAndMaskedPathsAreEmpty) {
  ASSERT_GT(testing::read_text("/proc/timer_list").size(), 0u);  // on the host, it says a lot
  Outcome r = run(spec_for({"sh", "-c",
                            "wc -c < /proc/timer_list; touch /sys/x; "
                            "echo 1 > /proc/sys/kernel/ns_last_pid; true"}));
  EXPECT_EQ(r.out, "0\n") << "/proc/timer_list is not masked";
  EXPECT_EQ(lines_matching(r.err, "Read-only file system"), 2) << r.err;
}

TEST_F(Launcher, TheMinimalDevWorks) {
  Outcome r =
      run(spec_for({"sh", "-c", "ls /dev; head -c 8 /dev/zero | wc -c; echo x > /dev/null"}));
  EXPECT_EQ(r.status.code, 0) << r.err;
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts"}) {
    EXPECT_NE(r.out.find(std::string(node) + "\n"), std::string::npos) << node << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("8\n"), std::string::npos);
}

TEST_F(Launcher, DroppedCapabilitiesAreReallyGone) {
  // sethostname needs CAP_SYS_ADMIN, which the default set does not keep.
  ContainerSpec spec = spec_for({"sh", "-c", "hostname changed 2>&1; grep Cap /proc/self/status"});
  Outcome r = run(spec);
  EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapBnd:\t00000000a80425fb"), std::string::npos)
      << "the bounding set is not the default 14 capabilities:\n"
      << r.out;

  spec.capabilities->push_back("CAP_SYS_ADMIN");  // the control: with it, it works
  r = run(spec);
  EXPECT_EQ(r.out.find("Operation not permitted"), std::string::npos) << r.out;
}

TEST_F(Launcher, NoNewPrivsIsSet) {
  Outcome r = run(spec_for({"grep", "NoNewPrivs", "/proc/self/status"}));
  EXPECT_EQ(r.out, "NoNewPrivs:\t1\n") << r.err;
}

TEST_F(Launcher, ASeccompDeniedCallFailsWithTheConfiguredErrno) {
  ContainerSpec spec = spec_for({"mkdir", "/tmp/x"});
  spec.seccomp_deny = {{"mkdir", ENOTSUP}, {"mkdirat", ENOTSUP}};
  Outcome r = run(spec);
  EXPECT_NE(r.status.code, 0);
  EXPECT_NE(r.err.find(std::strerror(ENOTSUP)), std::string::npos) << r.err;
}

TEST_F(Launcher, RlimitsApplyInside) {
  ContainerSpec spec = spec_for({"sh", "-c", "ulimit -n"});
  spec.rlimits = {{"RLIMIT_NOFILE", 64, 64}};
  EXPECT_EQ(run(spec).out, "64\n");
}

TEST_F(Launcher, AMemoryHogIsOomKilledAtItsLimit) {
  // dd with a 64 MiB block allocates and fills a 64 MiB buffer.
  ContainerSpec spec = spec_for({"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  spec.cgroup_limits = CgroupLimits{};
  spec.cgroup_limits->memory_max = 32 << 20;
  Outcome r = run(spec);
  EXPECT_EQ(r.status.signal, SIGKILL) << r.status.describe() << "\n" << r.err;
  EXPECT_TRUE(r.status.oom_killed) << r.status.describe();

  spec.cgroup_limits->memory_max = 256 << 20;  // the control: with room, it finishes
  r = run(spec);
  EXPECT_EQ(r.status.code, 0) << r.status.describe() << "\n" << r.err;
  EXPECT_FALSE(r.status.oom_killed);
}

TEST_F(Launcher, AForkBombStopsAtPidsMax) {
  ContainerSpec spec = spec_for(
      {"sh", "-c", "i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo started"});
  spec.cgroup_limits = CgroupLimits{};
  spec.cgroup_limits->pids_max = 10;
  Outcome r = run(spec);
  EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.err;
}

TEST_F(Launcher, KilledFromOutsideReportsTheSignal) {
  ContainerSpec spec = spec_for({"sleep", "60"});
  Container c = Container::start(spec);
  c.kill(SIGKILL);
  ExitStatus s = c.wait();
  EXPECT_EQ(s.signal, SIGKILL);
  EXPECT_EQ(s.describe(), "killed by signal 9 (SIGKILL)");
}

// ------------------------------------------------------------ failures

TEST_F(Launcher, AMissingRootfsFailsBeforeAnythingExists) {
  ContainerSpec spec = spec_for({"sh"});
  spec.rootfs = "/nonexistent";
  spec.cgroup_limits = CgroupLimits{};
  EXPECT_THROW(Container::start(spec), std::invalid_argument);
}

TEST_F(Launcher, ALimitTheKernelRefusesNamesTheFileAndLeavesNothing) {
  ContainerSpec spec = spec_for({"true"});
  spec.cgroup_limits = CgroupLimits{};
  spec.cgroup_limits->cpu_quota_us = 10;  // the kernel's minimum is 1000 us
  try {
    Container::start(spec);
    FAIL() << "a 10 us CPU quota was accepted";
  } catch (const std::exception& e) {
    std::string what = e.what();
    EXPECT_TRUE(what.find("cpu.max") != std::string::npos ||
                what.find("cpu.cfs_quota_us") != std::string::npos)
        << what;
  }
}

TEST_F(Launcher, AFailedSetupStepReportsItAndLeavesNoProcess) {
  ContainerSpec spec = spec_for({"true"});
  spec.cwd = "/no/such/dir";
  try {
    Container::start(spec);
    FAIL() << "a missing working directory was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chdir /no/such/dir"), std::string::npos) << e.what();
  }
}

// An unprivileged user: a forked helper drops to nobody and starts the
// container from there, mapping itself to root inside.
TEST_F(Launcher, AnUnprivilegedUserIsRootInsideItsOwnNamespace) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    ::close(out[0]);
    std::string report;
    // Changing uid from root makes a process undumpable, which makes its
    // /proc files root's; a user who logged in as nobody would not be.
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0 ||
        ::prctl(PR_SET_DUMPABLE, 1) != 0) {
      report = "could not become nobody";
    } else {
      try {
        ContainerSpec spec = spec_for({"sh", "-c", "id -u; cat /proc/self/uid_map"});
        Outcome r = run(spec);
        report = r.out + r.err;
        spec.uid_map = {{0, 0, 1}};  // the host's root: not ours to map
        try {
          Container::start(spec);
          report += "mapping host root was allowed\n";
        } catch (const std::exception& e) {
          report += std::string("refused: ") + e.what() + "\n";
        }
      } catch (const std::exception& e) {
        report = std::string("error: ") + e.what();
      }
    }
    [[maybe_unused]] ssize_t n = ::write(out[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(out[1]);
  std::string report;
  char buffer[1024];
  ssize_t n;
  while ((n = ::read(out[0], buffer, sizeof(buffer))) > 0) report.append(buffer, n);
  ::close(out[0]);
  ::waitpid(helper, nullptr, 0);
  EXPECT_EQ(report.rfind("0\n", 0), 0u) << "id -u inside is not 0:\n" << report;
  EXPECT_NE(report.find("65534"), std::string::npos) << "uid_map does not show nobody:\n" << report;
  EXPECT_NE(report.find("refused: "), std::string::npos) << report;
  EXPECT_NE(report.find("uid_map"), std::string::npos) << "the error does not name uid_map:\n"
                                                       << report;
}

}  // namespace
}  // namespace uh::container
