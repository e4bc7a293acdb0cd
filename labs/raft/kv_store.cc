// Your workspace for chapter 08: write the code where the LAB markers are.
// Made from solutions/raft/kv_store.cc by ci/labgen.py; `./lab test 08` checks your work,
// `./lab hint 08` helps, `./lab reset 08` brings this skeleton back.
#include "raft/kv_store.h"

#include <charconv>
#include "support/todo.h"

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
  throw uh::Todo("08.8",
                 "Answer a command the client's session has already seen from the session; "
                 "otherwise apply it to the map and remember its sequence and result.");
  // END LAB
}

std::optional<std::string> KvStore::result_of(std::uint64_t client, std::uint64_t sequence) const {
  auto it = sessions_.find(client);
  if (it == sessions_.end() || it->second.sequence != sequence) return std::nullopt;
  return it->second.result;
}

}  // namespace uh::raft
