#include "chain/block.h"

#include <algorithm>

namespace uh::chain {

namespace {

Decoded<Hash256> read_hash(Reader& in) {
  auto bytes = in.bytes(Hash256::kSize);
  if (!bytes) return unexpected(bytes.error());
  return *Hash256::from_bytes(*bytes);  // exactly kSize bytes: always a hash
}

}  // namespace

void BlockHeader::encode_to(Writer& out) const {
  out.u32(version);
  out.u64(height);
  out.bytes(previous.span());
  out.bytes(merkle_root.span());
  out.bytes(state_root.span());
  out.u64(timestamp);
  out.bytes(proposer.bytes);
  out.u32(difficulty);
  out.u64(nonce);
}

std::vector<std::uint8_t> BlockHeader::encode() const {
  Writer out;
  encode_to(out);
  return out.take();
}

Hash256 BlockHeader::hash() const { return double_sha256(encode()); }

Decoded<BlockHeader> BlockHeader::read(Reader& in) {
  BlockHeader h;
  auto version = in.u32();
  if (!version) return unexpected(version.error());
  if (*version != kVersion) {
    return unexpected(DecodeError{"unknown block version " + std::to_string(*version), 0});
  }
  h.version = *version;
  auto height = in.u64();
  if (!height) return unexpected(height.error());
  h.height = *height;
  for (Hash256* field : {&h.previous, &h.merkle_root, &h.state_root}) {
    auto hash = read_hash(in);
    if (!hash) return unexpected(hash.error());
    *field = *hash;
  }
  auto timestamp = in.u64();
  if (!timestamp) return unexpected(timestamp.error());
  h.timestamp = *timestamp;
  auto proposer = in.bytes(Address::kSize);
  if (!proposer) return unexpected(proposer.error());
  std::copy(proposer->begin(), proposer->end(), h.proposer.bytes.begin());
  auto difficulty = in.u32();
  if (!difficulty) return unexpected(difficulty.error());
  h.difficulty = *difficulty;
  auto nonce = in.u64();
  if (!nonce) return unexpected(nonce.error());
  h.nonce = *nonce;
  return h;
}

std::vector<std::uint8_t> Block::encode() const {
  Writer out;
  header.encode_to(out);
  out.varint(transactions.size());
  for (const Transaction& tx : transactions) tx.encode_to(out);
  return out.take();
}

Decoded<Block> Block::decode(std::span<const std::uint8_t> bytes) {
  Reader in(bytes);
  Block block;
  auto header = BlockHeader::read(in);
  if (!header) return unexpected(header.error());
  block.header = *header;
  std::size_t count_at = in.offset();
  auto count = in.varint();
  if (!count) return unexpected(count.error());
  // Bound the count before reserving: a hostile length must not allocate.
  if (*count > kMaxTransactions) {
    return unexpected(DecodeError{
        "block claims " + std::to_string(*count) + " transactions, over the limit of 10000",
        count_at});
  }
  // A count the remaining input cannot hold is a lie: reject it before reserving.
  if (*count > in.remaining() / Transaction::kMinEncodedSize) {
    return unexpected(DecodeError{"block claims " + std::to_string(*count) +
                                      " transactions but has only " +
                                      std::to_string(in.remaining()) + " bytes left",
                                  count_at});
  }
  block.transactions.reserve(*count);
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto tx = Transaction::read(in);
    if (!tx) return unexpected(tx.error());
    block.transactions.push_back(std::move(*tx));
  }
  if (auto end = in.expect_end(); !end) return unexpected(end.error());
  return block;
}

std::vector<Hash256> Block::transaction_ids() const {
  std::vector<Hash256> ids;
  ids.reserve(transactions.size());
  for (const Transaction& tx : transactions) ids.push_back(tx.id());
  return ids;
}

}  // namespace uh::chain
