// Chapter 05 — podman, unchanged, with uhrun as its runtime.
//
// podman runs `uhrun create --bundle B --pid-file P <id>` under its monitor
// (conmon), then `uhrun start <id>`, `uhrun kill <id> <signal>` for stop,
// `uhrun exec ...` for exec and `uhrun delete --force <id>` for rm. The
// image comes from a busybox rootfs tarball imported locally: no registry.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>

#include "host/require.h"
#include "oci_test_support.h"

namespace uh::oci {
namespace {

namespace fs = std::filesystem;
using host::Capability;

constexpr const char* kImage = "localhost/uh-ch05-busybox";
// This machine's hard limits are below podman's defaults, which no runtime
// may raise without CAP_SYS_RESOURCE; these are within them.
constexpr const char* kUlimits = "--ulimit nofile=1024:1024 --ulimit nproc=4096:4096";

struct Shell {
  int code = -1;
  std::string out;
};

// Runs a shell command line; stdout and stderr together.
Shell sh(const std::string& command) {
  Shell r;
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen((command + " 2>&1").c_str(), "r"), &::pclose);
  if (!p) return r;
  std::array<char, 4096> buffer;
  for (size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), p.get())) > 0;) {
    r.out.append(buffer.data(), n);
  }
  const int status = ::pclose(p.release());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class Podman : public ::testing::Test {
 protected:
  void SetUp() override {
    UH_REQUIRE(Capability::kRoot);
    ASSERT_EQ(sh("command -v podman").code, 0)
        << "podman is not installed: run ci/install-deps (./lab start does)";
    if (sh(std::string("podman image exists ") + kImage).code != 0) {
      testing::TempDir tmp;
      const fs::path tar = tmp.path() / "busybox.tar";
      const Shell made = sh("tar -C " + testing::shared_rootfs().string() + " -cf " + tar.string() +
                            " . && podman import " + tar.string() + " " + kImage);
      ASSERT_EQ(made.code, 0) << made.out;
    }
  }
  // A container a failed test left behind (podman keeps one whose runtime
  // failed, as "Created") is removed by its name.
  void TearDown() override {
    if (!IsSkipped()) sh(podman("rm -f --ignore " + name_ + " " + name_ + "-2"));
  }
  std::string podman(const std::string& args) {
    return std::string("podman --runtime ") + UH_UHRUN_BINARY + " " + args;
  }
  const std::string name_ = "uh-ch05-" + std::to_string(::getpid());
};

TEST_F(Podman, RunRemoveEchoesHi) {
  const Shell r =
      sh(podman("run --rm --name " + name_ + " " + kUlimits + " " + kImage + " echo hi"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "hi\n");
}

TEST_F(Podman, DetachLogsExecStopAndRemove) {
  Shell r = sh(podman("run -d --name " + name_ + " " + kUlimits + " " + kImage +
                      " sh -c 'echo started; trap \"echo bye; exit 0\" TERM; "
                      "while true; do sleep 0.1; done'"));
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string id = r.out.substr(0, r.out.find('\n'));
  ASSERT_EQ(id.size(), 64u) << r.out;
  EXPECT_TRUE(fs::is_directory(fs::path("/run/uhrun") / id)) << "uhrun keeps its state here";
  r = sh(podman("exec " + id + " sh -c 'echo exec:$$'"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("exec:", 0), 0u) << r.out;
  r = sh(podman("stop -t 10 " + id));
  EXPECT_EQ(r.code, 0) << r.out;
  r = sh(podman("logs " + id));
  EXPECT_EQ(r.out, "started\nbye\n") << "the trap ran: stop sent SIGTERM through uhrun kill";
  r = sh(podman("rm " + id));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(fs::exists(fs::path("/run/uhrun") / id)) << "delete removed the state";
  EXPECT_EQ(testing::cgroup_dirs_named("libpod-" + id), std::vector<fs::path>{});
}

TEST_F(Podman, AFailingContainerReportsItsExitCode) {
  const Shell r =
      sh(podman("run --rm --name " + name_ + " " + kUlimits + " " + kImage + " sh -c 'exit 3'"));
  EXPECT_EQ(r.code, 3) << r.out;
  const Shell missing = sh(
      podman("run --rm --name " + name_ + "-2 " + kUlimits + " " + kImage + " /no/such/program"));
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.out.find("/no/such/program"), std::string::npos) << missing.out;
}

}  // namespace
}  // namespace uh::oci
