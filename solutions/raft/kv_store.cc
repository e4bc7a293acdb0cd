#include "raft/kv_store.h"

#include <zlib.h>

#include <charconv>
#include <limits>
#include <utility>

namespace uh::raft {

namespace {

void put_field(std::string& out, const std::string& field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

// Reads "<decimal length>:<bytes>" at `pos`; nothing on any malformation.
std::optional<std::string> take_field(const std::string& in, std::size_t& pos) {
  std::size_t colon = in.find(':', pos);
  if (colon == std::string::npos || colon == pos || colon - pos > 9) return std::nullopt;
  std::size_t length = 0;
  auto [end, error] = std::from_chars(in.data() + pos, in.data() + colon, length);
  if (error != std::errc() || end != in.data() + colon) return std::nullopt;
  if (length > in.size() - colon - 1) return std::nullopt;
  std::string field = in.substr(colon + 1, length);
  pos = colon + 1 + length;
  return field;
}

std::optional<std::uint64_t> number(const std::optional<std::string>& field) {
  if (!field || field->empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, error] = std::from_chars(field->data(), field->data() + field->size(), v);
  if (error != std::errc() || end != field->data() + field->size()) return std::nullopt;
  return v;
}

// ---- snapshots

constexpr std::string_view kSnapshotMagic = "uhkv";
constexpr std::uint8_t kSnapshotVersion = 1;
// The smallest snapshot, an empty store: magic, version, two zero counts, CRC.
constexpr std::size_t kMinSnapshotBytes = 4 + 1 + 8 + 8 + 4;
// The fewest bytes one key or one session can take: its fixed-width fields.
constexpr std::size_t kMinKeyBytes = 4 + 4;
constexpr std::size_t kMinSessionBytes = 8 + 8 + 4;

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void put_bytes(std::string& out, std::string_view bytes) {
  if (bytes.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("kv snapshot: a key, value or result over 4 GiB");
  }
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out += bytes;
}

std::uint32_t crc32_of(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      ::crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// Reads a snapshot's fields front to back. Every read is checked against the
// bytes left, so no length or count from the input is trusted before it is
// known to fit.
class SnapshotReader {
 public:
  explicit SnapshotReader(std::string_view bytes) : bytes_(bytes) {}

  std::size_t left() const { return bytes_.size() - at_; }

  std::uint64_t number(std::size_t width, const char* what) {
    if (left() < width) fail(std::string("cut short in ") + what);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      v = v << 8 | static_cast<std::uint8_t>(bytes_[at_ + i]);
    }
    at_ += width;
    return v;
  }

  std::string field(const char* what) {
    std::uint64_t length = number(4, what);
    if (length > left()) {
      fail(std::string(what) + " of " + std::to_string(length) + " bytes runs past the end");
    }
    std::string out(bytes_.substr(at_, length));
    at_ += length;
    return out;
  }

  // A count of records that each take at least `min_bytes`: one that cannot
  // fit in what is left is refused before anything is allocated for it.
  std::uint64_t count(std::size_t min_bytes, const char* what) {
    std::uint64_t n = number(8, what);
    if (n > left() / min_bytes) {
      fail(std::to_string(n) + " " + what + " cannot fit in the " + std::to_string(left()) +
           " bytes left");
    }
    return n;
  }

  [[noreturn]] static void fail(const std::string& why) {
    throw KvSnapshotError("kv snapshot: " + why);
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<KvCommand::Op> parse_op(std::string_view name) {
  if (name == "get") return KvCommand::Op::kGet;
  if (name == "put") return KvCommand::Op::kPut;
  if (name == "append") return KvCommand::Op::kAppend;
  return std::nullopt;
}

std::string encode_command(const KvCommand& c) {
  std::string out = "kv1";
  const char* op = c.op == KvCommand::Op::kGet   ? "get"
                   : c.op == KvCommand::Op::kPut ? "put"
                                                 : "append";
  put_field(out, op);
  put_field(out, std::to_string(c.client));
  put_field(out, std::to_string(c.sequence));
  put_field(out, c.key);
  put_field(out, c.value);
  return out;
}

std::optional<KvCommand> decode_command(const std::string& data) {
  if (data.rfind("kv1", 0) != 0) return std::nullopt;
  std::size_t pos = 3;
  auto op = take_field(data, pos);
  auto client = number(take_field(data, pos));
  auto sequence = number(take_field(data, pos));
  auto key = take_field(data, pos);
  auto value = take_field(data, pos);
  if (!op || !client || !sequence || !key || !value || pos != data.size()) return std::nullopt;
  std::optional<KvCommand::Op> kind = parse_op(*op);
  if (!kind) return std::nullopt;
  return KvCommand{*kind, *client, *sequence, *key, *value};
}

std::optional<std::string> KvStore::apply(const std::string& data) {
  std::optional<KvCommand> c = decode_command(data);
  if (!c) return std::nullopt;
  // LAB(08.8) Answer a command the client's session has already seen from the
  // session; otherwise apply it to the map and remember its sequence and result.
  Session& session = sessions_[c->client];
  if (c->sequence <= session.sequence) {
    // A duplicate of a command already applied: same answer, no effect. (A
    // client has one command outstanding at a time, so only the latest can
    // come back.)
    return session.result;
  }
  std::string& slot = data_[c->key];
  switch (c->op) {
    case KvCommand::Op::kGet:
      break;
    case KvCommand::Op::kPut:
      slot = c->value;
      break;
    case KvCommand::Op::kAppend:
      slot += c->value;
      break;
  }
  session = {c->sequence, slot};
  return slot;
  // END LAB
}

std::optional<std::string> KvStore::result_of(std::uint64_t client, std::uint64_t sequence) const {
  auto it = sessions_.find(client);
  if (it == sessions_.end() || it->second.sequence != sequence) return std::nullopt;
  return it->second.result;
}

std::string KvStore::snapshot() const {
  std::string out(kSnapshotMagic);
  out.push_back(static_cast<char>(kSnapshotVersion));
  put_u64(out, data_.size());
  for (const auto& [key, value] : data_) {  // std::map: ascending, so the bytes are canonical
    put_bytes(out, key);
    put_bytes(out, value);
  }
  put_u64(out, sessions_.size());
  for (const auto& [client, session] : sessions_) {
    put_u64(out, client);
    put_u64(out, session.sequence);
    put_bytes(out, session.result);
  }
  put_u32(out, crc32_of(out));
  return out;
}

void KvStore::restore(std::string_view bytes) {
  if (bytes.size() < kMinSnapshotBytes) {
    SnapshotReader::fail(std::to_string(bytes.size()) + " bytes is too short to be one");
  }
  if (bytes.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    SnapshotReader::fail("does not start with \"uhkv\": not a key-value snapshot");
  }
  auto version = static_cast<std::uint8_t>(bytes[kSnapshotMagic.size()]);
  if (version != kSnapshotVersion) {
    SnapshotReader::fail("version " + std::to_string(version) + ", but this build reads only " +
                         std::to_string(kSnapshotVersion));
  }
  std::string_view body = bytes.substr(0, bytes.size() - 4);
  SnapshotReader trailer(bytes.substr(body.size()));
  if (trailer.number(4, "the checksum") != crc32_of(body)) {
    SnapshotReader::fail("checksum mismatch: damaged on disk or on the way");
  }

  // Build the new state aside and swap it in only once all of it is read, so
  // a bad snapshot leaves the store as it was.
  SnapshotReader in(body.substr(kSnapshotMagic.size() + 1));
  std::map<std::string, std::string> data;
  std::uint64_t keys = in.count(kMinKeyBytes, "keys");
  for (std::uint64_t i = 0; i < keys; ++i) {
    std::string key = in.field("a key");
    std::string value = in.field("a value");
    if (!data.empty() && key <= data.rbegin()->first) {
      SnapshotReader::fail("key " + std::to_string(i) + " is not above the one before it");
    }
    data.emplace_hint(data.end(), std::move(key), std::move(value));
  }
  std::map<std::uint64_t, Session> sessions;
  std::uint64_t clients = in.count(kMinSessionBytes, "sessions");
  for (std::uint64_t i = 0; i < clients; ++i) {
    std::uint64_t client = in.number(8, "a session's client");
    std::uint64_t sequence = in.number(8, "a session's sequence");
    std::string result = in.field("a session's result");
    if (!sessions.empty() && client <= sessions.rbegin()->first) {
      SnapshotReader::fail("session " + std::to_string(i) + " (client " + std::to_string(client) +
                           ") is not above the one before it");
    }
    sessions.emplace_hint(sessions.end(), client, Session{sequence, std::move(result)});
  }
  if (in.left() != 0) {
    SnapshotReader::fail(std::to_string(in.left()) + " stray bytes before the checksum");
  }
  data_ = std::move(data);
  sessions_ = std::move(sessions);
}

}  // namespace uh::raft
