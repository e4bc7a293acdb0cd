#include "raft/codec.h"

namespace uh::raft {

namespace {

class Out {
 public:
  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u32(std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) bytes_.push_back(static_cast<std::uint8_t>(v >> s));
  }
  void u64(std::uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) bytes_.push_back(static_cast<std::uint8_t>(v >> s));
  }
  void str(const std::string& s) {
    u32(static_cast<std::uint32_t>(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Reads fields; the first failure sticks, so callers check once at the end.
class In {
 public:
  explicit In(std::span<const std::uint8_t> b) : b_(b) {}
  std::uint64_t fixed(int width) {
    if (!ok() || b_.size() - at_ < static_cast<std::size_t>(width)) return fail("truncated"), 0;
    std::uint64_t v = 0;
    for (int i = 0; i < width; ++i) v = v << 8 | b_[at_++];
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(fixed(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(fixed(4)); }
  std::uint64_t u64() { return fixed(8); }
  std::string str() {
    std::uint32_t n = u32();
    if (!ok()) return {};
    if (n > b_.size() - at_) return fail("string longer than the frame"), std::string();
    std::string s(b_.begin() + static_cast<long>(at_), b_.begin() + static_cast<long>(at_ + n));
    at_ += n;
    return s;
  }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why) + " at byte " + std::to_string(at_);
  }
  bool ok() const { return error_.empty(); }
  bool at_end() const { return at_ == b_.size(); }
  const std::string& error() const { return error_; }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t at_ = 0;
  std::string error_;
};

constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kLastType = static_cast<std::uint8_t>(MessageType::kReadIndexResponse);

void put_entry(Out& out, const Entry& e) {
  out.u64(e.term.value());
  out.u64(e.index.value());
  out.u8(e.type == EntryType::kConfChange ? 1 : 0);
  out.str(e.data);
}

}  // namespace

std::vector<std::uint8_t> encode_message(const Message& m) {
  Out out;
  out.u8(kVersion);
  out.u8(static_cast<std::uint8_t>(m.type));
  out.u64(m.from);
  out.u64(m.to);
  out.u64(m.term.value());
  out.u64(m.log_term.value());
  out.u64(m.index.value());
  out.u64(m.commit.value());
  out.u8(m.reject ? 1 : 0);
  out.u64(m.reject_hint.value());
  out.str(m.context);
  out.u32(static_cast<std::uint32_t>(m.entries.size()));
  for (const Entry& e : m.entries) put_entry(out, e);
  out.u8(m.snapshot ? 1 : 0);
  if (m.snapshot) {
    out.u64(m.snapshot->index.value());
    out.u64(m.snapshot->term.value());
    out.u32(static_cast<std::uint32_t>(m.snapshot->voters.size()));
    for (NodeId v : m.snapshot->voters) out.u64(v);
    out.str(m.snapshot->data);
  }
  return out.take();
}

Expected<Message, std::string> decode_message(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxFrameBytes) return unexpected(std::string("frame over the size limit"));
  In in(bytes);
  Message m;
  if (in.u8() != kVersion && in.ok()) return unexpected(std::string("unknown codec version"));
  std::uint8_t type = in.u8();
  if (in.ok() && type > kLastType)
    return unexpected("unknown message type " + std::to_string(type));
  m.type = static_cast<MessageType>(type);
  m.from = in.u64();
  m.to = in.u64();
  m.term = Term(in.u64());
  m.log_term = Term(in.u64());
  m.index = LogIndex(in.u64());
  m.commit = LogIndex(in.u64());
  std::uint8_t reject = in.u8();
  if (in.ok() && reject > 1) in.fail("reject flag not 0 or 1");
  m.reject = reject == 1;
  m.reject_hint = LogIndex(in.u64());
  m.context = in.str();
  std::uint32_t count = in.u32();
  if (in.ok() && count > kMaxEntriesPerMessage) in.fail("too many entries");
  for (std::uint32_t i = 0; in.ok() && i < count; ++i) {
    Entry e;
    e.term = Term(in.u64());
    e.index = LogIndex(in.u64());
    std::uint8_t kind = in.u8();
    if (in.ok() && kind > 1) in.fail("unknown entry type");
    e.type = kind == 1 ? EntryType::kConfChange : EntryType::kNormal;
    e.data = in.str();
    m.entries.push_back(std::move(e));
  }
  std::uint8_t has_snapshot = in.u8();
  if (in.ok() && has_snapshot > 1) in.fail("snapshot flag not 0 or 1");
  if (in.ok() && has_snapshot == 1) {
    Snapshot s;
    s.index = LogIndex(in.u64());
    s.term = Term(in.u64());
    std::uint32_t voters = in.u32();
    if (in.ok() && voters > kMaxVoters) in.fail("too many voters");
    for (std::uint32_t i = 0; in.ok() && i < voters; ++i) s.voters.push_back(in.u64());
    s.data = in.str();
    m.snapshot = std::move(s);
  }
  if (in.ok() && (m.from == kNoNode || m.to == kNoNode)) in.fail("node id 0");
  if (in.ok() && !in.at_end()) in.fail("trailing bytes");
  if (!in.ok()) return unexpected(in.error());
  return m;
}

}  // namespace uh::raft
