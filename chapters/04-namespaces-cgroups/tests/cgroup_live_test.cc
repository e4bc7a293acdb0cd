// The cgroup driver of this host (host_cgroup_driver()) against the real
// kernel: groups are made, limits enforced on forked children, and every group
// removed again. Needs root. Each test makes its own group "uh-test/<pid>-<n>"
// and removes it at the end, whatever happened.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "container/cgroup.h"
#include "host/require.h"
#include "support/sys_error.h"
#include "support/unique_fd.h"

namespace uh::container {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---------------------------------------------------------------- helpers

std::string unique_name() {
  static int counter = 0;
  return "uh-test/" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Polls `done` for up to 10 s: a bound on a hang, not a measurement.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A group on this host, made in the constructor and removed in the destructor.
class LiveGroup {
 public:
  explicit LiveGroup(std::unique_ptr<CgroupDriver> driver = host_cgroup_driver())
      : driver_(std::move(driver)), name_(unique_name()) {
    driver_->create(name_);
  }
  ~LiveGroup() {
    try {
      driver_->remove();
      // "uh-test" is the tests' own: remove it too unless another test uses it.
      // (A test making its group below it meanwhile copes: create() retries.)
      for (const fs::path& dir : driver_->paths()) ::rmdir(dir.parent_path().c_str());
    } catch (const std::exception& e) {
      ADD_FAILURE() << "remove() of " << name_ << ": " << e.what();
      // Still leave the host clean, even with remove() unwritten: thaw (a
      // frozen child could not even be reaped), kill, and rmdir by hand.
      try {
        driver_->thaw();
      } catch (const std::exception&) {
      }
      try {
        for (pid_t pid : driver_->processes()) ::kill(pid, SIGKILL);
        eventually([&] { return driver_->processes().empty(); });
      } catch (const std::exception&) {
      }
      for (const fs::path& dir : driver_->paths()) {
        eventually([&] { return ::rmdir(dir.c_str()) == 0 || errno != EBUSY; });
        ::rmdir(dir.parent_path().c_str());  // "uh-test", if no other test uses it
      }
    }
  }
  LiveGroup(const LiveGroup&) = delete;
  LiveGroup& operator=(const LiveGroup&) = delete;

  CgroupDriver* operator->() { return driver_.get(); }
  const std::string& name() const { return name_; }

  // The kernel's value of `file`, from whichever of the group's directories has it.
  bool has(const std::string& file) const {
    for (const fs::path& dir : driver_->paths()) {
      if (fs::exists(dir / file)) return true;
    }
    return false;
  }
  std::string value(const std::string& file) const {
    for (const fs::path& dir : driver_->paths()) {
      if (fs::exists(dir / file)) {
        std::ifstream in(dir / file);
        std::ostringstream text;
        text << in.rdbuf();
        return trimmed(text.str());
      }
    }
    ADD_FAILURE() << "no directory of " << name_ << " has " << file;
    return {};
  }

 private:
  std::unique_ptr<CgroupDriver> driver_;
  std::string name_;
};

// A pipe, both ends owned.
struct Pipe {
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw SysError("pipe2", "", errno);
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
  UniqueFd read_end;
  UniqueFd write_end;
};

void send_bytes(const UniqueFd& fd, const void* data, std::size_t size) {
  if (::write(fd.get(), data, size) != static_cast<ssize_t>(size)) ::_exit(120);
}

// Reads exactly `size` bytes; false at end of file (the writer died).
bool receive_bytes(const UniqueFd& fd, void* data, std::size_t size) {
  auto* bytes = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd.get(), bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// A forked child running `body` (which returns the exit code) once the test
// says go, so that it can be joined to a group first. Killed and reaped at the
// end if the test has not reaped it.
class Child {
 public:
  explicit Child(const std::function<int()>& body) {
    pid_ = ::fork();
    if (pid_ < 0) throw SysError("fork", "", errno);
    if (pid_ == 0) {
      char go = 0;
      if (!receive_bytes(go_.read_end, &go, 1)) ::_exit(121);
      ::_exit(body());
    }
  }
  ~Child() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void go() {
    const char byte = 1;
    send_bytes(go_.write_end, &byte, 1);
  }
  // Waits for the child to end; returns its wait status.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

 private:
  Pipe go_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

int block_forever() {
  for (;;) ::pause();
}

bool killed_by_sigkill(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

// The cgroup of `pid` in each hierarchy: controller name -> path, with "" for
// the cgroup2 tree ("0::" line).
std::map<std::string, std::string> cgroups_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::map<std::string, std::string> paths;
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t first = line.find(':');
    const std::size_t second = line.find(':', first + 1);
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controllers.empty()) paths[""] = path;
    std::istringstream list(controllers);
    for (std::string controller; std::getline(list, controller, ',');) paths[controller] = path;
  }
  return paths;
}

std::string below(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

// Dead, or a zombie: /proc/<pid>/stat is gone or says Z or X.
bool dead(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return true;
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z' ||
         stat[paren + 2] == 'X';
}

// Becomes the reaper of orphaned grandchildren, so they do not linger as
// zombies of PID 1; reap_orphans() collects them.
void adopt_orphans() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
void reap_orphans() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

bool is_v1(CgroupMode mode) { return mode != CgroupMode::kUnified; }

// ---------------------------------------------------------------- tests

TEST(CgroupLive, CreateApplyJoinAndRemove) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  std::vector<fs::path> paths;
  Child child(block_forever);
  {
    LiveGroup group;
    paths = group->paths();
    ASSERT_FALSE(paths.empty());
    for (const fs::path& dir : paths) EXPECT_TRUE(fs::is_directory(dir)) << dir;

    CgroupLimits limits;
    limits.memory_max = 64 << 20;
    limits.pids_max = 32;
    limits.cpu_quota_us = 50'000;
    limits.cpu_period_us = 100'000;
    limits.cpu_weight = 100;
    group->apply(limits);
    if (is_v1(group->mode())) {
      EXPECT_EQ(group.value("memory.limit_in_bytes"), "67108864");
      if (group.has("memory.memsw.limit_in_bytes")) {  // only with swap accounting
        EXPECT_EQ(group.value("memory.memsw.limit_in_bytes"), "67108864");
      }
      EXPECT_EQ(group.value("pids.max"), "32");
      EXPECT_EQ(group.value("cpu.cfs_period_us"), "100000");
      EXPECT_EQ(group.value("cpu.cfs_quota_us"), "50000");
      EXPECT_EQ(group.value("cpu.shares"), "2598");
    } else {
      EXPECT_EQ(group.value("memory.max"), "67108864");
      EXPECT_EQ(group.value("pids.max"), "32");
      EXPECT_EQ(group.value("cpu.max"), "50000 100000");
      EXPECT_EQ(group.value("cpu.weight"), "100");
    }

    group->join(child.pid());
    EXPECT_EQ(group->processes(), std::vector<pid_t>{child.pid()});
    // The child sits in the group below ours, in every hierarchy the mode uses.
    const auto ours = cgroups_of(::getpid());
    const auto its = cgroups_of(child.pid());
    std::vector<std::string> hierarchies;
    if (is_v1(group->mode())) hierarchies = {"memory", "pids", "cpu", "freezer"};
    if (group->mode() != CgroupMode::kLegacy) hierarchies.push_back("");
    for (const std::string& h : hierarchies) {
      ASSERT_TRUE(ours.count(h) && its.count(h)) << "hierarchy \"" << h << "\"";
      EXPECT_EQ(its.at(h), below(ours.at(h), group.name())) << "hierarchy \"" << h << "\"";
    }
    const CgroupStats stats = group->stats();
    EXPECT_EQ(stats.pids_current, 1u);
    EXPECT_TRUE(stats.memory_current.has_value());
    EXPECT_EQ(stats.oom_kills, 0u);
  }  // remove()
  EXPECT_TRUE(killed_by_sigkill(child.wait()));
  for (const fs::path& dir : paths) EXPECT_FALSE(fs::exists(dir)) << dir;
}

TEST(CgroupLive, MemoryLimitCanBeLoweredAndRaisedAgain) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  LiveGroup group;
  const std::string file = is_v1(group->mode()) ? "memory.limit_in_bytes" : "memory.max";
  // On v1 the order of the memory and memsw writes matters both ways.
  for (std::int64_t bytes : {64 << 20, 32 << 20, 128 << 20}) {
    CgroupLimits limits;
    limits.memory_max = bytes;
    group->apply(limits);
    EXPECT_EQ(group.value(file), std::to_string(bytes));
  }
  CgroupLimits none;
  none.memory_max = -1;
  group->apply(none);
  EXPECT_EQ(group.value(file), is_v1(group->mode()) ? "9223372036854771712" : "max");
}

TEST(CgroupLive, PidsLimitStopsAForkLoop) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  adopt_orphans();
  constexpr int kPidsMax = 8;
  constexpr int kBound = 64;  // a broken limit must not fork without end
  struct Report {
    int forked;
    int error;
  };
  Pipe report;
  Child forker([&] {
    Report r{0, 0};
    for (; r.forked < kBound; ++r.forked) {
      const pid_t pid = ::fork();
      if (pid == 0) block_forever();
      if (pid < 0) {
        r.error = errno;
        break;
      }
    }
    send_bytes(report.write_end, &r, sizeof r);
    return block_forever();
  });
  report.write_end.reset();  // so that a dead forker reads as end of file
  {
    LiveGroup group;
    CgroupLimits limits;
    limits.pids_max = kPidsMax;
    group->apply(limits);
    group->join(forker.pid());
    forker.go();
    Report r{};
    ASSERT_TRUE(receive_bytes(report.read_end, &r, sizeof r)) << "the forker died";
    EXPECT_EQ(r.forked, kPidsMax - 1) << "the forker itself is one of the " << kPidsMax;
    EXPECT_EQ(r.error, EAGAIN) << std::strerror(r.error);
    EXPECT_EQ(group->stats().pids_current, static_cast<std::uint64_t>(kPidsMax));
    EXPECT_EQ(group->processes().size(), static_cast<std::size_t>(kPidsMax));
  }  // remove() kills the forker and its children
  EXPECT_TRUE(killed_by_sigkill(forker.wait()));
  reap_orphans();
}

TEST(CgroupLive, AMemoryHogIsOomKilledAtTheLimit) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  constexpr std::int64_t kLimit = 32 << 20;
  constexpr std::size_t kChunk = 1 << 20;
  constexpr int kChunks = 256;  // 256 MiB: the bound if the limit does not hold
  Child hog([] {
    for (int i = 0; i < kChunks; ++i) {
      void* chunk =
          ::mmap(nullptr, kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (chunk == MAP_FAILED) return 2;
      for (std::size_t at = 0; at < kChunk; at += 4096) static_cast<volatile char*>(chunk)[at] = 1;
    }
    return 0;  // survived: no limit
  });
  LiveGroup group;
  CgroupLimits limits;
  limits.memory_max = kLimit;
  group->apply(limits);
  group->join(hog.pid());
  hog.go();
  const int status = hog.wait();
  ASSERT_TRUE(killed_by_sigkill(status))
      << (WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status)) : "signalled");
  const CgroupStats stats = group->stats();
  ASSERT_TRUE(stats.oom_kills.has_value());
  EXPECT_GE(*stats.oom_kills, 1u);
  // v1 always keeps a peak; v2 has memory.peak only from Linux 5.19.
  if (is_v1(group->mode())) {
    ASSERT_TRUE(stats.memory_peak.has_value());
  }
  if (stats.memory_peak) {
    EXPECT_GT(*stats.memory_peak, 0u);
    EXPECT_LE(*stats.memory_peak, static_cast<std::uint64_t>(kLimit));
  }
}

TEST(CgroupLive, AFrozenChildMakesNoProgressUntilThawed) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  void* shared = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  auto* counter = new (shared) std::atomic<std::uint64_t>(0);
  Child spinner([counter] {
    for (;;) counter->fetch_add(1, std::memory_order_relaxed);
    return 0;
  });
  {
    LiveGroup group;
    group->join(spinner.pid());
    spinner.go();
    ASSERT_TRUE(eventually([&] { return counter->load() > 0; })) << "the child never ran";

    group->freeze();
    const std::uint64_t frozen_at = counter->load();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(counter->load(), frozen_at) << "a frozen child counted on";
    EXPECT_EQ(group->processes(), std::vector<pid_t>{spinner.pid()});

    group->thaw();
    EXPECT_TRUE(eventually([&] { return counter->load() > frozen_at; })) << "still frozen";
  }
  EXPECT_TRUE(killed_by_sigkill(spinner.wait()));
  ::munmap(shared, 4096);
}

TEST(CgroupLive, RemoveKillsEveryProcessLeft) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  adopt_orphans();
  Pipe report;
  Child parent([&] {
    const pid_t grandchild = ::fork();
    if (grandchild == 0) block_forever();
    send_bytes(report.write_end, &grandchild, sizeof grandchild);
    return block_forever();
  });
  Child other(block_forever);
  report.write_end.reset();
  std::vector<fs::path> paths;
  pid_t grandchild = -1;
  {
    LiveGroup group;
    paths = group->paths();
    group->join(parent.pid());
    group->join(other.pid());
    parent.go();
    ASSERT_TRUE(receive_bytes(report.read_end, &grandchild, sizeof grandchild));
    ASSERT_GT(grandchild, 0);
    std::vector<pid_t> expected = {parent.pid(), other.pid(), grandchild};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(group->processes(), expected) << "the grandchild is born in the group";
    group->remove();
    EXPECT_TRUE(group->processes().empty());
  }
  EXPECT_TRUE(killed_by_sigkill(parent.wait()));
  EXPECT_TRUE(killed_by_sigkill(other.wait()));
  EXPECT_TRUE(eventually([&] { return dead(grandchild); })) << "grandchild " << grandchild;
  for (const fs::path& dir : paths) EXPECT_FALSE(fs::exists(dir)) << dir;
  reap_orphans();
}

TEST(CgroupLive, RemoveTakesAFrozenGroup) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  Child child(block_forever);
  std::vector<fs::path> paths;
  {
    LiveGroup group;
    paths = group->paths();
    group->join(child.pid());
    child.go();
    group->freeze();
    group->remove();
  }
  EXPECT_TRUE(killed_by_sigkill(child.wait()));
  for (const fs::path& dir : paths) EXPECT_FALSE(fs::exists(dir)) << dir;
}

TEST(CgroupLive, ARefusedLimitNamesTheFileAndTheGroupStaysRemovable) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  LiveGroup group;
  const std::vector<fs::path> paths = group->paths();
  // The kernel wants a CFS period of at least 1000 us.
  CgroupLimits limits;
  limits.cpu_quota_us = 500;
  limits.cpu_period_us = 100;
  const bool v1 = is_v1(group->mode());
  try {
    group->apply(limits);
    ADD_FAILURE() << "the kernel took a 100 us period";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(v1 ? "cpu.cfs_period_us" : "cpu.max"), std::string::npos) << what;
    EXPECT_NE(what.find(v1 ? "\"100\"" : "\"500 100\""), std::string::npos) << what;
  }
  group->remove();
  for (const fs::path& dir : paths) EXPECT_FALSE(fs::exists(dir)) << dir;
}

std::string self_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A hybrid host also runs the other two drivers on their own: the legacy one
// on the v1 hierarchies, the unified one on the controller-less cgroup2 tree.
// Each must take a frozen group with a grandchild in it.
void remove_takes_a_frozen_family(std::unique_ptr<CgroupDriver> driver) {
  adopt_orphans();
  Pipe report;
  Child parent([&] {
    const pid_t grandchild = ::fork();
    if (grandchild == 0) block_forever();
    send_bytes(report.write_end, &grandchild, sizeof grandchild);
    return block_forever();
  });
  report.write_end.reset();
  std::vector<fs::path> paths;
  pid_t grandchild = -1;
  {
    LiveGroup group(std::move(driver));
    paths = group->paths();
    group->join(parent.pid());
    parent.go();
    ASSERT_TRUE(receive_bytes(report.read_end, &grandchild, sizeof grandchild));
    EXPECT_EQ(group->processes().size(), 2u);
    group->freeze();
    group->remove();
  }
  EXPECT_TRUE(killed_by_sigkill(parent.wait()));
  EXPECT_TRUE(eventually([&] { return dead(grandchild); })) << "grandchild " << grandchild;
  for (const fs::path& dir : paths) EXPECT_FALSE(fs::exists(dir)) << dir;
  reap_orphans();
}

TEST(CgroupLive, TheLegacyDriverAloneKillsAndRemovesAFrozenGroup) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  if (detect_cgroup_mode() == CgroupMode::kUnified) GTEST_SKIP() << "no v1 hierarchies here";
  remove_takes_a_frozen_family(
      make_cgroup_driver(CgroupMode::kLegacy, "/sys/fs/cgroup", self_cgroup()));
}

TEST(CgroupLive, TheUnifiedDriverAloneKillsAndRemovesAFrozenGroup) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  const CgroupMode mode = detect_cgroup_mode();
  if (mode == CgroupMode::kLegacy) GTEST_SKIP() << "no cgroup2 tree here";
  const fs::path root = mode == CgroupMode::kHybrid ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
  remove_takes_a_frozen_family(make_cgroup_driver(CgroupMode::kUnified, root, self_cgroup()));
}

TEST(CgroupLive, DetectionTellsEachLayoutApart) {
  UH_REQUIRE(::uh::host::Capability::kRoot);
  // Build each layout in a private mount namespace, in a child, and ask.
  char legacy_dir[] = "/tmp/uh-cgroup-layout-XXXXXX";
  char unified_dir[] = "/tmp/uh-cgroup-layout-XXXXXX";
  ASSERT_NE(::mkdtemp(legacy_dir), nullptr);
  ASSERT_NE(::mkdtemp(unified_dir), nullptr);
  Pipe answer;
  Child child([&]() -> int {
    std::string out;
    auto fail = [&](const std::string& what) {
      out = "skip: " + what + ": " + std::strerror(errno);
      send_bytes(answer.write_end, out.data(), out.size());
      return 0;
    };
    if (::unshare(CLONE_NEWNS) != 0) return fail("unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return fail("make / private");
    }
    if (::mount("tmpfs", legacy_dir, "tmpfs", 0, "size=1m") != 0) return fail("mount tmpfs");
    const std::string unified = std::string(legacy_dir) + "/unified";
    if (::mkdir(unified.c_str(), 0755) != 0) return fail("mkdir " + unified);
    try {
      out = to_string(detect_cgroup_mode(legacy_dir));
      if (::mount("cgroup2", unified.c_str(), "cgroup2", 0, nullptr) != 0) {
        return fail("mount cgroup2");
      }
      out += " " + to_string(detect_cgroup_mode(legacy_dir));
      if (::mount("cgroup2", unified_dir, "cgroup2", 0, nullptr) != 0) {
        return fail("mount cgroup2");
      }
      out += " " + to_string(detect_cgroup_mode(unified_dir));
    } catch (const std::exception& e) {
      out = std::string("error: ") + e.what();
    }
    send_bytes(answer.write_end, out.data(), out.size());
    return 0;
  });
  answer.write_end.reset();
  child.go();
  std::string text;
  char buffer[256];
  for (ssize_t n; (n = ::read(answer.read_end.get(), buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  child.wait();
  ::rmdir(legacy_dir);
  ::rmdir(unified_dir);
  if (text.rfind("skip: ", 0) == 0) GTEST_SKIP() << text;
  EXPECT_EQ(text, "legacy hybrid unified");
}

}  // namespace
}  // namespace uh::container
