// raft/disk_storage.h — a node's persistent state in files: the durable twin of MemoryStorage.
//
// Owns: a directory holding
//   hardstate          term, vote, commit + CRC, replaced atomically (write, fsync, rename)
//                      when term or vote change (commit is saved only alongside them)
//   snapshot           the latest snapshot + CRC, replaced atomically
//   log-<first>.seg    segments of log records, each [length u32][crc32 u32][payload]
// and the open descriptor of the last segment. persist() returns only after
// fsync: a node may send the messages of a Ready only then.
//
// Recovery on open: segments are read in order; a record cut short or with a
// wrong checksum at the end of the last segment is a write the crash
// interrupted, and the segment is truncated there (a "torn tail"). The same
// damage anywhere else is corruption and opening fails, naming the file and
// offset: silently dropping acknowledged entries could break Raft's safety.
//
// A crash between any two steps of a change leaves a directory that opens to
// a state Raft can live with: an append or a truncation cut short leaves a
// prefix of the log, and a snapshot leaves the state before it or the state
// after it, because it is durable before the segments it replaces are
// removed. Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "raft/raft.h"
#include "raft/raw_node.h"
#include "support/unique_fd.h"

namespace uh::raft {

class DiskStorage {
 public:
  /// Opens (creating if needed) the storage in `dir` and recovers its state.
  /// A segment is closed and a new one started past `segment_bytes`.
  /// Throws SysError on I/O errors and std::runtime_error on corruption.
  explicit DiskStorage(std::filesystem::path dir, std::size_t segment_bytes = 1 << 20);

  /// Persists what `ready` asks (snapshot, entries, hard state) and fsyncs.
  void persist(const Ready& ready);
  /// This node's own compaction: keeps `snapshot`, deletes whole segments it covers.
  void save_snapshot(const Snapshot& snapshot);

  /// What was recovered and written since, to start a node from.
  PersistedState state() const { return {hard_state_, snapshot_, entries_}; }
  /// The hard state last persisted (its commit index may be newer than the file's).
  const HardState& hard_state() const { return hard_state_; }

  /// Bytes of torn tail dropped when opening (0 after a clean shutdown).
  std::uint64_t recovered_torn_bytes() const { return torn_bytes_; }

  /// For crash tests: `point` is called with a short description of each
  /// change to the directory ("rename snapshot.tmp to snapshot", "remove
  /// log-….seg", ...) just before it is made. If it throws, the storage stops
  /// there, its files as a process killed at that moment would leave them;
  /// open the directory again to see what survives. Empty: no calls.
  void set_crash_point(std::function<void(const std::string&)> point) {
    crash_point_ = std::move(point);
  }

 private:
  struct Segment {
    LogIndex first;  // index of its first record
    std::filesystem::path path;
    std::vector<std::uint64_t> offsets;  // file offset of each record
  };

  void recover();
  void recover_segment(Segment& segment, bool last, std::optional<Term>& term_at_snapshot);
  void remove_all_segments();
  void append(const std::vector<Entry>& entries);
  void flush(std::vector<std::uint8_t>& batch);
  void truncate_from(LogIndex index);
  void start_segment(LogIndex first);
  void write_snapshot(const Snapshot& snapshot);
  void write_atomically(const std::filesystem::path& name, const std::vector<std::uint8_t>& bytes);
  void about_to(const std::string& step) const;

  std::filesystem::path dir_;
  std::size_t segment_bytes_;
  HardState hard_state_;
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  std::vector<Segment> segments_;
  UniqueFd tail_;  // the last segment, open for appending
  std::uint64_t tail_size_ = 0;
  std::uint64_t torn_bytes_ = 0;
  std::function<void(const std::string&)> crash_point_;
};

}  // namespace uh::raft
