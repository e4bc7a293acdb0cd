#include "chain/transaction.h"

#include <algorithm>

namespace uh::chain {

Transaction Transaction::make_signed(const PrivateKey& key, std::uint32_t chain_id,
                                     std::uint64_t nonce, const Address& to, std::uint64_t amount,
                                     std::uint64_t fee, std::vector<std::uint8_t> memo) {
  Transaction tx;
  tx.chain_id = chain_id;
  tx.nonce = nonce;
  tx.sender = key.public_key().compressed();
  tx.to = to;
  tx.amount = amount;
  tx.fee = fee;
  tx.memo = std::move(memo);
  tx.signature = key.sign(tx.signing_hash());
  return tx;
}

Address Transaction::from() const {
  // The sender's key was checked when the transaction was decoded or made; the
  // address is a hash of its bytes either way.
  return Address::of_key(sender);
}

std::vector<std::uint8_t> Transaction::signing_bytes() const {
  Writer out;
  out.u8(kVersion);
  out.u32(chain_id);
  out.u64(nonce);
  out.bytes(sender);
  out.bytes(to.bytes);
  out.u64(amount);
  out.u64(fee);
  out.u16(static_cast<std::uint16_t>(memo.size()));
  out.bytes(memo);
  return out.take();
}

Hash256 Transaction::signing_hash() const { return double_sha256(signing_bytes()); }

void Transaction::encode_to(Writer& out) const {
  out.bytes(signing_bytes());
  out.bytes(signature.compact());
}

std::vector<std::uint8_t> Transaction::encode() const {
  Writer out;
  encode_to(out);
  return out.take();
}

Hash256 Transaction::id() const { return double_sha256(encode()); }

bool Transaction::signature_valid() const {
  auto key = PublicKey::from_compressed(sender);
  return key && key->verify(signing_hash(), signature);
}

Decoded<Transaction> Transaction::decode(std::span<const std::uint8_t> bytes) {
  Reader in(bytes);
  Decoded<Transaction> tx = read(in);
  if (!tx) return tx;
  if (auto end = in.expect_end(); !end) return unexpected(end.error());
  return tx;
}

Decoded<Transaction> Transaction::read(Reader& in) {
  // LAB(07.5) Read each field in order, rejecting an unknown version, a memo
  // longer than kMaxMemo, a sender that is not a point on the curve and a
  // signature that is not canonical; every error says where it stopped.
  Transaction tx;
  auto version = in.u8();
  if (!version) return unexpected(version.error());
  if (*version != kVersion) {
    return unexpected(
        DecodeError{"unknown transaction version " + std::to_string(*version), in.offset() - 1});
  }
  auto chain_id = in.u32();
  if (!chain_id) return unexpected(chain_id.error());
  tx.chain_id = *chain_id;
  auto nonce = in.u64();
  if (!nonce) return unexpected(nonce.error());
  tx.nonce = *nonce;
  auto sender = in.bytes(PublicKey::kSize);
  if (!sender) return unexpected(sender.error());
  if (auto key = PublicKey::from_compressed(*sender); !key) {
    return unexpected(DecodeError{"sender: " + key.error().reason, in.offset() - PublicKey::kSize});
  }
  std::copy(sender->begin(), sender->end(), tx.sender.begin());
  auto to = in.bytes(Address::kSize);
  if (!to) return unexpected(to.error());
  std::copy(to->begin(), to->end(), tx.to.bytes.begin());
  auto amount = in.u64();
  if (!amount) return unexpected(amount.error());
  tx.amount = *amount;
  auto fee = in.u64();
  if (!fee) return unexpected(fee.error());
  tx.fee = *fee;
  auto memo_length = in.u16();
  if (!memo_length) return unexpected(memo_length.error());
  if (*memo_length > kMaxMemo) {
    return unexpected(
        DecodeError{"memo of " + std::to_string(*memo_length) + " bytes is over the limit of 128",
                    in.offset() - 2});
  }
  auto memo = in.bytes(*memo_length);
  if (!memo) return unexpected(memo.error());
  tx.memo.assign(memo->begin(), memo->end());
  auto signature_bytes = in.bytes(Signature::kSize);
  if (!signature_bytes) return unexpected(signature_bytes.error());
  auto signature = Signature::from_compact(*signature_bytes);
  if (!signature) {
    return unexpected(DecodeError{signature.error().reason, in.offset() - Signature::kSize});
  }
  tx.signature = *signature;
  return tx;
  // END LAB
}

}  // namespace uh::chain
