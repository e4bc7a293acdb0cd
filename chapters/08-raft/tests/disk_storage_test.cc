// Chapter 08 — the durable log: fsync'ed segments, checksums, torn tails, crashes.
#include "raft/disk_storage.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace uh::raft {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "uh-raftlog-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<Entry> run(int from, int to, int term) {
  std::vector<Entry> out;
  for (int i = from; i <= to; ++i) {
    out.push_back({Term(term), LogIndex(i), EntryType::kNormal, "entry " + std::to_string(i)});
  }
  return out;
}

Ready ready_with(std::vector<Entry> entries, std::optional<HardState> hs = std::nullopt) {
  Ready rd;
  rd.entries = std::move(entries);
  rd.hard_state = hs;
  return rd;
}

std::vector<fs::path> segments(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() == ".seg") out.push_back(f.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DiskStorage, WhatIsPersistedIsWhatReopens) {
  TempDir dir;
  HardState hs{Term(3), 2, LogIndex(4)};
  {
    DiskStorage disk(dir.path());
    disk.persist(ready_with(run(1, 5, 3), hs));
  }
  DiskStorage again(dir.path());
  PersistedState state = again.state();
  EXPECT_EQ(state.hard_state, hs);
  EXPECT_EQ(state.entries, run(1, 5, 3));
  EXPECT_EQ(again.recovered_torn_bytes(), 0u);
}

TEST(DiskStorage, AConflictingSuffixIsReplaced) {
  TempDir dir;
  {
    DiskStorage disk(dir.path());
    disk.persist(ready_with(run(1, 5, 1)));
    disk.persist(ready_with(run(3, 4, 2)));
  }
  std::vector<Entry> expected = run(1, 2, 1);
  for (const Entry& e : run(3, 4, 2)) expected.push_back(e);
  EXPECT_EQ(DiskStorage(dir.path()).state().entries, expected);
}

TEST(DiskStorage, RollsOverToNewSegments) {
  TempDir dir;
  {
    DiskStorage disk(dir.path(), 256);
    for (int i = 1; i <= 40; ++i) disk.persist(ready_with(run(i, i, 1)));
    EXPECT_GT(segments(dir.path()).size(), 3u);
    disk.persist(ready_with(run(10, 12, 2)));  // truncates across segments
  }
  std::vector<Entry> expected = run(1, 9, 1);
  for (const Entry& e : run(10, 12, 2)) expected.push_back(e);
  EXPECT_EQ(DiskStorage(dir.path(), 256).state().entries, expected);
}

TEST(DiskStorage, ATornTailIsCutOff) {
  TempDir dir;
  {
    DiskStorage disk(dir.path());
    disk.persist(ready_with(run(1, 3, 1)));
  }
  // Half a record, as a crash in the middle of write() would leave.
  std::ofstream(segments(dir.path()).back(), std::ios::app | std::ios::binary)
      << std::string("\x30\x00\x00\x00\x12\x34", 6);
  DiskStorage again(dir.path());
  EXPECT_EQ(again.recovered_torn_bytes(), 6u);
  EXPECT_EQ(again.state().entries, run(1, 3, 1));
  again.persist(ready_with(run(4, 4, 1)));
  EXPECT_EQ(DiskStorage(dir.path()).state().entries, run(1, 4, 1));
}

TEST(DiskStorage, CorruptionBeforeTheEndIsAnErrorNotSilence) {
  TempDir dir;
  {
    DiskStorage disk(dir.path(), 128);
    for (int i = 1; i <= 10; ++i) disk.persist(ready_with(run(i, i, 1)));
  }
  fs::path first = segments(dir.path()).front();
  {
    std::fstream f(first, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('X');  // inside the first record's payload
  }
  try {
    DiskStorage broken(dir.path(), 128);
    FAIL() << "opened a log with a corrupt record in the middle";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(first.filename().string()), std::string::npos) << e.what();
  }
}

TEST(DiskStorage, ACorruptHardStateIsAnError) {
  TempDir dir;
  {
    DiskStorage disk(dir.path());
    disk.persist(ready_with({}, HardState{Term(2), 1, LogIndex()}));
  }
  std::ofstream(dir.path() / "hardstate", std::ios::binary) << "garbage";
  EXPECT_THROW(DiskStorage(dir.path()), std::runtime_error);
}

TEST(DiskStorage, SnapshotsDropTheSegmentsTheyCover) {
  TempDir dir;
  {
    DiskStorage disk(dir.path(), 128);
    for (int i = 1; i <= 20; ++i) disk.persist(ready_with(run(i, i, 1)));
    std::size_t before = segments(dir.path()).size();
    disk.save_snapshot(Snapshot{LogIndex(15), Term(1), {1, 2, 3}, "state at 15"});
    EXPECT_LT(segments(dir.path()).size(), before);
  }
  PersistedState state = DiskStorage(dir.path(), 128).state();
  ASSERT_TRUE(state.snapshot);
  EXPECT_EQ(state.snapshot->index, LogIndex(15));
  EXPECT_EQ(state.snapshot->data, "state at 15");
  EXPECT_EQ(state.entries, run(16, 20, 1));
}

// What a crash point throws: the process "dies" there.
struct Crash {};

// Opens the storage in `dir`, makes `change`, and crashes just before its
// step number `step` (counting from 0), naming that step in `crashed_at`.
// Returns false if the change finished in fewer steps.
bool crash_before_step(const fs::path& dir, std::size_t step, std::string& crashed_at,
                       const std::function<void(DiskStorage&)>& change) {
  DiskStorage disk(dir, 128);
  std::size_t count = 0;
  disk.set_crash_point([&](const std::string& what) {
    if (count++ == step) {
      crashed_at = what;
      throw Crash{};
    }
  });
  try {
    change(disk);
  } catch (const Crash&) {
    return true;
  }
  return false;
}

TEST(DiskStorage, ACrashWhileInstallingASnapshotLeavesTheOldStateOrTheNew) {
  // A leader's snapshot of index 20 reaches a follower whose log, spread over
  // several segments, ends before it (10) or holds another term at 20 (30).
  // Whatever step a crash interrupts, the directory must reopen either as
  // before or as after: never without both the old entries and the snapshot.
  const Snapshot snapshot{LogIndex(20), Term(2), {1, 2, 3}, "state at 20"};
  for (int last : {10, 30}) {
    std::size_t steps = 0;
    for (bool crashed = true; crashed; ++steps) {
      TempDir dir;
      {
        DiskStorage disk(dir.path(), 128);
        disk.persist(ready_with(run(1, last, 1), HardState{Term(1), 2, LogIndex(5)}));
        ASSERT_GT(segments(dir.path()).size(), 1u);
      }
      Ready install;
      install.snapshot = snapshot;
      std::string step = "no step: the install finished";
      crashed = crash_before_step(dir.path(), steps, step,
                                  [&](DiskStorage& disk) { disk.persist(install); });
      PersistedState state;
      try {
        state = DiskStorage(dir.path(), 128).state();
      } catch (const std::exception& e) {
        FAIL() << "log of " << last << " entries, crash before: " << step << ": " << e.what();
      }
      bool before = !state.snapshot && state.entries == run(1, last, 1);
      bool after = state.snapshot == snapshot && state.entries.empty();
      ASSERT_TRUE(before || after) << "log of " << last << " entries, crash before: " << step;
      EXPECT_TRUE(crashed || after) << "the install finished but did not stick";
      if (after) {
        // The log goes on from the snapshot, in segments of its own.
        DiskStorage disk(dir.path(), 128);
        disk.persist(ready_with(run(21, 23, 2)));
        EXPECT_EQ(DiskStorage(dir.path(), 128).state().entries, run(21, 23, 2)) << step;
      }
    }
    // Writing the snapshot and removing each old segment: several places to crash.
    EXPECT_GT(steps, 3u);
  }
}

TEST(DiskStorage, ACrashWhileCompactingLeavesTheOldStateOrTheNew) {
  const Snapshot snapshot{LogIndex(15), Term(1), {1, 2, 3}, "state at 15"};
  std::size_t steps = 0;
  for (bool crashed = true; crashed; ++steps) {
    TempDir dir;
    {
      DiskStorage disk(dir.path(), 128);
      for (int i = 1; i <= 20; ++i) disk.persist(ready_with(run(i, i, 1)));
    }
    std::string step = "no step: the compaction finished";
    crashed = crash_before_step(dir.path(), steps, step,
                                [&](DiskStorage& disk) { disk.save_snapshot(snapshot); });
    PersistedState state;
    try {
      state = DiskStorage(dir.path(), 128).state();
    } catch (const std::exception& e) {
      FAIL() << "crash before: " << step << ": " << e.what();
    }
    bool before = !state.snapshot && state.entries == run(1, 20, 1);
    bool after = state.snapshot == snapshot && state.entries == run(16, 20, 1);
    ASSERT_TRUE(before || after) << "crash before: " << step;
    EXPECT_TRUE(crashed || after) << "the compaction finished but did not stick";
  }
  EXPECT_GT(steps, 2u);
}

TEST(DiskStorage, ANodeRestartsFromDisk) {
  TempDir dir;
  Config config;
  config.id = 1;
  config.voters = {1};
  LogIndex committed;
  {
    DiskStorage disk(dir.path());
    RawNode node(config, disk.state());
    Message campaign;
    campaign.type = MessageType::kTimeoutNow;
    campaign.from = 1;
    campaign.to = 1;
    node.step(campaign);
    auto drain = [&] {
      while (node.has_ready()) {
        Ready rd = node.ready();
        disk.persist(rd);
        node.advance(rd);
      }
    };
    drain();  // term 1, a vote for itself, leadership
    for (int i = 0; i < 10; ++i) {
      node.propose("cmd " + std::to_string(i));
      drain();  // one command at a time: only the commit index moves
    }
    committed = node.raft().log().committed();
  }
  DiskStorage disk(dir.path());
  RawNode again(config, disk.state());
  EXPECT_EQ(again.raft().log().last_index(), LogIndex(11));  // no-op + 10
  EXPECT_EQ(again.raft().term(), Term(1));
  EXPECT_EQ(again.raft().vote(), 1u) << "the vote must survive, or the node could vote twice";
  // The commit index is volatile (saved only with a new term or vote), so the
  // restarted node knows less than it had committed. Leading again, it
  // commits every entry it kept.
  EXPECT_LT(again.raft().log().committed(), committed);
  Message campaign;
  campaign.type = MessageType::kTimeoutNow;
  campaign.from = 1;
  campaign.to = 1;
  campaign.term = again.raft().term();
  again.step(campaign);
  while (again.has_ready()) {
    Ready rd = again.ready();
    disk.persist(rd);
    again.advance(rd);
  }
  EXPECT_EQ(again.raft().log().committed(), LogIndex(12));  // and its own new no-op
}

TEST(DiskStorage, KilledMidAppendReopensWithAWholePrefix) {
  TempDir dir;
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      try {
        DiskStorage disk(dir.path(), 4096);
        PersistedState state = disk.state();
        int next =
            state.entries.empty() ? 1 : static_cast<int>(state.entries.back().index.value()) + 1;
        for (bool told = false;; ++next, told = true) {
          disk.persist(ready_with(run(next, next + 4, 1)));
          next += 4;
          if (!told) [[maybe_unused]]
            auto n = ::write(fds[1], "x", 1);
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer child: %s\n", e.what());
        _exit(3);
      }
    }
    ::close(fds[1]);
    char byte;
    ASSERT_EQ(::read(fds[0], &byte, 1), 1) << "the writer died before writing";
    std::this_thread::sleep_for(std::chrono::milliseconds(3 + 7 * round));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(fds[0]);
    PersistedState state = DiskStorage(dir.path(), 4096).state();
    ASSERT_FALSE(state.entries.empty());
    for (std::size_t i = 0; i < state.entries.size(); ++i) {
      ASSERT_EQ(state.entries[i].index, LogIndex(i + 1)) << "round " << round;
      ASSERT_EQ(state.entries[i].data, "entry " + std::to_string(i + 1));
    }
  }
}

}  // namespace
}  // namespace uh::raft
