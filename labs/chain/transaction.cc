// Your workspace for chapter 07: write the code where the LAB markers are.
// Made from solutions/chain/transaction.cc by ci/labgen.py; `./lab test 07` checks your work,
// `./lab hint 07` helps, `./lab reset 07` brings this skeleton back.
#include "chain/transaction.h"

#include <algorithm>
#include "support/todo.h"

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
  throw uh::Todo("07.5",
                 "Read each field in order, rejecting an unknown version, a memo longer than "
                 "kMaxMemo, a sender that is not a point on the curve and a signature that is "
                 "not canonical; every error says where it stopped.");
  // END LAB
}

}  // namespace uh::chain
