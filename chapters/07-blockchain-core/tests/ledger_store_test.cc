// Chapter 07 — the SQLite ledger: one transaction per block, crash-safe.
#include "chain/ledger_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "chain/blockchain.h"
#include "chain/merkle.h"
#include "test_support.h"

namespace uh::chain {
namespace {

namespace fs = std::filesystem;
using testing::key;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "uh-ledger-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

// Blocks linked by hand, each with `txs` unsigned transactions: the store
// checks links and heights, not signatures (validation does that).
Block block_on(const BlockHeader* parent, int txs = 2) {
  Block b;
  b.header.height = parent ? parent->height + 1 : 0;
  b.header.previous = parent ? parent->hash() : Hash256();
  b.header.timestamp = 1'700'000'000 + b.header.height;
  for (int i = 0; i < txs; ++i) {
    Transaction tx;
    tx.sender = key(1).public_key().compressed();
    tx.to = key(static_cast<std::uint8_t>(2 + i)).public_key().address();
    tx.nonce = b.header.height * 100 + i;
    tx.amount = 1;
    tx.signature = testing::placeholder_signature();
    b.transactions.push_back(tx);
  }
  return b;
}

TEST(LedgerStore, AppendThenReadBack) {
  TempDir dir;
  LedgerStore store(dir.file("ledger.db"));
  EXPECT_EQ(store.tip_height(), std::nullopt);
  Block genesis = block_on(nullptr, 0);
  Block first = block_on(&genesis.header);
  store.append(genesis);
  store.append(first);
  EXPECT_EQ(store.tip_height(), 1u);
  EXPECT_EQ(store.block_at(1), first);
  EXPECT_EQ(store.block_by_hash(first.header.hash()), first);
  EXPECT_EQ(store.block_at(2), std::nullopt);
  auto of_recipient = store.transactions_of(key(3).public_key().address());
  ASSERT_EQ(of_recipient.size(), 1u);
  EXPECT_EQ(of_recipient[0], std::make_pair(std::uint64_t{1}, first.transactions[1].id()));
  EXPECT_EQ(store.transactions_of(key(1).public_key().address()).size(), 2u);
}

TEST(LedgerStore, BlocksThatDoNotExtendTheTipAreRefusedWhole) {
  TempDir dir;
  LedgerStore store(dir.file("ledger.db"));
  Block genesis = block_on(nullptr, 0);
  EXPECT_THROW(store.append(block_on(&genesis.header)), SqliteError);  // height 1 first
  store.append(genesis);
  Block first = block_on(&genesis.header);
  Block fork = first;
  fork.header.previous = sha256(std::vector<std::uint8_t>{7});
  EXPECT_THROW(store.append(fork), SqliteError);
  EXPECT_THROW(store.append(genesis), SqliteError);
  EXPECT_EQ(store.tip_height(), 0u);
  EXPECT_TRUE(store.transactions_of(key(2).public_key().address()).empty());
  EXPECT_EQ(store.verify(), 1u);
}

TEST(LedgerStore, SurvivesReopening) {
  TempDir dir;
  Block genesis = block_on(nullptr, 0);
  Block first = block_on(&genesis.header);
  {
    LedgerStore store(dir.file("ledger.db"));
    store.append(genesis);
    store.append(first);
  }
  LedgerStore again(dir.file("ledger.db"));
  EXPECT_EQ(again.verify(), 2u);
  EXPECT_EQ(again.block_at(1), first);
}

TEST(LedgerStore, ACorruptFileIsAClearError) {
  TempDir dir;
  std::ofstream(dir.file("garbage.db")) << std::string(4096, 'x');
  try {
    LedgerStore store(dir.file("garbage.db"));
    FAIL() << "opened a file that is not a database";
  } catch (const SqliteError& e) {
    EXPECT_NE(std::string(e.what()).find("garbage.db"), std::string::npos) << e.what();
  }
}

TEST(LedgerStore, ANewerSchemaIsRefused) {
  TempDir dir;
  {
    SqliteDb db(dir.file("future.db"));
    db.exec("PRAGMA user_version=99");
  }
  EXPECT_THROW(LedgerStore store(dir.file("future.db")), SqliteError);
}

// Writes blocks until killed, writing a byte to `progress` after each one
// (without ever blocking on it). Runs in a child process.
[[noreturn]] void write_forever(const std::string& path, int progress) {
  ::fcntl(progress, F_SETFL, O_NONBLOCK);
  auto tell = [&] {
    char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(progress, &byte, 1);  // a full pipe is fine
  };
  try {
    LedgerStore store(path);
    std::optional<Block> last = store.block_at(store.tip_height().value_or(0));
    if (!store.tip_height()) {
      Block genesis = block_on(nullptr, 0);
      store.append(genesis);
      last = genesis;
    }
    for (;;) {
      Block next = block_on(&last->header, 50);
      store.append(next);
      last = next;
      tell();
    }
  } catch (const std::exception& e) {
    // The parent's assertion fails; this line says why.
    std::fprintf(stderr, "writer child: %s\n", e.what());
    _exit(3);
  }
}

TEST(LedgerStore, KilledMidWriteReopensAtTheLastWholeBlock) {
  // A child appends 50-transaction blocks as fast as it can; we SIGKILL it at
  // different moments, reopen, and check the chain is whole every time.
  TempDir dir;
  std::string path = dir.file("ledger.db");
  std::uint64_t previous_tip = 0;
  for (int round = 0; round < 6; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      write_forever(path, pipe_fds[1]);
    }
    ::close(pipe_fds[1]);
    // Wait for the writer's first block of this round (however slow its start
    // is, e.g. under a sanitizer), then let it run a while before the kill.
    char byte = 0;
    ASSERT_EQ(::read(pipe_fds[0], &byte, 1), 1) << "the writer died before writing a block";
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 13 * round));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(pipe_fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself, status " << status;

    LedgerStore store(path);
    std::uint64_t blocks = 0;
    ASSERT_NO_THROW(blocks = store.verify());
    ASSERT_GT(blocks, 0u);
    std::uint64_t tip = *store.tip_height();
    EXPECT_EQ(blocks, tip + 1);
    EXPECT_GE(tip, previous_tip) << "a committed block was lost";
    EXPECT_EQ(store.block_at(tip)->transactions.size(), tip == 0 ? 0u : 50u);
    previous_tip = tip;
  }
  EXPECT_GT(previous_tip, 0u);
}

}  // namespace
}  // namespace uh::chain
