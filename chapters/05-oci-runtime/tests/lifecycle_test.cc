// Chapter 05 — the uhrun binary, driven the way podman drives a runtime.
//
// Each test makes a bundle, runs uhrun commands as separate processes with
// a state root of its own, and checks what they print, their exit codes,
// the container's view from inside, and that nothing is left behind.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "container/cgroup.h"
#include "host/require.h"
#include "oci_test_support.h"

namespace uh::oci {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using host::Capability;
using testing::Bundle;
using testing::Result;
using testing::slurp;
using testing::TempDir;

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    UH_REQUIRE(Capability::kRoot);
    testing::become_subreaper();
    testing::shared_rootfs();
    mounts_before_ = testing::mounts();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    testing::reap();
    EXPECT_EQ(testing::mounts(), mounts_before_) << "a mount was left behind";
    EXPECT_EQ(testing::cgroup_dirs_named(id_), std::vector<fs::path>{})
        << "a cgroup was left behind";
  }
  Result cmd(std::vector<std::string> args) {
    args.insert(args.begin(), {"--root", root_.path().string()});
    return testing::uhrun(args);
  }
  Result create(const Bundle& b, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"create", "--bundle", b.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(id_);
    return cmd(args);
  }
  std::string status() {
    const Result r = cmd({"state", id_});
    if (r.code != 0) return "error: " + r.err;
    return json::value_to<std::string>(json::parse(r.out).at("status"));
  }
  // Polls until the container's status is `wanted` (bounded).
  bool wait_for(const std::string& wanted) {
    for (int i = 0; i < 500; ++i) {
      testing::reap();
      if (status() == wanted) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  TempDir root_;
  std::string id_ = "ch05-" + std::to_string(::getpid());
  std::multiset<std::string> mounts_before_;
};

TEST_F(Lifecycle, CreateStartKillDeleteWalksTheStates) {
  Bundle b({"sleep", "30"});
  TempDir tmp;
  const fs::path pid_file = tmp.path() / "pid";
  Result r = create(b, {"--pid-file", pid_file.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(status(), "created");
  const auto state = json::parse(cmd({"state", id_}).out).as_object();
  EXPECT_EQ(json::value_to<std::string>(state.at("id")), id_);
  EXPECT_EQ(json::value_to<std::string>(state.at("bundle")), b.path().string());
  const int pid = static_cast<int>(state.at("pid").as_int64());
  EXPECT_GT(pid, 0);
  EXPECT_EQ(slurp(pid_file), std::to_string(pid) + "\n");

  r = cmd({"start", id_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(status(), "running");
  r = cmd({"kill", id_, "KILL"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(wait_for("stopped")) << status();
  r = cmd({"delete", id_});
  ASSERT_EQ(r.code, 0) << r.err;
  r = cmd({"state", id_});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "uhrun: container " + id_ + " does not exist\n");
  EXPECT_FALSE(fs::exists(root_.path() / id_));
}

TEST_F(Lifecycle, TheSpecsStateMachineIsEnforced) {
  Bundle b({"sleep", "30"});
  ASSERT_EQ(create(b).code, 0);
  Result r = create(b);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "uhrun: container " + id_ + " already exists\n");
  r = cmd({"delete", id_});
  EXPECT_EQ(r.code, 1) << "delete of a created container";
  EXPECT_EQ(r.err, "uhrun: cannot delete container " + id_ +
                       ": it is created; stop it first, or delete --force\n");
  ASSERT_EQ(cmd({"start", id_}).code, 0);
  r = cmd({"start", id_});
  EXPECT_EQ(r.code, 1) << "start twice";
  EXPECT_EQ(r.err, "uhrun: cannot start container " + id_ +
                       ": it is running (only a created container can be started)\n");
  r = cmd({"delete", id_});
  EXPECT_EQ(r.code, 1) << "delete of a running container";
  ASSERT_EQ(cmd({"kill", id_, "9"}).code, 0);
  ASSERT_TRUE(wait_for("stopped"));
  r = cmd({"kill", id_, "TERM"});
  EXPECT_EQ(r.code, 1) << "kill of a stopped container";
  EXPECT_EQ(r.err, "uhrun: cannot kill container " + id_ + ": it is stopped\n");
  r = cmd({"start", id_});
  EXPECT_EQ(r.code, 1) << "start of a stopped container";
  EXPECT_EQ(cmd({"delete", id_}).code, 0);
}

TEST_F(Lifecycle, DeleteForceKillsARunningContainer) {
  Bundle b({"sh", "-c", "sleep 30 & sleep 30"});
  ASSERT_EQ(create(b).code, 0);
  ASSERT_EQ(cmd({"start", id_}).code, 0);
  const Result r = cmd({"delete", "--force", id_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(root_.path() / id_));
}

TEST_F(Lifecycle, RunPassesOnOutputAndExitCode) {
  Bundle b({"sh", "-c", "echo out; echo err >&2; exit 7"});
  const Result r = cmd({"run", "--bundle", b.path().string(), id_});
  EXPECT_EQ(r.code, 7);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(fs::exists(root_.path() / id_)) << "run deletes what it created";
}

TEST_F(Lifecycle, TheContainerSeesItsOwnWorld) {
  Bundle b({"sh", "-c",
            "echo pid=$$ host=$(hostname); ls /dev | tr '\\n' ' '; echo; "
            "grep CapBnd /proc/self/status; cat /proc/kcore | wc -c; "
            "(echo x > /proc/sys/kernel/hostname) 2>&1 | grep -c Read-only; touch /x 2>&1 | grep "
            "-c Read-only"});
  const Result r = cmd({"run", "--bundle", b.path().string(), id_});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "pid=1 host=uhrun");
  std::getline(lines, line);
  for (const char* dev :
       {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm"}) {
    EXPECT_NE(line.find(dev), std::string::npos) << dev << " missing from /dev: " << line;
  }
  std::getline(lines, line);
  EXPECT_EQ(line, "CapBnd:\t0000000020000420") << "AUDIT_WRITE, KILL and NET_BIND_SERVICE only";
  std::getline(lines, line);
  EXPECT_EQ(line, "0") << "/proc/kcore is masked";
  std::getline(lines, line);
  EXPECT_EQ(line, "1") << "/proc/sys is read-only";
  std::getline(lines, line);
  EXPECT_EQ(line, "1") << "root.readonly makes / read-only";
}

TEST_F(Lifecycle, RlimitsSysctlsAndSeccompFromTheConfigApply) {
  Bundle b({"sh", "-c",
            "ulimit -n; cat /proc/sys/net/ipv4/ip_forward; mkdir /tmp/x 2>&1 | grep -c 'Operation "
            "not permitted'"},
           [](json::object& c) {
             c["root"].as_object()["readonly"] = false;
             c["process"].as_object()["rlimits"] =
                 json::parse(R"([{"type":"RLIMIT_NOFILE","soft":256,"hard":512}])");
             auto& l = c["linux"].as_object();
             l["sysctl"] = json::parse(R"({"net.ipv4.ip_forward":"1"})");
             l["seccomp"] = json::parse(R"({"defaultAction":"SCMP_ACT_ALLOW",
               "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]})");
           });
  const Result r = cmd({"run", "--bundle", b.path().string(), id_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "256\n1\n1\n");
}

TEST_F(Lifecycle, ResourcesReachTheHostsCgroupDriver) {
  Bundle b({"sleep", "30"}, [&](json::object& c) {
    c["linux"].as_object()["resources"] =
        json::parse(R"({"memory":{"limit":67108864},"pids":{"limit":20}})");
  });
  ASSERT_EQ(create(b).code, 0);
  const int pid = static_cast<int>(json::parse(cmd({"state", id_}).out).at("pid").as_int64());
  // The init's groups, as the kernel reports them.
  std::string memory_file, pids_file;
  std::istringstream groups(slurp("/proc/" + std::to_string(pid) + "/cgroup"));
  const bool v2 = container::detect_cgroup_mode() == container::CgroupMode::kUnified;
  for (std::string line; std::getline(groups, line);) {
    const std::string controllers =
        line.substr(line.find(':') + 1, line.rfind(':') - line.find(':') - 1);
    const std::string path = line.substr(line.rfind(':') + 1);
    if (v2 && controllers.empty()) {
      memory_file = "/sys/fs/cgroup" + path + "/memory.max";
      pids_file = "/sys/fs/cgroup" + path + "/pids.max";
    } else if (controllers == "memory") {
      memory_file = "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes";
    } else if (controllers == "pids") {
      pids_file = "/sys/fs/cgroup/pids" + path + "/pids.max";
    }
  }
  EXPECT_NE(memory_file.find(id_), std::string::npos) << memory_file;
  EXPECT_EQ(slurp(memory_file), "67108864\n");
  EXPECT_EQ(slurp(pids_file), "20\n");
  EXPECT_EQ(cmd({"delete", "--force", id_}).code, 0);
}

TEST_F(Lifecycle, HooksRunAtTheirStepsWithTheStateOnStdin) {
  TempDir out;
  auto hook = [&](const std::string& name) {
    json::object h;
    h["path"] = "/bin/sh";
    h["args"] = json::array{"sh", "-c", "cat > " + (out.path() / name).string()};
    return json::array{h};
  };
  Bundle b({"true"}, [&](json::object& c) {
    c["hooks"] = json::object{{"createRuntime", hook("createRuntime")},
                              {"createContainer", hook("createContainer")},
                              {"poststart", hook("poststart")},
                              {"poststop", hook("poststop")}};
  });
  const Result r = cmd({"run", "--bundle", b.path().string(), id_});
  ASSERT_EQ(r.code, 0) << r.err;
  for (auto [name, status] : {std::pair{"createRuntime", "creating"},
                              {"createContainer", "created"},
                              {"poststart", "running"},
                              {"poststop", "stopped"}}) {
    const std::string text = slurp(out.path() / name);
    ASSERT_FALSE(text.empty()) << name << " did not run";
    const auto state = json::parse(text).as_object();
    EXPECT_EQ(json::value_to<std::string>(state.at("id")), id_) << name;
    EXPECT_EQ(state.at("status"), status) << name;
  }
}

TEST_F(Lifecycle, AFailingHookUndoesTheWholeCreate) {
  Bundle b({"sleep", "30"}, [](json::object& c) {
    c["hooks"] = json::parse(R"({"createRuntime":[{"path":"/bin/false"}]})");
  });
  const Result r = create(b);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "uhrun: createRuntime hook /bin/false: exited with code 1\n");
  EXPECT_FALSE(fs::exists(root_.path() / id_)) << "the state directory is left";
  EXPECT_EQ(cmd({"list", "-q"}).out, "");
}

TEST_F(Lifecycle, ABadConfigIsOneClearLineAndLeavesNothing) {
  Bundle b({"sh"});
  b.write(R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"]}})");
  TempDir logs;
  const fs::path log = logs.path() / "log.json";
  Result r = cmd({"--log", log.string(), "--log-format", "json", "create", "--bundle",
                  b.path().string(), id_});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "uhrun: config.json: process.cwd: is missing\n");
  const auto entry = json::parse(slurp(log)).as_object();
  EXPECT_EQ(entry.at("level"), "error");
  EXPECT_EQ(entry.at("msg"), "config.json: process.cwd: is missing");
  EXPECT_FALSE(fs::exists(root_.path() / id_));

  b.write("{not json");
  r = create(b);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("uhrun: config.json: not valid JSON", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  // A mount the kernel refuses fails inside the init; everything is undone.
  Bundle bad_mount({"true"}, [](json::object& c) {
    c["mounts"].as_array().push_back(
        json::parse(R"({"destination":"/mnt","type":"no-such-fs","source":"x"})"));
  });
  r = create(bad_mount);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("mount no-such-fs x on /mnt: No such device"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(root_.path() / id_));
}

TEST_F(Lifecycle, ExecJoinsARunningContainer) {
  Bundle b({"sleep", "30"});
  ASSERT_EQ(create(b).code, 0);
  Result r = cmd({"exec", id_, "sh", "-c", "echo $(hostname) $$; exit 4"});
  EXPECT_EQ(r.code, 1) << "exec before start";
  ASSERT_EQ(cmd({"start", id_}).code, 0);
  r = cmd({"exec", id_, "sh", "-c", "hostname; ps -o pid,comm | grep -c sleep; exit 4"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(r.out, "uhrun\n1\n") << "its hostname, and the container's sleep is visible";
  EXPECT_EQ(cmd({"delete", "--force", id_}).code, 0);
}

TEST_F(Lifecycle, ATerminalIsSentOverTheConsoleSocket) {
  TempDir tmp;
  const fs::path socket_path = tmp.path() / "console.sock";
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  Bundle b({"sh", "-c", "tty; sleep 30"},
           [](json::object& c) { c["process"].as_object()["terminal"] = true; });
  Result r = create(b, {"--console-socket", socket_path.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn);
  char name[64];
  iovec iov{name, sizeof name};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ASSERT_GT(::recvmsg(conn.get(), &msg, 0), 0);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(cmsg, nullptr);
  ASSERT_EQ(cmsg->cmsg_type, SCM_RIGHTS);
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  UniqueFd master(fd);
  ASSERT_EQ(cmd({"start", id_}).code, 0);
  std::string seen;
  for (int i = 0; i < 200 && seen.find('\n') == std::string::npos; ++i) {
    char buffer[256];
    pollfd p{master.get(), POLLIN, 0};
    if (::poll(&p, 1, 10) > 0) {
      const ssize_t n = ::read(master.get(), buffer, sizeof buffer);
      if (n > 0) seen.append(buffer, n);
    }
  }
  EXPECT_EQ(seen.rfind("/dev/pts/0", 0), 0u) << "the container's own terminal: " << seen;
  EXPECT_EQ(cmd({"delete", "--force", id_}).code, 0);
}

TEST_F(Lifecycle, ListAndFeatures) {
  Bundle b({"sleep", "30"});
  ASSERT_EQ(create(b).code, 0);
  Result r = cmd({"list", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto list = json::parse(r.out).as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(json::value_to<std::string>(list[0].at("id")), id_);
  EXPECT_EQ(list[0].at("status"), "created");
  r = cmd({"features"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(json::parse(r.out).at("ociVersionMin"), "1.0.0");
  EXPECT_EQ(cmd({"delete", "--force", id_}).code, 0);
  r = cmd({"kill", id_, "NOTASIGNAL"});
  EXPECT_EQ(r.code, 1);
}

}  // namespace
}  // namespace uh::oci
