// Chapter 04 — a spec is checked before anything is created; the rootfs builder.
#include "container/spec.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <stdexcept>

#include "container/launcher.h"
#include "container_test_support.h"

namespace uh::container {
namespace {

using testing::busybox_rootfs;
using testing::spec_for;

std::string rejection(const ContainerSpec& spec) {
  try {
    validate(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Spec, CapabilityNamesResolveWithOrWithoutThePrefix) {
  EXPECT_EQ(capability_number("CAP_CHOWN"), 0);
  EXPECT_EQ(capability_number("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(capability_number("net_bind_service"), 10);
  EXPECT_EQ(capability_number("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(capability_number("CAP_FLY"), std::nullopt);
}

TEST(Spec, AValidSpecResolvesItsNames) {
  ContainerSpec spec = spec_for({"sh", "-c", "true"});
  spec.capabilities = std::vector<std::string>{"CAP_KILL", "CAP_NET_RAW"};
  spec.rlimits = {{"RLIMIT_NOFILE", 64, 128}};
  spec.seccomp_deny = {{"mkdir", 95}};
  ResolvedSpec r = validate(spec);
  EXPECT_EQ(r.program, "/bin/sh") << "found on the spec's PATH, inside the rootfs";
  EXPECT_EQ(r.capabilities_kept, (std::vector<int>{5, 13}));
  ASSERT_EQ(r.rlimits.size(), 1u);
  EXPECT_EQ(r.rlimits[0].first, RLIMIT_NOFILE);
  ASSERT_EQ(r.seccomp_deny.size(), 1u);
  EXPECT_EQ(r.seccomp_deny[0].second, 95);
}

TEST(Spec, EachBadFieldIsNamedInTheError) {
  ContainerSpec spec = spec_for({"sh"});
  spec.rootfs = "/nonexistent/rootfs";
  EXPECT_EQ(rejection(spec), "rootfs /nonexistent/rootfs: no such directory");

  spec = spec_for({});
  EXPECT_EQ(rejection(spec), "args: no program to run");

  spec = spec_for({"no-such-program"});
  EXPECT_NE(rejection(spec).find("no-such-program is not on the PATH"), std::string::npos)
      << rejection(spec);

  spec = spec_for({"/opt/app"});
  EXPECT_NE(rejection(spec).find("/opt/app does not exist in the rootfs"), std::string::npos);

  spec = spec_for({"sh"});
  spec.capabilities = std::vector<std::string>{"CAP_KILL", "CAP_FLY"};
  EXPECT_EQ(rejection(spec), "capabilities: unknown capability CAP_FLY");

  spec = spec_for({"sh"});
  spec.rlimits = {{"RLIMIT_FUN", 1, 1}};
  EXPECT_EQ(rejection(spec), "rlimits: unknown resource RLIMIT_FUN");

  spec = spec_for({"sh"});
  spec.rlimits = {{"RLIMIT_NOFILE", 100, 10}};
  EXPECT_EQ(rejection(spec), "rlimits: RLIMIT_NOFILE soft limit 100 is above its hard limit 10");

  spec = spec_for({"sh"});
  spec.seccomp_deny = {{"not_a_syscall", 1}};
  EXPECT_EQ(rejection(spec), "seccomp: unknown system call not_a_syscall");

  spec = spec_for({"sh"});
  spec.namespaces.erase(Namespace::kMount);
  EXPECT_NE(rejection(spec).find("the mount namespace is required"), std::string::npos);

  spec = spec_for({"sh"});
  spec.uid_map = {{0, 1000, 0}};
  EXPECT_EQ(rejection(spec), "uid_map \"0 1000 0\": count is 0");

  spec = spec_for({"sh"});
  spec.gid_map = {{0, 4294967295u, 2}};
  EXPECT_EQ(rejection(spec), "gid_map \"0 4294967295 2\": the range runs past id 4294967295");

  spec = spec_for({"sh"});
  spec.uid_map = {{0, 100000, 1000}, {500, 300000, 10}};
  EXPECT_EQ(rejection(spec), "uid_map \"500 300000 10\": overlaps the mapping at line 1");

  spec = spec_for({"sh"});
  spec.uid_map = {{0, 100000, 1000}, {1000, 100500, 10}};
  EXPECT_EQ(rejection(spec), "uid_map \"1000 100500 10\": overlaps the mapping at line 1");

  spec = spec_for({"sh"});
  spec.uid_map = {{0, 100000, 1000}, {1000, 101000, 10}};
  EXPECT_EQ(rejection(spec), "(accepted)") << "adjacent ranges are fine";
}

TEST(Spec, IdMapTextMapsTheCallerToRootByDefault) {
  EXPECT_EQ(id_map_text({}, 1000), "0 1000 1\n");
  EXPECT_EQ(id_map_text({{0, 100000, 65536}, {65536, 5000, 1}}, 0),
            "0 100000 65536\n65536 5000 1\n");
}

TEST(Rootfs, BusyboxRootfsHasAShellAndItsApplets) {
  const auto& root = busybox_rootfs();
  EXPECT_TRUE(std::filesystem::is_regular_file(root / "bin/busybox"));
  EXPECT_EQ(std::filesystem::read_symlink(root / "bin/sh"), "busybox");
  EXPECT_EQ(std::filesystem::read_symlink(root / "bin/ps"), "busybox");
  for (const char* dir : {"proc", "sys", "dev", "tmp", "etc"}) {
    EXPECT_TRUE(std::filesystem::is_directory(root / dir)) << dir;
  }
  EXPECT_NE(testing::read_text(root / "etc/passwd").find("root:x:0:0"), std::string::npos);
}

TEST(ExitStatus, DescribesHowTheProcessEnded) {
  ExitStatus exited;
  exited.code = 3;
  EXPECT_EQ(exited.describe(), "exited with code 3");
  ExitStatus killed;
  killed.signal = 9;
  killed.oom_killed = true;
  EXPECT_EQ(killed.describe(), "killed by signal 9 (SIGKILL), out of memory");
}

}  // namespace
}  // namespace uh::container
