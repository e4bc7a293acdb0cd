// Chapter 05 — mount options into mount(2) arguments; container paths into host paths.
#include "oci/mount_options.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include "oci_test_support.h"

namespace uh::oci {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

TEST(MountOptions, FlagsPropagationAndDataGoWhereMountWantsThem) {
  const MountOptions o =
      parse_mount_options({"nosuid", "noexec", "mode=755", "size=65536k", "rprivate"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(o.data, "mode=755,size=65536k");
  EXPECT_FALSE(o.bind());
}

TEST(MountOptions, TheLastOfTwoOppositesWins) {
  EXPECT_EQ(parse_mount_options({"ro", "rw"}).flags & MS_RDONLY, 0u);
  EXPECT_EQ(parse_mount_options({"rw", "ro"}).flags & MS_RDONLY,
            static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(parse_mount_options({"nodev", "dev", "noatime"}).flags,
            static_cast<unsigned long>(MS_NOATIME));
  EXPECT_EQ(parse_mount_options({"defaults"}).flags, 0u);
}

TEST(MountOptions, BindAndRbind) {
  EXPECT_EQ(parse_mount_options({"bind", "ro"}).flags,
            static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  const MountOptions r = parse_mount_options({"rbind", "nosuid"});
  EXPECT_TRUE(r.bind());
  EXPECT_EQ(r.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_NOSUID));
  EXPECT_EQ(r.data, "");
}

TEST(MountOptions, OptionsWithoutMeaningHereChangeNothing) {
  const MountOptions o = parse_mount_options({"tmpcopyup", "newinstance", "ptmxmode=0666"});
  EXPECT_EQ(o.flags, 0u);
  EXPECT_EQ(o.propagation, 0u);
  EXPECT_EQ(o.data, "newinstance,ptmxmode=0666") << "devpts options are filesystem data";
}

TEST(MountOptions, AnEmptyOrIdMappedOptionIsRefused) {
  EXPECT_THROW(parse_mount_options({"nosuid", ""}), std::invalid_argument);
  try {
    parse_mount_options({"idmap"});
    FAIL() << "idmap accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("idmap"), std::string::npos) << e.what();
  }
}

class SecureJoin : public ::testing::Test {
 protected:
  SecureJoin() : root_(tmp_.path() / "rootfs") {
    fs::create_directories(root_ / "etc");
    fs::create_directories(root_ / "usr/lib");
  }
  void link(const std::string& target, const std::string& at) {
    fs::create_symlink(target, root_ / fs::path(at).relative_path());
  }
  TempDir tmp_;
  fs::path root_;
};

TEST_F(SecureJoin, PlainPathsAreJoined) {
  EXPECT_EQ(secure_join(root_, "/etc/hosts"), root_ / "etc/hosts");
  EXPECT_EQ(secure_join(root_, "/new/dir/file"), root_ / "new/dir/file") << "missing parts stay";
  EXPECT_EQ(secure_join(root_, "/"), root_);
}

TEST_F(SecureJoin, AnAbsoluteLinkStartsAgainAtTheRootfs) {
  link("/etc/passwd", "/etc/hosts");
  EXPECT_EQ(secure_join(root_, "/etc/hosts"), root_ / "etc/passwd");
  link("/usr/lib", "/lib");
  EXPECT_EQ(secure_join(root_, "/lib/x.so"), root_ / "usr/lib/x.so");
}

TEST_F(SecureJoin, DotDotNeverClimbsAboveTheRootfs) {
  EXPECT_EQ(secure_join(root_, "/../../../etc/shadow"), root_ / "etc/shadow");
  link("../../../../../../host-secret", "/etc/escape");
  EXPECT_EQ(secure_join(root_, "/etc/escape"), root_ / "host-secret");
  link("lib", "/usr/lib64");
  EXPECT_EQ(secure_join(root_, "/usr/lib64/a"), root_ / "usr/lib/a")
      << "relative to the link's directory";
  link("../../../usr/lib", "/etc/up");
  EXPECT_EQ(secure_join(root_, "/etc/up/b"), root_ / "usr/lib/b");
}

TEST_F(SecureJoin, ALinkLoopIsAnErrorNotAHang) {
  link("/b", "/a");
  link("/a", "/b");
  EXPECT_THROW(secure_join(root_, "/a/file"), std::runtime_error);
}

}  // namespace
}  // namespace uh::oci
