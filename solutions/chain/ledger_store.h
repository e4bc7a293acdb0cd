// chain/ledger_store.h — the chain on disk: an SQLite file that survives a crash.
//
// Owns: one SQLite connection to the ledger file. Each block is written in one
// SQLite transaction (the block row and all its transaction rows, or none), in
// WAL mode with synchronous=FULL: when append() returns the block is on disk,
// and a process killed at any moment leaves the file at the last whole block.
// Not thread-safe.
//
// Schema (version 1, in PRAGMA user_version):
//   blocks(height PRIMARY KEY, hash UNIQUE, previous, body)   -- body: Block::encode()
//   transactions(id PRIMARY KEY, height, position, sender, recipient)
//   indices on transactions(sender), (recipient), (height)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/block.h"
#include "chain/sqlite_db.h"

namespace uh::chain {

class LedgerStore {
 public:
  static constexpr int kSchemaVersion = 1;

  /// Opens or creates the ledger at `path`. Throws SqliteError when the file
  /// is not a database, or its schema is newer than this code.
  explicit LedgerStore(const std::string& path);

  /// Stores `block` as the new tip. It must be at height 0 in an empty store,
  /// else at tip + 1 with `previous` equal to the tip's hash. Throws
  /// SqliteError (and stores nothing) otherwise or when the write fails.
  void append(const Block& block);

  /// The height of the last block, or nothing when the store is empty.
  std::optional<std::uint64_t> tip_height() const;
  std::optional<Block> block_at(std::uint64_t height) const;
  std::optional<Block> block_by_hash(const Hash256& hash) const;
  /// (height, transaction id) of every transaction `address` sent or received.
  std::vector<std::pair<std::uint64_t, Hash256>> transactions_of(const Address& address) const;

  /// Reads the whole chain back and checks it: heights 0..tip without gaps,
  /// each body decodes, its hash and link match, its transactions are indexed.
  /// Returns the number of blocks; throws SqliteError naming the first problem.
  std::uint64_t verify() const;

 private:
  SqliteDb db_;
};

}  // namespace uh::chain
