// chain/sqlite_db.h — a thin RAII layer over the SQLite C API.
//
// Owns: SqliteDb owns one sqlite3 connection; Statement owns one prepared
// statement and must not outlive its SqliteDb. Both move-only. Not
// thread-safe: one connection per thread.
// Every failure throws SqliteError naming the file, what was being done and
// SQLite's own message.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace uh::chain {

class SqliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SqliteDb;

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::span<const std::uint8_t> blob);

  /// Steps once: true while a row is available, false when done.
  bool step();
  /// Steps to completion, for statements without results.
  void run();
  /// Makes the statement ready to run again with new bindings.
  void reset();

  std::int64_t column_int(int index) const;
  std::vector<std::uint8_t> column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class SqliteDb;
  Statement(const SqliteDb& db, sqlite3_stmt* statement, std::string sql)
      : db_(&db), statement_(statement), sql_(std::move(sql)) {}

  const SqliteDb* db_;
  sqlite3_stmt* statement_;
  std::string sql_;
};

class SqliteDb {
 public:
  /// Opens (creating if needed) the database file at `path`.
  explicit SqliteDb(const std::string& path);
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&&) = delete;
  SqliteDb(const SqliteDb&) = delete;
  ~SqliteDb();

  /// Runs one or more statements without results.
  void exec(const std::string& sql);
  Statement prepare(const std::string& sql) const;

  const std::string& path() const { return path_; }
  /// "<path>: <what>: <SQLite's message>".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace uh::chain
