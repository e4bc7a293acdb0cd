// The cgroup drivers against a fake cgroup filesystem: a temp directory laid
// out the way each driver expects, with a fake /proc/self/cgroup. The tests
// play the kernel's part where needed: they create the interface files a new
// group would have, and read back what the driver wrote.
#include "container/cgroup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "support/sys_error.h"

namespace uh::container {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- helpers

// A temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "uh-cgroup-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw SysError("mkdtemp", tmpl, errno);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void put(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return "<missing " + file.string() + ">";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The interface files a new group has, as the kernel would make them.
void put_files(const fs::path& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [name, text] : files) put(dir / name, text);
}

// A child that blocks until killed; killed and reaped at the end if still there.
class SleepingChild {
 public:
  SleepingChild() {
    pid_ = ::fork();
    if (pid_ < 0) throw SysError("fork", "", errno);
    if (pid_ == 0) {
      for (;;) ::pause();
    }
  }
  ~SleepingChild() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  SleepingChild(const SleepingChild&) = delete;
  SleepingChild& operator=(const SleepingChild&) = delete;
  pid_t pid() const { return pid_; }
  // Waits for the child to end; returns its wait status.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// ---------------------------------------------------------------- detection

TEST(CgroupMode, ToStringNamesEachMode) {
  EXPECT_EQ(to_string(CgroupMode::kUnified), "unified");
  EXPECT_EQ(to_string(CgroupMode::kLegacy), "legacy");
  EXPECT_EQ(to_string(CgroupMode::kHybrid), "hybrid");
}

// The filesystem type mounted at `mount_point`, from /proc/self/mountinfo
// (the last mount there wins); empty when nothing is mounted there.
std::string mounted_type(const std::string& mount_point) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, type;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    fields >> id >> parent >> device >> root >> point;
    const std::size_t dash = line.find(" - ");
    if (point != mount_point || dash == std::string::npos) continue;
    std::istringstream(line.substr(dash + 3)) >> type;
  }
  return type;
}

TEST(DetectCgroupMode, AgreesWithTheHostsMountTable) {
  // A second opinion from a different source: the mount table, not statfs.
  const std::string top = mounted_type("/sys/fs/cgroup");
  if (top.empty()) GTEST_SKIP() << "nothing is mounted at /sys/fs/cgroup";
  CgroupMode expected = CgroupMode::kLegacy;
  if (top == "cgroup2") {
    expected = CgroupMode::kUnified;
  } else if (top == "tmpfs" && mounted_type("/sys/fs/cgroup/unified") == "cgroup2") {
    expected = CgroupMode::kHybrid;
  } else {
    ASSERT_EQ(top, "tmpfs") << "an unexpected layout at /sys/fs/cgroup";
  }
  EXPECT_EQ(to_string(detect_cgroup_mode()), to_string(expected));
  EXPECT_EQ(to_string(detect_cgroup_mode("/sys/fs/cgroup")), to_string(expected));
}

TEST(DetectCgroupMode, MissingRootIsASysErrorNamingIt) {
  try {
    detect_cgroup_mode("/nonexistent/uh-cgroup-root");
    FAIL() << "no error for a missing root";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/uh-cgroup-root"), std::string::npos)
        << e.what();
  }
}

TEST(DetectCgroupMode, AnotherFilesystemIsRefusedByName) {
  try {
    detect_cgroup_mode("/proc");
    FAIL() << "procfs taken for a cgroup layout";
  } catch (const SysError& e) {
    FAIL() << "statfs of /proc should succeed: " << e.what();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- cpu weight and shares

TEST(CpuWeight, EndsOfTheRangesMapOntoEachOther) {
  EXPECT_EQ(cpu_weight_to_shares(1), 2u);
  EXPECT_EQ(cpu_weight_to_shares(10000), 262144u);
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);  // 262142 * 9999 overflows 32 bits
}

TEST(CpuWeight, TheDefaultsAreNotEachOthersOnTheLinearMap) {
  // The table in resources/references/cgroups.md, linear row.
  EXPECT_EQ(cpu_shares_to_weight(512), 20u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
  EXPECT_EQ(cpu_shares_to_weight(2048), 79u);
  EXPECT_EQ(cpu_shares_to_weight(4096), 157u);
  // v2's default weight, 100, is 2598 shares: the smallest that maps back onto 100.
  EXPECT_EQ(cpu_weight_to_shares(100), 2598u);
  EXPECT_EQ(cpu_shares_to_weight(2598), 100u);
  EXPECT_EQ(cpu_shares_to_weight(2597), 99u);
}

TEST(CpuWeight, ZeroIsNotSetAndOtherValuesAreClamped) {
  EXPECT_EQ(cpu_weight_to_shares(0), 0u);
  EXPECT_EQ(cpu_shares_to_weight(0), 0u);
  EXPECT_EQ(cpu_shares_to_weight(1), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1'000'000), 10000u);
  EXPECT_EQ(cpu_weight_to_shares(20'000), 262144u);
}

TEST(CpuWeight, EveryWeightSurvivesTheRoundTrip) {
  for (std::uint64_t weight = 1; weight <= 10000; ++weight) {
    ASSERT_EQ(cpu_shares_to_weight(cpu_weight_to_shares(weight)), weight);
  }
}

TEST(CpuWeight, SharesComeBackWithinOneWeightStep) {
  // One weight step is 262142 / 9999, about 26.2 shares.
  for (std::uint64_t shares = 2; shares <= 262144; ++shares) {
    const std::uint64_t back = cpu_weight_to_shares(cpu_shares_to_weight(shares));
    ASSERT_LE(back, shares);
    ASSERT_LT(shares - back, 27u) << shares;
  }
}

// ---------------------------------------------------------------- /proc/self/cgroup

TEST(SelfCgroup, MalformedLinesAreRefusedWithTheirNumber) {
  TempDir tmp;
  try {
    make_cgroup_driver(CgroupMode::kUnified, tmp.path(), "0::/\nno colons here\n");
    FAIL() << "malformed /proc/self/cgroup accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_cgroup_driver(CgroupMode::kUnified, tmp.path(), "x::/\n"), std::runtime_error);
  EXPECT_THROW(make_cgroup_driver(CgroupMode::kUnified, tmp.path(), "0::relative\n"),
               std::runtime_error);
}

TEST(SelfCgroup, AGroupOutsideOurNamespaceIsRefused) {
  TempDir tmp;
  EXPECT_THROW(make_cgroup_driver(CgroupMode::kUnified, tmp.path(), "0::/../../escape\n"),
               std::runtime_error);
}

TEST(SelfCgroup, UnifiedNeedsTheZeroLine) {
  TempDir tmp;
  EXPECT_THROW(make_cgroup_driver(CgroupMode::kUnified, tmp.path(), "4:memory:/\n"),
               std::runtime_error);
}

TEST(SelfCgroup, LegacyNeedsEachControllerItUses) {
  TempDir tmp;
  try {
    make_cgroup_driver(CgroupMode::kLegacy, tmp.path(), "4:memory:/\n8:pids:/\n1:cpu:/\n0::/\n");
    FAIL() << "a legacy driver without a freezer hierarchy";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("freezer"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- v2, fake

// A cgroup2 tree in which this process sits in /user.slice/launcher.
class CgroupV2Fake : public ::testing::Test {
 protected:
  CgroupV2Fake() : base_(tmp_.path() / "user.slice" / "launcher") {
    put_files(base_, {{"cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma\n"},
                      {"cgroup.subtree_control", ""},
                      {"cgroup.procs", "1234\n"}});
  }
  std::unique_ptr<CgroupDriver> driver() {
    return make_cgroup_driver(CgroupMode::kUnified, tmp_.path(), "0::/user.slice/launcher\n");
  }
  // What the kernel makes in a new group below a parent with memory, pids and cpu enabled.
  void kernel_files(const fs::path& group) {
    put_files(group, {{"cgroup.procs", ""},
                      {"cgroup.freeze", "0\n"},
                      {"cgroup.events", "populated 0\nfrozen 0\n"},
                      {"memory.max", "max\n"},
                      {"memory.swap.max", "max\n"},
                      {"pids.max", "max\n"},
                      {"cpu.max", "max 100000\n"},
                      {"cpu.weight", "100\n"}});
  }

  TempDir tmp_;
  fs::path base_;
};

TEST_F(CgroupV2Fake, CreateEnablesTheControllersInTheParentAndMakesTheGroup) {
  auto cg = driver();
  EXPECT_EQ(cg->mode(), CgroupMode::kUnified);
  cg->create("uh/ctr-1");
  EXPECT_EQ(slurp(base_ / "cgroup.subtree_control"), "+memory +pids +cpu");
  EXPECT_TRUE(fs::is_directory(base_ / "uh" / "ctr-1"));
  EXPECT_EQ(cg->paths(), std::vector<fs::path>{base_ / "uh" / "ctr-1"});
}

TEST_F(CgroupV2Fake, CreateEnablesOnlyControllersAvailableAndNotYetEnabled) {
  put(base_ / "cgroup.controllers", "io memory pids\n");  // no cpu here
  put(base_ / "cgroup.subtree_control", "memory\n");
  auto cg = driver();
  cg->create("ctr-1");
  EXPECT_EQ(slurp(base_ / "cgroup.subtree_control"), "+pids");
}

TEST_F(CgroupV2Fake, CreateWritesNothingWhenTheControllersAreEnabled) {
  put(base_ / "cgroup.subtree_control", "cpu io memory pids\n");
  auto cg = driver();
  cg->create("ctr-1");
  EXPECT_EQ(slurp(base_ / "cgroup.subtree_control"), "cpu io memory pids\n");
}

TEST_F(CgroupV2Fake, CreateRefusesAnExistingGroupAndLeavesItAlone) {
  fs::create_directories(base_ / "uh" / "ctr-1");
  auto cg = driver();
  try {
    cg->create("uh/ctr-1");
    FAIL() << "an existing group taken over";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code().value(), EEXIST);
    EXPECT_NE(std::string(e.what()).find((base_ / "uh" / "ctr-1").string()), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_directory(base_ / "uh" / "ctr-1"));
}

TEST_F(CgroupV2Fake, CreateRefusesNamesThatLeaveTheSubtree) {
  for (const std::string name : {"", "/abs", "../up", "a/../../b", "a/./b"}) {
    auto cg = driver();
    EXPECT_THROW(cg->create(name), std::invalid_argument) << name;
  }
  EXPECT_FALSE(fs::exists(tmp_.path() / "up"));
  EXPECT_FALSE(fs::exists(base_ / "a"));
}

TEST_F(CgroupV2Fake, ApplyWritesTheV2Files) {
  auto cg = driver();
  cg->create("ctr-1");
  const fs::path group = base_ / "ctr-1";
  kernel_files(group);
  CgroupLimits limits;
  limits.memory_max = 32 << 20;
  limits.pids_max = 64;
  limits.cpu_quota_us = 50'000;
  limits.cpu_weight = 100;
  cg->apply(limits);
  EXPECT_EQ(slurp(group / "memory.max"), "33554432");
  EXPECT_EQ(slurp(group / "memory.swap.max"), "0");  // the limit covers swap too
  EXPECT_EQ(slurp(group / "pids.max"), "64");
  EXPECT_EQ(slurp(group / "cpu.max"), "50000 100000");
  EXPECT_EQ(slurp(group / "cpu.weight"), "100");
}

TEST_F(CgroupV2Fake, ApplyWritesMaxForNoLimit) {
  auto cg = driver();
  cg->create("ctr-1");
  const fs::path group = base_ / "ctr-1";
  kernel_files(group);
  put_files(group, {{"memory.max", "1\n"}, {"memory.swap.max", "0\n"}, {"pids.max", "1\n"}});
  CgroupLimits limits;
  limits.memory_max = -1;
  limits.pids_max = -1;
  limits.cpu_quota_us = -1;
  limits.cpu_period_us = 250'000;
  limits.cpu_weight = 10000;
  cg->apply(limits);
  EXPECT_EQ(slurp(group / "memory.max"), "max");
  EXPECT_EQ(slurp(group / "memory.swap.max"), "max");
  EXPECT_EQ(slurp(group / "pids.max"), "max");
  EXPECT_EQ(slurp(group / "cpu.max"), "max 250000");
  EXPECT_EQ(slurp(group / "cpu.weight"), "10000");
}

TEST_F(CgroupV2Fake, ApplyLeavesAbsentLimitsAlone) {
  auto cg = driver();
  cg->create("ctr-1");
  const fs::path group = base_ / "ctr-1";
  kernel_files(group);
  CgroupLimits limits;
  limits.pids_max = 7;
  cg->apply(limits);
  EXPECT_EQ(slurp(group / "pids.max"), "7");
  EXPECT_EQ(slurp(group / "memory.max"), "max\n");
  EXPECT_EQ(slurp(group / "cpu.max"), "max 100000\n");
  EXPECT_EQ(slurp(group / "cpu.weight"), "100\n");
}

TEST_F(CgroupV2Fake, ApplyChecksEveryValueBeforeWritingAny) {
  auto cg = driver();
  cg->create("ctr-1");
  const fs::path group = base_ / "ctr-1";
  kernel_files(group);
  CgroupLimits limits;
  limits.pids_max = 10;
  limits.memory_max = -5;
  try {
    cg->apply(limits);
    FAIL() << "a negative memory limit accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("memory.max"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("-5"), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(group / "pids.max"), "max\n");
  for (std::uint64_t weight : {0, 10001}) {
    CgroupLimits bad;
    bad.cpu_weight = weight;
    EXPECT_THROW(cg->apply(bad), std::invalid_argument) << weight;
  }
  EXPECT_EQ(slurp(group / "cpu.weight"), "100\n");
}

TEST_F(CgroupV2Fake, AMissingControllerFileNamesTheFileAndTheValue) {
  auto cg = driver();
  cg->create("ctr-1");  // no kernel files: as if memory were not enabled
  CgroupLimits limits;
  limits.memory_max = 32 << 20;
  try {
    cg->apply(limits);
    FAIL() << "wrote a limit into a file that is not there";
  } catch (const SysError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(what.find((base_ / "ctr-1" / "memory.max").string()), std::string::npos) << what;
    EXPECT_NE(what.find("33554432"), std::string::npos) << what;
    EXPECT_NE(what.find("memory controller"), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(base_ / "ctr-1" / "memory.max")) << "the driver created the file";
}

TEST_F(CgroupV2Fake, StatsReadTheCountersAndOomKillsByKey) {
  auto cg = driver();
  cg->create("ctr-1");
  // "oom 3" comes first: a lookup by prefix would read it instead of oom_kill.
  put_files(base_ / "ctr-1", {{"memory.current", "1234\n"},
                              {"memory.peak", "5678\n"},
                              {"memory.events",
                               "low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\n"
                               "oom_group_kill 0\n"},
                              {"pids.current", "3\n"}});
  const CgroupStats stats = cg->stats();
  EXPECT_EQ(stats.memory_current, 1234u);
  EXPECT_EQ(stats.memory_peak, 5678u);
  EXPECT_EQ(stats.oom_kills, 2u);
  EXPECT_EQ(stats.pids_current, 3u);
}

TEST_F(CgroupV2Fake, StatsAreAbsentWhereTheHostCannotTell) {
  auto cg = driver();
  cg->create("ctr-1");
  CgroupStats stats = cg->stats();
  EXPECT_FALSE(stats.memory_current);
  EXPECT_FALSE(stats.memory_peak);
  EXPECT_FALSE(stats.oom_kills);
  EXPECT_FALSE(stats.pids_current);
  put(base_ / "ctr-1" / "memory.events", "low 0\nhigh 0\nmax 0\noom 0\n");  // before 4.13
  EXPECT_FALSE(cg->stats().oom_kills);
  put(base_ / "ctr-1" / "memory.current", "lots\n");
  EXPECT_THROW(cg->stats(), std::runtime_error);
}

TEST_F(CgroupV2Fake, JoinWritesThePidToCgroupProcs) {
  auto cg = driver();
  cg->create("ctr-1");
  put(base_ / "ctr-1" / "cgroup.procs", "");
  cg->join(4242);
  EXPECT_EQ(slurp(base_ / "ctr-1" / "cgroup.procs"), "4242");
  EXPECT_THROW(cg->join(0), std::invalid_argument);
}

TEST_F(CgroupV2Fake, ProcessesAreReadFromCgroupProcsAndNeverIncludeZero) {
  auto cg = driver();
  cg->create("ctr-1");
  put(base_ / "ctr-1" / "cgroup.procs", "12\n7\n");
  EXPECT_EQ(cg->processes(), (std::vector<pid_t>{7, 12}));
  // kill(0) would hit our own process group: such a line must be refused.
  put(base_ / "ctr-1" / "cgroup.procs", "0\n");
  EXPECT_THROW(cg->processes(), std::runtime_error);
  put(base_ / "ctr-1" / "cgroup.procs", "-1\n");
  EXPECT_THROW(cg->processes(), std::runtime_error);
}

TEST_F(CgroupV2Fake, FreezeWaitsForFrozenAndThawWritesZero) {
  auto cg = driver();
  cg->create("ctr-1");
  const fs::path group = base_ / "ctr-1";
  kernel_files(group);
  put(group / "cgroup.events", "populated 1\nfrozen 1\n");
  cg->freeze();
  EXPECT_EQ(slurp(group / "cgroup.freeze"), "1");
  cg->thaw();
  EXPECT_EQ(slurp(group / "cgroup.freeze"), "0");
}

TEST_F(CgroupV2Fake, AFreezeThatNeverCompletesIsUndoneAndReported) {
  auto cg = driver();
  cg->create("ctr-1");
  const fs::path group = base_ / "ctr-1";
  kernel_files(group);  // cgroup.events keeps saying "frozen 0"
  try {
    cg->freeze();
    FAIL() << "freeze() returned while cgroup.events says frozen 0";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((group / "cgroup.events").string()), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(slurp(group / "cgroup.freeze"), "0");
}

TEST_F(CgroupV2Fake, RemovingAnEmptyGroupRemovesWhatCreateMade) {
  auto cg = driver();
  cg->remove();  // never created: nothing to do
  cg->create("uh/ctr-1");
  cg->remove();
  EXPECT_FALSE(fs::exists(base_ / "uh" / "ctr-1"));
  EXPECT_FALSE(fs::exists(base_ / "uh"));
  EXPECT_TRUE(fs::is_directory(base_));
  cg->remove();  // twice is fine
  EXPECT_EQ(cg->paths(), std::vector<fs::path>{base_ / "uh" / "ctr-1"});
}

TEST_F(CgroupV2Fake, OpenAdoptsAnExistingGroupAndRemoveTakesOnlyIt) {
  fs::create_directories(base_ / "uh" / "ctr-1");  // made by another process's create()
  auto cg = driver();
  cg->open("uh/ctr-1");
  EXPECT_EQ(cg->paths(), std::vector<fs::path>{base_ / "uh" / "ctr-1"});
  cg->remove();
  EXPECT_FALSE(fs::exists(base_ / "uh" / "ctr-1"));
  EXPECT_TRUE(fs::is_directory(base_ / "uh"));
}

TEST_F(CgroupV2Fake, OpeningAMissingGroupNamesIt) {
  auto cg = driver();
  try {
    cg->open("uh/ctr-9");
    FAIL() << "a missing group opened";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("ctr-9"), std::string::npos) << e.what();
  }
  EXPECT_THROW(driver()->open("../escape"), std::invalid_argument);
}

TEST_F(CgroupV2Fake, RemoveKeepsAParentItFoundThere) {
  fs::create_directories(base_ / "uh");
  auto cg = driver();
  cg->create("uh/ctr-1");
  cg->remove();
  EXPECT_FALSE(fs::exists(base_ / "uh" / "ctr-1"));
  EXPECT_TRUE(fs::is_directory(base_ / "uh"));
}

TEST_F(CgroupV2Fake, RemoveKillsEachProcessWhereThereIsNoCgroupKill) {
  auto cg = driver();
  cg->create("ctr-1");
  SleepingChild child;
  // A fake cgroup.procs never empties, so remove() must give up and say where.
  put(base_ / "ctr-1" / "cgroup.procs", std::to_string(child.pid()) + "\n");
  try {
    cg->remove();
    FAIL() << "remove() returned with a process still listed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((base_ / "ctr-1").string()), std::string::npos)
        << e.what();
  }
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(CgroupV2Fake, RemoveWritesCgroupKillWhereThereIsOne) {
  auto cg = driver();
  cg->create("ctr-1");
  SleepingChild child;
  put_files(base_ / "ctr-1",
            {{"cgroup.kill", ""}, {"cgroup.procs", std::to_string(child.pid()) + "\n"}});
  EXPECT_THROW(cg->remove(), std::runtime_error);  // no kernel to empty the fake group
  EXPECT_EQ(slurp(base_ / "ctr-1" / "cgroup.kill"), "1");
}

// ---------------------------------------------------------------- v1, fake

// v1 hierarchies in which this process sits in a different group in each.
constexpr char kLegacySelf[] =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "6:freezer:/f\n"
    "4:memory:/process_api/abc\n"
    "2:cpuacct:/\n"
    "1:cpu:/c\n"
    "0::/\n";

class CgroupV1Fake : public ::testing::Test {
 protected:
  CgroupV1Fake()
      : root_(tmp_.path()),
        memory_(root_ / "memory" / "process_api" / "abc"),
        pids_(root_ / "pids"),
        cpu_(root_ / "cpu" / "c"),
        freezer_(root_ / "freezer" / "f") {
    for (const fs::path& dir : {memory_, pids_, cpu_, freezer_, root_ / "cpuacct"}) {
      fs::create_directories(dir);
    }
  }
  std::unique_ptr<CgroupDriver> driver() {
    return make_cgroup_driver(CgroupMode::kLegacy, root_, kLegacySelf);
  }
  // What the kernel makes in the new groups.
  void kernel_files(const std::string& name) {
    put_files(memory_ / name, {{"cgroup.procs", ""},
                               {"memory.limit_in_bytes", "9223372036854771712\n"},
                               {"memory.memsw.limit_in_bytes", "9223372036854771712\n"}});
    put_files(pids_ / name, {{"cgroup.procs", ""}, {"pids.max", "max\n"}});
    put_files(cpu_ / name, {{"cgroup.procs", ""},
                            {"cpu.cfs_period_us", "100000\n"},
                            {"cpu.cfs_quota_us", "-1\n"},
                            {"cpu.shares", "1024\n"}});
    put_files(freezer_ / name, {{"cgroup.procs", ""}, {"freezer.state", "THAWED\n"}});
  }

  TempDir tmp_;
  fs::path root_, memory_, pids_, cpu_, freezer_;
};

TEST_F(CgroupV1Fake, EachGroupIsBelowThisProcesssGroupInThatHierarchy) {
  auto cg = driver();
  EXPECT_EQ(cg->mode(), CgroupMode::kLegacy);
  cg->create("uh/ctr-1");
  const std::vector<fs::path> expected = {memory_ / "uh" / "ctr-1", pids_ / "uh" / "ctr-1",
                                          cpu_ / "uh" / "ctr-1", freezer_ / "uh" / "ctr-1"};
  EXPECT_EQ(cg->paths(), expected);
  for (const fs::path& dir : expected) EXPECT_TRUE(fs::is_directory(dir)) << dir;
  EXPECT_FALSE(fs::exists(root_ / "cpuacct" / "uh"));
}

TEST_F(CgroupV1Fake, CoMountedControllersShareOneDirectory) {
  // "cpu,cpuacct" mounted together and no "cpu" link to it.
  fs::create_directories(root_ / "cpu,cpuacct" / "x");
  fs::remove_all(root_ / "cpu");
  auto cg = make_cgroup_driver(CgroupMode::kLegacy, root_,
                               "8:pids:/\n6:freezer:/f\n4:memory:/process_api/abc\n"
                               "3:cpu,cpuacct:/x\n");
  cg->create("ctr-1");
  EXPECT_EQ(cg->paths()[2], root_ / "cpu,cpuacct" / "x" / "ctr-1");

  // memory and pids on one hierarchy: one directory for both.
  TempDir other;
  fs::create_directories(other.path() / "memory");
  fs::create_directories(other.path() / "cpu");
  fs::create_directories(other.path() / "freezer");
  auto shared = make_cgroup_driver(CgroupMode::kLegacy, other.path(),
                                   "5:memory,pids:/\n1:cpu:/\n6:freezer:/\n");
  shared->create("ctr-1");
  EXPECT_EQ(shared->paths(), (std::vector<fs::path>{other.path() / "memory" / "ctr-1",
                                                    other.path() / "cpu" / "ctr-1",
                                                    other.path() / "freezer" / "ctr-1"}));
}

TEST_F(CgroupV1Fake, ApplyWritesTheV1Files) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  CgroupLimits limits;
  limits.memory_max = 32 << 20;
  limits.pids_max = 64;
  limits.cpu_quota_us = 50'000;
  limits.cpu_weight = 100;
  cg->apply(limits);
  EXPECT_EQ(slurp(memory_ / "ctr-1" / "memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(slurp(memory_ / "ctr-1" / "memory.memsw.limit_in_bytes"), "33554432");
  EXPECT_EQ(slurp(pids_ / "ctr-1" / "pids.max"), "64");
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.shares"), "2598");
}

TEST_F(CgroupV1Fake, ApplyConvertsTheEndsOfTheWeightRange) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  CgroupLimits limits;
  limits.cpu_weight = 1;
  cg->apply(limits);
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.shares"), "2");
  limits.cpu_weight = 10000;
  cg->apply(limits);
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.shares"), "262144");
}

TEST_F(CgroupV1Fake, ApplyWritesTheV1SpellingOfNoLimit) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  put(memory_ / "ctr-1" / "memory.limit_in_bytes", "33554432\n");
  put(memory_ / "ctr-1" / "memory.memsw.limit_in_bytes", "33554432\n");
  CgroupLimits limits;
  limits.memory_max = -1;
  limits.pids_max = -1;
  limits.cpu_quota_us = -1;
  limits.cpu_period_us = 250'000;
  cg->apply(limits);
  EXPECT_EQ(slurp(memory_ / "ctr-1" / "memory.limit_in_bytes"), "-1");
  EXPECT_EQ(slurp(memory_ / "ctr-1" / "memory.memsw.limit_in_bytes"), "-1");
  EXPECT_EQ(slurp(pids_ / "ctr-1" / "pids.max"), "max");
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.cfs_period_us"), "250000");
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.shares"), "1024\n");  // no weight given
}

TEST_F(CgroupV1Fake, WithoutSwapAccountingOnlyTheMemoryLimitIsWritten) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  fs::remove(memory_ / "ctr-1" / "memory.memsw.limit_in_bytes");
  CgroupLimits limits;
  limits.memory_max = 1 << 20;
  cg->apply(limits);
  EXPECT_EQ(slurp(memory_ / "ctr-1" / "memory.limit_in_bytes"), "1048576");
  EXPECT_FALSE(fs::exists(memory_ / "ctr-1" / "memory.memsw.limit_in_bytes"));
}

TEST_F(CgroupV1Fake, ApplyChecksEveryValueBeforeWritingAny) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  CgroupLimits limits;
  limits.pids_max = 10;
  limits.cpu_weight = 0;
  try {
    cg->apply(limits);
    FAIL() << "weight 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cpu.shares"), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(pids_ / "ctr-1" / "pids.max"), "max\n");
  limits.cpu_weight.reset();
  limits.cpu_quota_us = -2;
  EXPECT_THROW(cg->apply(limits), std::invalid_argument);
  EXPECT_EQ(slurp(pids_ / "ctr-1" / "pids.max"), "max\n");
}

TEST_F(CgroupV1Fake, StatsReadTheV1CountersAndOomKillsByKey) {
  auto cg = driver();
  cg->create("ctr-1");
  // "oom_kill_disable 0" comes first: a lookup by prefix would read it.
  put_files(memory_ / "ctr-1", {{"memory.usage_in_bytes", "1000\n"},
                                {"memory.max_usage_in_bytes", "2000\n"},
                                {"memory.oom_control",
                                 "oom_kill_disable 0\nunder_oom 0\n"
                                 "oom_kill 4\n"}});
  put(pids_ / "ctr-1" / "pids.current", "5\n");
  const CgroupStats stats = cg->stats();
  EXPECT_EQ(stats.memory_current, 1000u);
  EXPECT_EQ(stats.memory_peak, 2000u);
  EXPECT_EQ(stats.oom_kills, 4u);
  EXPECT_EQ(stats.pids_current, 5u);
}

TEST_F(CgroupV1Fake, JoinWritesThePidInEveryHierarchy) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  cg->join(4242);
  for (const fs::path& dir : cg->paths()) EXPECT_EQ(slurp(dir / "cgroup.procs"), "4242") << dir;
}

TEST_F(CgroupV1Fake, ProcessesAreThoseOfEveryHierarchy) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  put(memory_ / "ctr-1" / "cgroup.procs", "30\n10\n");
  put(freezer_ / "ctr-1" / "cgroup.procs", "10\n20\n");
  EXPECT_EQ(cg->processes(), (std::vector<pid_t>{10, 20, 30}));
}

TEST_F(CgroupV1Fake, FreezeAndThawWriteFreezerState) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  cg->freeze();  // the fake file reads back FROZEN at once
  EXPECT_EQ(slurp(freezer_ / "ctr-1" / "freezer.state"), "FROZEN");
  cg->thaw();
  EXPECT_EQ(slurp(freezer_ / "ctr-1" / "freezer.state"), "THAWED");
}

TEST_F(CgroupV1Fake, AFailedCreateLeavesNothingBehind) {
  fs::remove_all(freezer_);  // the last hierarchy cannot take the group
  auto cg = driver();
  try {
    cg->create("uh/ctr-1");
    FAIL() << "created a group below a missing directory";
  } catch (const SysError& e) {
    EXPECT_NE(std::string(e.what()).find((freezer_ / "uh").string()), std::string::npos)
        << e.what();
  }
  for (const fs::path& base : {memory_, pids_, cpu_}) {
    EXPECT_FALSE(fs::exists(base / "uh")) << base;
    EXPECT_TRUE(fs::is_directory(base)) << base;
  }
  EXPECT_TRUE(cg->paths().empty());
  cg->remove();  // nothing to remove, and no error
}

TEST_F(CgroupV1Fake, OpenAdoptsTheGroupInEveryHierarchy) {
  driver()->create("uh/ctr-1");  // as an OCI runtime's `create` does, in another process
  auto cg = driver();
  cg->open("uh/ctr-1");
  const std::vector<fs::path> paths = cg->paths();
  ASSERT_EQ(paths.size(), 4u);
  cg->remove();
  for (const fs::path& dir : paths) {
    EXPECT_FALSE(fs::exists(dir)) << dir;
    EXPECT_TRUE(fs::is_directory(dir.parent_path())) << "open() made no parent: keep it";
  }
}

TEST_F(CgroupV1Fake, RemovingAnEmptyGroupRemovesEveryDirectory) {
  auto cg = driver();
  cg->create("uh/ctr-1");
  const std::vector<fs::path> paths = cg->paths();
  cg->remove();
  for (const fs::path& dir : paths) {
    EXPECT_FALSE(fs::exists(dir)) << dir;
    EXPECT_FALSE(fs::exists(dir.parent_path())) << dir.parent_path();
    EXPECT_TRUE(fs::is_directory(dir.parent_path().parent_path()));
  }
  cg->remove();
}

TEST_F(CgroupV1Fake, RemoveFreezesKillsAndThaws) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  SleepingChild child;
  put(memory_ / "ctr-1" / "cgroup.procs", std::to_string(child.pid()) + "\n");
  try {
    cg->remove();
    FAIL() << "remove() returned with a process still listed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("ctr-1"), std::string::npos) << e.what();
  }
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(slurp(freezer_ / "ctr-1" / "freezer.state"), "THAWED");
}

// ---------------------------------------------------------------- hybrid, fake

// The v1 lines of kLegacySelf, and a group in the unified tree.
constexpr char kHybridSelf[] =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "6:freezer:/f\n"
    "4:memory:/process_api/abc\n"
    "2:cpuacct:/\n"
    "1:cpu:/c\n"
    "0::/system.slice/x.service\n";

class CgroupHybridFake : public CgroupV1Fake {
 protected:
  CgroupHybridFake() : unified_(root_ / "unified" / "system.slice" / "x.service") {
    // A controller-less cgroup2 tree, as on a hybrid host.
    put_files(unified_, {{"cgroup.controllers", ""}, {"cgroup.subtree_control", ""}});
  }
  std::unique_ptr<CgroupDriver> driver() {
    return make_cgroup_driver(CgroupMode::kHybrid, root_, kHybridSelf);
  }
  fs::path unified_;
};

TEST_F(CgroupHybridFake, CreateMakesTheV1GroupsAndOneInTheUnifiedTree) {
  auto cg = driver();
  EXPECT_EQ(cg->mode(), CgroupMode::kHybrid);
  cg->create("uh/ctr-1");
  const std::vector<fs::path> expected = {memory_ / "uh" / "ctr-1", pids_ / "uh" / "ctr-1",
                                          cpu_ / "uh" / "ctr-1", freezer_ / "uh" / "ctr-1",
                                          unified_ / "uh" / "ctr-1"};
  EXPECT_EQ(cg->paths(), expected);
  for (const fs::path& dir : expected) EXPECT_TRUE(fs::is_directory(dir)) << dir;
  EXPECT_EQ(slurp(unified_ / "cgroup.subtree_control"), "") << "no controllers to enable there";
}

TEST_F(CgroupHybridFake, JoinWritesThePidInBothTrees) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  put(unified_ / "ctr-1" / "cgroup.procs", "");
  cg->join(4242);
  for (const fs::path& dir : cg->paths()) EXPECT_EQ(slurp(dir / "cgroup.procs"), "4242") << dir;
}

TEST_F(CgroupHybridFake, LimitsStatsAndFreezingAreV1) {
  auto cg = driver();
  cg->create("ctr-1");
  kernel_files("ctr-1");
  CgroupLimits limits;
  limits.memory_max = 32 << 20;
  limits.cpu_weight = 100;
  cg->apply(limits);
  EXPECT_EQ(slurp(memory_ / "ctr-1" / "memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(slurp(cpu_ / "ctr-1" / "cpu.shares"), "2598");
  EXPECT_TRUE(fs::is_empty(unified_ / "ctr-1")) << "wrote into the controller-less tree";
  put(pids_ / "ctr-1" / "pids.current", "2\n");
  EXPECT_EQ(cg->stats().pids_current, 2u);
  cg->freeze();
  EXPECT_EQ(slurp(freezer_ / "ctr-1" / "freezer.state"), "FROZEN");
}

TEST_F(CgroupHybridFake, AFailedUnifiedCreateUndoesTheV1Groups) {
  fs::remove_all(root_ / "unified");
  auto cg = driver();
  EXPECT_THROW(cg->create("uh/ctr-1"), SysError);
  for (const fs::path& base : {memory_, pids_, cpu_, freezer_}) {
    EXPECT_FALSE(fs::exists(base / "uh")) << base;
  }
}

TEST_F(CgroupHybridFake, RemovingAnEmptyGroupRemovesItFromBothTrees) {
  auto cg = driver();
  cg->create("uh/ctr-1");
  const std::vector<fs::path> paths = cg->paths();
  ASSERT_EQ(paths.size(), 5u);
  cg->remove();
  for (const fs::path& dir : paths) {
    EXPECT_FALSE(fs::exists(dir)) << dir;
    EXPECT_FALSE(fs::exists(dir.parent_path())) << dir.parent_path();
  }
  cg->remove();
}

}  // namespace
}  // namespace uh::container
