// Chapter 05 — the state directory: atomic writes, status from /proc, locks.
#include "oci/state.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <thread>

#include "oci/runtime.h"
#include "oci_test_support.h"
#include "support/sys_error.h"

namespace uh::oci {
namespace {

namespace fs = std::filesystem;
using testing::slurp;
using testing::TempDir;

ContainerState sample(const std::string& id) {
  ContainerState s;
  s.oci_version = "1.0.2";
  s.id = id;
  s.status = Status::kCreated;
  s.pid = 4242;
  s.pid_start_time = 777;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2026-01-01T00:00:00.000000000Z";
  s.cgroup = "uhrun/" + id;
  s.annotations = {{"a", "1"}};
  return s;
}

TEST(State, SaveAndLoadRoundTrip) {
  TempDir tmp;
  StateStore store(tmp.path() / "root");
  UniqueFd lock = store.create_dir("c1");
  store.save(sample("c1"));
  const ContainerState back = store.load("c1");
  EXPECT_EQ(back.id, "c1");
  EXPECT_EQ(back.pid, 4242);
  EXPECT_EQ(back.pid_start_time, 777u);
  EXPECT_EQ(back.cgroup, "uhrun/c1");
  EXPECT_EQ(back.annotations.at("a"), "1");
  EXPECT_EQ(back.status, Status::kCreated);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(store.dir("c1")))
    names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"lock", "state.json"})) << "no temp file is left";
}

TEST(State, WritesReplaceTheWholeFileAtOnce) {
  TempDir tmp;
  const fs::path file = tmp.path() / "f.json";
  write_file_atomically(file, std::string(100000, 'x'));
  write_file_atomically(file, "short");
  EXPECT_EQ(slurp(file), "short");
  // A reader that opened the old file keeps reading the old file: the new
  // one is another inode, put in place by rename.
  write_file_atomically(file, "old");
  std::ifstream reader(file);
  write_file_atomically(file, "new");
  std::string seen;
  reader >> seen;
  EXPECT_EQ(seen, "old");
  EXPECT_EQ(slurp(file), "new");
}

TEST(State, AFailedWriteNamesThePathAndLeavesNothing) {
  TempDir tmp;
  const fs::path file = tmp.path() / "missing-dir" / "state.json";
  try {
    write_file_atomically(file, "x");
    FAIL() << "wrote into a directory that does not exist";
  } catch (const SysError& e) {
    EXPECT_NE(std::string(e.what()).find("missing-dir"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(State, ACorruptFileIsReportedByName) {
  TempDir tmp;
  StateStore store(tmp.path());
  UniqueFd lock = store.create_dir("c2");
  std::ofstream(store.dir("c2") / "state.json") << "{\"id\": tru";
  try {
    store.load("c2");
    FAIL() << "a corrupt state.json loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("state.json is corrupt"), std::string::npos) << e.what();
  }
}

TEST(State, StatusComesFromProcNotFromTheFile) {
  ContainerState s = sample("c");
  ProcessInfo alive{true, false, 777};
  EXPECT_EQ(derive_status(s, alive, true), Status::kCreated);
  EXPECT_EQ(derive_status(s, alive, false), Status::kRunning);
  EXPECT_EQ(derive_status(s, ProcessInfo{}, true), Status::kStopped) << "the init is gone";
  EXPECT_EQ(derive_status(s, ProcessInfo{true, true, 777}, false), Status::kStopped) << "zombie";
  EXPECT_EQ(derive_status(s, ProcessInfo{true, false, 999}, false), Status::kStopped)
      << "the PID now belongs to another process";
  s.status = Status::kRunning;  // whatever the file says
  EXPECT_EQ(derive_status(s, ProcessInfo{}, false), Status::kStopped);
}

TEST(State, ProcessInfoTellsLivingZombieAndGone) {
  const ProcessInfo self = process_info(::getpid());
  EXPECT_TRUE(self.exists);
  EXPECT_FALSE(self.zombie);
  EXPECT_GT(self.start_time, 0u);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT);  // exited, not reaped
  EXPECT_TRUE(process_info(child).zombie);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(process_info(child).exists);
}

TEST(State, ContainerIdsAreCheckedBeforeTheyBecomePaths) {
  for (const std::string& bad :
       std::vector<std::string>{"", ".", "..", "a/b", "../etc", "a b", std::string(1025, 'x')}) {
    EXPECT_THROW(check_container_id(bad), std::invalid_argument) << bad;
  }
  for (const std::string& good :
       std::vector<std::string>{"c1", "web-1.2_3+x", std::string(64, 'f')}) {
    EXPECT_NO_THROW(check_container_id(good)) << good;
  }
}

TEST(State, CreateLockAndList) {
  TempDir tmp;
  StateStore store(tmp.path());
  {
    UniqueFd lock = store.create_dir("b");
    try {
      store.create_dir("b");
      FAIL() << "created twice";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "container b already exists");
    }
  }
  UniqueFd a = store.create_dir("a");
  EXPECT_EQ(store.list(), (std::vector<std::string>{"a", "b"}));
  try {
    store.lock("nope");
    FAIL() << "locked a container that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "container nope does not exist");
  }
  store.remove("a");
  EXPECT_EQ(store.list(), std::vector<std::string>{"b"});
}

TEST(State, TheStateJsonHasTheSpecsFields) {
  const auto o = boost::json::parse(state_json(sample("c9"), Status::kStopped)).as_object();
  EXPECT_EQ(o.at("ociVersion"), "1.0.2");
  EXPECT_EQ(o.at("id"), "c9");
  EXPECT_EQ(o.at("status"), "stopped");
  EXPECT_EQ(o.at("pid"), 0) << "a stopped container has no process";
  EXPECT_EQ(o.at("bundle"), "/b");
  EXPECT_EQ(o.at("annotations").at("a"), "1");
}

}  // namespace
}  // namespace uh::oci

// ---------------------------------------------------------------- the exec FIFO

namespace uh::oci {
namespace {

TEST(ExecFifo, StartReleasesAWaitingInitAndRemovesTheFifo) {
  TempDir tmp;
  const fs::path fifo = tmp.path() / "exec.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t init = ::fork();
  if (init == 0) {
    // What the container's init does: block in open until start comes, write one byte.
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    const bool wrote = fd >= 0 && ::write(fd, "0", 1) == 1;
    [[maybe_unused]] ssize_t n = ::write(pipe_fds[1], wrote ? "y" : "n", 1);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  release_init(fifo, init);
  char seen = 0;
  EXPECT_EQ(::read(pipe_fds[0], &seen, 1), 1);
  EXPECT_EQ(seen, 'y') << "the init got through its open and write";
  EXPECT_FALSE(fs::exists(fifo)) << "a removed FIFO is what makes the status running";
  ::close(pipe_fds[0]);
  ::waitpid(init, nullptr, 0);
}

TEST(ExecFifo, AnInitThatDiedIsReportedInsteadOfWaitedForForever) {
  TempDir tmp;
  const fs::path fifo = tmp.path() / "exec.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const pid_t init = ::fork();
  if (init == 0) ::_exit(1);  // died during setup: nobody will ever write
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(init), &info, WEXITED | WNOWAIT);
  try {
    release_init(fifo, init);
    FAIL() << "released an init that is dead";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "its init process ended before it could be started");
  }
  ::waitpid(init, nullptr, 0);
}

}  // namespace
}  // namespace uh::oci
