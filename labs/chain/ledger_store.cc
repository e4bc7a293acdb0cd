// Your workspace for chapter 07: write the code where the LAB markers are.
// Made from solutions/chain/ledger_store.cc by ci/labgen.py; `./lab test 07` checks your work,
// `./lab hint 07` helps, `./lab reset 07` brings this skeleton back.
#include "chain/ledger_store.h"

#include <array>
#include "support/todo.h"

namespace uh::chain {

namespace {

std::span<const std::uint8_t> blob(const Hash256& h) { return h.span(); }

// A hash column read back; a wrong length (a damaged file) reads as zero and
// fails the comparisons it is used in.
Hash256 hash_of(const std::vector<std::uint8_t>& bytes) {
  return Hash256::from_bytes(bytes).value_or(Hash256());
}

// Rolls back unless commit() was called: a failed append leaves nothing.
class WriteTransaction {
 public:
  explicit WriteTransaction(SqliteDb& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ~WriteTransaction() {
    if (!done_) {
      try {
        db_.exec("ROLLBACK");
      } catch (const SqliteError&) {
        // The connection is already unusable; the file is still consistent.
      }
    }
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace

LedgerStore::LedgerStore(const std::string& path) : db_(path) {
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=FULL");
  db_.exec("PRAGMA foreign_keys=ON");
  Statement version = db_.prepare("PRAGMA user_version");
  version.step();
  std::int64_t found = version.column_int(0);
  if (found > kSchemaVersion) {
    throw SqliteError(path + ": schema version " + std::to_string(found) +
                      " is newer than this program's " + std::to_string(kSchemaVersion));
  }
  if (found == 0) {
    db_.exec(
        "BEGIN;"
        "CREATE TABLE blocks(height INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE,"
        "  previous BLOB NOT NULL, body BLOB NOT NULL);"
        "CREATE TABLE transactions(id BLOB PRIMARY KEY,"
        "  height INTEGER NOT NULL REFERENCES blocks(height), position INTEGER NOT NULL,"
        "  sender BLOB NOT NULL, recipient BLOB NOT NULL);"
        "CREATE INDEX transactions_by_sender ON transactions(sender);"
        "CREATE INDEX transactions_by_recipient ON transactions(recipient);"
        "CREATE INDEX transactions_by_height ON transactions(height);"
        "PRAGMA user_version=1;"
        "COMMIT;");
  }
}

void LedgerStore::append(const Block& block) {
  // LAB(07.9) In one write transaction: check the block extends the tip (height
  // 0 on an empty store, else tip + 1 linking to the tip's hash), insert the
  // block row and one row per transaction, and commit.
  throw uh::Todo("07.9",
                 "In one write transaction: check the block extends the tip (height 0 on an "
                 "empty store, else tip + 1 linking to the tip's hash), insert the block row and "
                 "one row per transaction, and commit.");
  // END LAB
}

std::optional<std::uint64_t> LedgerStore::tip_height() const {
  Statement s = db_.prepare("SELECT MAX(height) FROM blocks");
  s.step();
  if (s.column_is_null(0)) return std::nullopt;
  return static_cast<std::uint64_t>(s.column_int(0));
}

std::optional<Block> LedgerStore::block_at(std::uint64_t height) const {
  Statement s = db_.prepare("SELECT body FROM blocks WHERE height = ?");
  s.bind(1, static_cast<std::int64_t>(height));
  if (!s.step()) return std::nullopt;
  auto block = Block::decode(s.column_blob(0));
  if (!block) {
    throw SqliteError(db_.path() + ": block " + std::to_string(height) +
                      " does not decode: " + block.error().reason);
  }
  return *block;
}

std::optional<Block> LedgerStore::block_by_hash(const Hash256& hash) const {
  Statement s = db_.prepare("SELECT height FROM blocks WHERE hash = ?");
  s.bind(1, blob(hash));
  if (!s.step()) return std::nullopt;
  return block_at(static_cast<std::uint64_t>(s.column_int(0)));
}

std::vector<std::pair<std::uint64_t, Hash256>> LedgerStore::transactions_of(
    const Address& address) const {
  Statement s = db_.prepare(
      "SELECT height, id FROM transactions WHERE sender = ?1 OR recipient = ?1 "
      "ORDER BY height, position");
  s.bind(1, address.bytes);
  std::vector<std::pair<std::uint64_t, Hash256>> out;
  while (s.step()) {
    out.emplace_back(static_cast<std::uint64_t>(s.column_int(0)), hash_of(s.column_blob(1)));
  }
  return out;
}

std::uint64_t LedgerStore::verify() const {
  Statement s = db_.prepare("SELECT height, hash, body FROM blocks ORDER BY height");
  std::uint64_t expected = 0;
  Hash256 previous;
  while (s.step()) {
    auto height = static_cast<std::uint64_t>(s.column_int(0));
    std::string where = db_.path() + ": block " + std::to_string(height);
    if (height != expected)
      throw SqliteError(where + ": expected height " + std::to_string(expected));
    auto block = Block::decode(s.column_blob(2));
    if (!block) throw SqliteError(where + ": body does not decode: " + block.error().reason);
    if (block->header.hash() != hash_of(s.column_blob(1)))
      throw SqliteError(where + ": wrong hash");
    if (height > 0 && block->header.previous != previous) {
      throw SqliteError(where + ": does not link to block " + std::to_string(height - 1));
    }
    Statement count = db_.prepare("SELECT COUNT(*) FROM transactions WHERE height = ?");
    count.bind(1, static_cast<std::int64_t>(height));
    count.step();
    if (static_cast<std::size_t>(count.column_int(0)) != block->transactions.size()) {
      throw SqliteError(where + ": transaction index does not match the body");
    }
    previous = block->header.hash();
    ++expected;
  }
  return expected;
}

}  // namespace uh::chain
