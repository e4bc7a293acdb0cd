#include "raft/disk_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "support/sys_error.h"

namespace uh::raft {

namespace fs = std::filesystem;

namespace {

// ---- little-endian fixed-width fields, for the record format

void put64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint64_t get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
std::uint32_t get32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

std::uint32_t crc(const std::uint8_t* data, std::size_t size) {
  return static_cast<std::uint32_t>(::crc32(0L, data, static_cast<uInt>(size)));
}

// A payload followed by its CRC-32.
std::vector<std::uint8_t> sealed(std::vector<std::uint8_t> payload) {
  std::uint32_t c = crc(payload.data(), payload.size());
  put32(payload, c);
  return payload;
}

// The payload of a sealed file, or nothing if it is short or its CRC is wrong.
std::optional<std::vector<std::uint8_t>> unsealed(const std::vector<std::uint8_t>& bytes) {
  if (bytes.size() < 4) return std::nullopt;
  std::size_t n = bytes.size() - 4;
  if (crc(bytes.data(), n) != get32(bytes.data() + n)) return std::nullopt;
  return std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(n));
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", path.string(), errno);
  std::vector<std::uint8_t> out;
  std::uint8_t buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read", path.string(), errno);
    if (n == 0) return out;
    out.insert(out.end(), buffer, buffer + n);
  }
}

void write_all(int fd, const std::uint8_t* data, std::size_t size, const fs::path& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("write", what.string(), errno);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void fsync_path(const fs::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd) throw SysError("open", path.string(), errno);
  if (::fsync(fd.get()) != 0) throw SysError("fsync", path.string(), errno);
}

std::vector<std::uint8_t> encode_entry(const Entry& e) {
  std::vector<std::uint8_t> payload;
  put64(payload, e.term.value());
  put64(payload, e.index.value());
  payload.push_back(e.type == EntryType::kConfChange ? 1 : 0);
  payload.insert(payload.end(), e.data.begin(), e.data.end());
  std::vector<std::uint8_t> record;
  put32(record, static_cast<std::uint32_t>(payload.size()));
  put32(record, crc(payload.data(), payload.size()));
  record.insert(record.end(), payload.begin(), payload.end());
  return record;
}

fs::path segment_name(const fs::path& dir, LogIndex first) {
  char name[40];
  std::snprintf(name, sizeof name, "log-%020llu.seg",
                static_cast<unsigned long long>(first.value()));
  return dir / name;
}

constexpr std::size_t kRecordHeader = 8;
constexpr std::size_t kMinPayload = 17;
constexpr std::uint32_t kMaxPayload = 64u << 20;

}  // namespace

DiskStorage::DiskStorage(fs::path dir, std::size_t segment_bytes)
    : dir_(std::move(dir)), segment_bytes_(segment_bytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw SysError("mkdir", dir_.string(), ec.value());
  recover();
}

void DiskStorage::recover() {
  if (fs::exists(dir_ / "hardstate")) {
    auto payload = unsealed(read_file(dir_ / "hardstate"));
    if (!payload || payload->size() != 24) {
      throw std::runtime_error((dir_ / "hardstate").string() + ": corrupt (bad size or checksum)");
    }
    hard_state_ = {Term(get64(payload->data())), get64(payload->data() + 8),
                   LogIndex(get64(payload->data() + 16))};
  }
  if (fs::exists(dir_ / "snapshot")) {
    auto p = unsealed(read_file(dir_ / "snapshot"));
    auto bad = [&] { return std::runtime_error((dir_ / "snapshot").string() + ": corrupt"); };
    if (!p || p->size() < 28) throw bad();
    Snapshot s{LogIndex(get64(p->data())), Term(get64(p->data() + 8)), {}, {}};
    std::uint32_t voters = get32(p->data() + 16);
    if (p->size() < 28 + 8ull * voters) throw bad();
    for (std::uint32_t i = 0; i < voters; ++i) s.voters.push_back(get64(p->data() + 20 + 8 * i));
    std::size_t at = 20 + 8ull * voters;
    std::uint64_t length = get64(p->data() + at);
    if (length != p->size() - at - 8) throw bad();
    s.data.assign(p->begin() + static_cast<long>(at + 8), p->end());
    snapshot_ = s;
  }
  std::vector<fs::path> names;
  for (const auto& item : fs::directory_iterator(dir_)) {
    std::string name = item.path().filename().string();
    if (name.rfind("log-", 0) == 0 && name.size() == 28 && name.ends_with(".seg")) {
      names.push_back(item.path());
    } else if (name.ends_with(".tmp")) {
      fs::remove(item.path());  // an atomic replace the crash interrupted
    }
  }
  std::sort(names.begin(), names.end());
  std::optional<Term> term_at_snapshot;  // of the record at the snapshot's index, if any
  LogIndex last_record;
  for (std::size_t i = 0; i < names.size(); ++i) {
    Segment segment{
        LogIndex(std::stoull(names[i].filename().string().substr(4, 20))), names[i], {}};
    recover_segment(segment, i + 1 == names.size(), term_at_snapshot);
    if (!segment.offsets.empty()) last_record = segment.first + (segment.offsets.size() - 1);
    segments_.push_back(std::move(segment));
  }
  // A crash between writing a leader's snapshot and removing the log it
  // replaced (persist()) leaves both. Such a log ends before the snapshot or
  // holds another term at its index: it belongs to a history the snapshot
  // replaced, and nothing in it may be kept.
  if (snapshot_ && !segments_.empty() &&
      (last_record < snapshot_->index ||
       (term_at_snapshot && *term_at_snapshot != snapshot_->term))) {
    entries_.clear();
    remove_all_segments();
  }
  // The commit index may have reached disk ahead of entries a crash lost; it
  // is relearned from the leader, so clamp it.
  LogIndex last =
      entries_.empty() ? (snapshot_ ? snapshot_->index : LogIndex()) : entries_.back().index;
  hard_state_.commit = std::min(hard_state_.commit, last);
  if (!segments_.empty()) {
    const fs::path& path = segments_.back().path;
    tail_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!tail_) throw SysError("open", path.string(), errno);
    tail_size_ = fs::file_size(path);
  }
}

void DiskStorage::recover_segment(Segment& segment, bool last,
                                  std::optional<Term>& term_at_snapshot) {
  std::vector<std::uint8_t> bytes = read_file(segment.path);
  std::size_t at = 0;
  LogIndex expected = segment.first;
  while (at < bytes.size()) {
    bool whole = bytes.size() - at >= kRecordHeader;
    std::uint32_t length = whole ? get32(&bytes[at]) : 0;
    whole = whole && length >= kMinPayload && length <= kMaxPayload &&
            bytes.size() - at - kRecordHeader >= length &&
            crc(&bytes[at + kRecordHeader], length) == get32(&bytes[at + 4]);
    const std::uint8_t* p = &bytes[at + kRecordHeader];
    if (whole && LogIndex(get64(p + 8)) != expected) whole = false;
    if (!whole) {
      if (!last) {
        throw std::runtime_error(segment.path.string() + ": corrupt record at offset " +
                                 std::to_string(at) + " (not at the end of the log)");
      }
      // A torn tail: the write a crash interrupted. Cut it off.
      torn_bytes_ = bytes.size() - at;
      if (::truncate(segment.path.c_str(), static_cast<off_t>(at)) != 0) {
        throw SysError("truncate", segment.path.string(), errno);
      }
      break;
    }
    Entry e{Term(get64(p)), LogIndex(get64(p + 8)),
            p[16] == 1 ? EntryType::kConfChange : EntryType::kNormal,
            std::string(p + 17, p + length)};
    segment.offsets.push_back(at);
    if (snapshot_ && e.index == snapshot_->index) term_at_snapshot = e.term;
    if (!snapshot_ || e.index > snapshot_->index) {
      LogIndex want = entries_.empty() ? (snapshot_ ? snapshot_->index.next() : LogIndex(1))
                                       : entries_.back().index.next();
      if (e.index != want) {
        throw std::runtime_error(segment.path.string() + ": log is not contiguous at index " +
                                 std::to_string(e.index.value()));
      }
      entries_.push_back(std::move(e));
    }
    expected = expected.next();
    at += kRecordHeader + length;
  }
}

void DiskStorage::start_segment(LogIndex first) {
  fs::path path = segment_name(dir_, first);
  about_to("create " + path.filename().string());
  tail_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!tail_) throw SysError("open", path.string(), errno);
  tail_size_ = 0;
  segments_.push_back({first, path, {}});
  fsync_path(dir_, O_RDONLY | O_DIRECTORY);  // the new name must survive a crash too
}

void DiskStorage::truncate_from(LogIndex index) {
  // Drop whole segments that start at or after `index`...
  while (!segments_.empty() && segments_.back().first >= index) {
    about_to("remove " + segments_.back().path.filename().string());
    fs::remove(segments_.back().path);
    segments_.pop_back();
    tail_.reset();
  }
  // ...and cut the one that holds it.
  if (!segments_.empty()) {
    Segment& s = segments_.back();
    std::size_t keep = index - s.first;
    if (keep < s.offsets.size()) {
      std::uint64_t offset = s.offsets[keep];
      about_to("truncate " + s.path.filename().string());
      if (::truncate(s.path.c_str(), static_cast<off_t>(offset)) != 0) {
        throw SysError("truncate", s.path.string(), errno);
      }
      s.offsets.resize(keep);
    }
    tail_.reset(::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!tail_) throw SysError("open", s.path.string(), errno);
    tail_size_ = fs::file_size(s.path);
  }
  fsync_path(dir_, O_RDONLY | O_DIRECTORY);
  while (!entries_.empty() && entries_.back().index >= index) entries_.pop_back();
}

void DiskStorage::flush(std::vector<std::uint8_t>& batch) {
  const fs::path& path = segments_.back().path;
  about_to("append to " + path.filename().string());
  write_all(tail_.get(), batch.data(), batch.size(), path);
  // The entries must be on disk before anyone is told about them.
  if (::fdatasync(tail_.get()) != 0) throw SysError("fdatasync", path.string(), errno);
  tail_size_ += batch.size();
  batch.clear();
}

void DiskStorage::append(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  LogIndex first = entries.front().index;
  LogIndex last_stored =
      entries_.empty() ? (snapshot_ ? snapshot_->index : LogIndex()) : entries_.back().index;
  if (first <= last_stored) truncate_from(first);
  std::vector<std::uint8_t> batch;
  for (const Entry& e : entries) {
    if (!tail_ || tail_size_ + batch.size() >= segment_bytes_) {
      if (!batch.empty()) flush(batch);
      start_segment(e.index);
    }
    std::vector<std::uint8_t> record = encode_entry(e);
    segments_.back().offsets.push_back(tail_size_ + batch.size());
    batch.insert(batch.end(), record.begin(), record.end());
    entries_.push_back(e);
  }
  flush(batch);
}

void DiskStorage::write_atomically(const fs::path& name, const std::vector<std::uint8_t>& bytes) {
  fs::path tmp = dir_ / (name.string() + ".tmp");
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw SysError("open", tmp.string(), errno);
    write_all(fd.get(), bytes.data(), bytes.size(), tmp);
    if (::fsync(fd.get()) != 0) throw SysError("fsync", tmp.string(), errno);
  }
  about_to("rename " + tmp.filename().string() + " to " + name.string());
  if (::rename(tmp.c_str(), (dir_ / name).c_str()) != 0) {
    throw SysError("rename", tmp.string(), errno);
  }
  fsync_path(dir_, O_RDONLY | O_DIRECTORY);
}

void DiskStorage::about_to(const std::string& step) const {
  if (crash_point_) crash_point_(step);
}

void DiskStorage::write_snapshot(const Snapshot& snapshot) {
  std::vector<std::uint8_t> payload;
  put64(payload, snapshot.index.value());
  put64(payload, snapshot.term.value());
  put32(payload, static_cast<std::uint32_t>(snapshot.voters.size()));
  for (NodeId v : snapshot.voters) put64(payload, v);
  put64(payload, snapshot.data.size());
  payload.insert(payload.end(), snapshot.data.begin(), snapshot.data.end());
  write_atomically("snapshot", sealed(std::move(payload)));
  snapshot_ = snapshot;
}

void DiskStorage::remove_all_segments() {
  // Newest first: a crash part way leaves the oldest segments, a log that
  // ends before the snapshot, which recover() knows to drop. Removing the
  // oldest first could leave a log that starts after a gap.
  while (!segments_.empty()) {
    about_to("remove " + segments_.back().path.filename().string());
    fs::remove(segments_.back().path);
    segments_.pop_back();
  }
  tail_.reset();
  tail_size_ = 0;
  fsync_path(dir_, O_RDONLY | O_DIRECTORY);
}

void DiskStorage::save_snapshot(const Snapshot& snapshot) {
  if (snapshot_ && snapshot_->index >= snapshot.index) return;
  write_snapshot(snapshot);
  std::erase_if(entries_, [&](const Entry& e) { return e.index <= snapshot.index; });
  // Whole segments below the snapshot are no longer needed. The last one
  // stays: it is where appends go.
  while (segments_.size() > 1 && segments_[1].first <= snapshot.index.next()) {
    about_to("remove " + segments_.front().path.filename().string());
    fs::remove(segments_.front().path);
    segments_.erase(segments_.begin());
  }
}

void DiskStorage::persist(const Ready& ready) {
  if (ready.snapshot) {
    // The leader's snapshot replaces the whole log. It is made durable first
    // (written, fsynced, renamed into place), and only then is the old log
    // removed: a crash in between leaves both, and recover() drops the log.
    // In the other order a crash could leave neither the old entries nor the
    // snapshot, and the node would come back without entries it had
    // acknowledged.
    write_snapshot(*ready.snapshot);
    entries_.clear();
    remove_all_segments();
    hard_state_.commit = std::max(hard_state_.commit, ready.snapshot->index);
  }
  if (ready.hard_state) {
    // Term and vote must be on disk before any message goes out: a node that
    // forgot its vote could vote twice in one term. The commit index need not
    // be: Figure 2 of the paper lists it as volatile, and a restarted node
    // learns it again from the leader. So a change of commit alone costs no
    // write and no fsync; it is saved with the next change of term or vote.
    bool must_write =
        ready.hard_state->term != hard_state_.term || ready.hard_state->vote != hard_state_.vote;
    hard_state_ = *ready.hard_state;
    if (must_write) {
      std::vector<std::uint8_t> payload;
      put64(payload, hard_state_.term.value());
      put64(payload, hard_state_.vote);
      put64(payload, hard_state_.commit.value());
      write_atomically("hardstate", sealed(std::move(payload)));
    }
  }
  append(ready.entries);
}

}  // namespace uh::raft
