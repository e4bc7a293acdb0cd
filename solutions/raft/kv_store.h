// raft/kv_store.h — a key-value store as Raft's replicated state machine.
//
// Owns: the keys and values, and for every client the sequence number and
// result of its latest command. Commands reach it only through the log, in
// log order, so every replica that applies the same log holds the same map.
//
// Exactly-once: a client numbers its commands 1, 2, 3...; when a retry of a
// command already applied arrives again (it was committed twice because the
// first answer was lost), the store answers it from the table instead of
// applying it a second time.
//
// Snapshots: snapshot() writes the map and the sessions as bytes, restore()
// replaces both from such bytes. The sessions must travel with the map: a
// replica restored without them would apply a late retry a second time. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace uh::raft {

struct KvCommand {
  enum class Op { kGet, kPut, kAppend };
  Op op = Op::kGet;
  std::uint64_t client = 0;
  std::uint64_t sequence = 0;  ///< per client, from 1, increasing by one per new command
  std::string key;
  std::string value;  ///< for kPut and kAppend
  bool operator==(const KvCommand&) const = default;
};

/// "get", "put" or "append"; nothing for any other name.
std::optional<KvCommand::Op> parse_op(std::string_view name);

/// Length-prefixed fields; decode rejects anything else.
std::string encode_command(const KvCommand& command);
std::optional<KvCommand> decode_command(const std::string& data);

/// A snapshot that restore() refused.
class KvSnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KvStore {
 public:
  /// Applies one committed log entry's data. Returns the command's result (the
  /// value for a get, the new value for put and append), or nothing when the
  /// data is not a command (a leader's empty no-op, a membership change).
  std::optional<std::string> apply(const std::string& data);

  /// The result of `client`'s command `sequence` if it was applied.
  std::optional<std::string> result_of(std::uint64_t client, std::uint64_t sequence) const;

  const std::map<std::string, std::string>& data() const { return data_; }

  /// The whole state, keys and sessions, as bytes: what a Raft snapshot of
  /// this store holds. The same state always gives the same bytes. Layout,
  /// integers big-endian:
  ///   "uhkv", u8 version (1)
  ///   u64 key count,     then per key, ascending:     u32 length, key, u32 length, value
  ///   u64 session count, then per client, ascending:  u64 client, u64 sequence,
  ///                                                   u32 length, result
  ///   u32 CRC-32 of every byte before it
  std::string snapshot() const;

  /// Replaces the whole state with one that snapshot() wrote. The bytes come
  /// from a peer or a file, so all of it is checked: magic and version, the
  /// checksum, every count and length against the bytes left, keys and
  /// clients strictly ascending, and no stray bytes before the checksum.
  /// Throws KvSnapshotError saying what is wrong, and then leaves the store
  /// as it was.
  void restore(std::string_view bytes);

 private:
  struct Session {
    std::uint64_t sequence = 0;
    std::string result;
  };
  std::map<std::string, std::string> data_;
  std::map<std::uint64_t, Session> sessions_;
};

}  // namespace uh::raft
