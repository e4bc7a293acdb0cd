// lab bench 07 — how fast the chain's hot paths run on one core.
//
//   1. signature verifications per second: our path (Transaction::signature_valid:
//      parse the key, hash the transaction, verify) against the anchor, a bare
//      OpenSSL EVP_PKEY_verify loop over precomputed DER signatures and digests on
//      secp256k1 — what `openssl speed` measures for a curve, measured here in
//      the same run because `openssl speed` has no secp256k1 test;
//   2. Merkle roots per second for 1,000-transaction blocks;
//   3. blocks validated and stored per second (100 transactions each, SQLite
//      in WAL with synchronous=FULL), and the transactions per second that makes.
// Each figure runs for a fixed time; single-threaded, so the figures are per core.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>

#include "chain/blockchain.h"
#include "chain/merkle.h"
#include "chain/proof_of_work.h"

namespace {

using namespace uh::chain;
using Clock = std::chrono::steady_clock;

constexpr double kSecondsPerFigure = 2.0;

PrivateKey key(std::uint32_t n) {
  std::array<std::uint8_t, 32> secret{};
  secret[0] = 0x42;
  secret[28] = static_cast<std::uint8_t>(n >> 24);
  secret[29] = static_cast<std::uint8_t>(n >> 16);
  secret[30] = static_cast<std::uint8_t>(n >> 8);
  secret[31] = static_cast<std::uint8_t>(n);
  return PrivateKey::from_secret(secret);
}

// Calls `once` until kSecondsPerFigure have passed; returns calls per second.
double rate(const std::function<void()>& once) {
  auto start = Clock::now();
  std::uint64_t n = 0;
  double elapsed = 0;
  do {
    once();
    ++n;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < kSecondsPerFigure);
  return n / elapsed;
}

// The anchor: EVP_PKEY_verify on ready-made inputs, nothing else.
double raw_openssl_verifies(const std::vector<Transaction>& txs) {
  struct Input {
    EVP_PKEY_CTX* ctx;
    std::vector<std::uint8_t> der;
    Hash256 digest;
  };
  std::vector<Input> inputs;
  std::vector<EVP_PKEY*> keys;
  for (const Transaction& tx : txs) {
    EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1");
    EVP_PKEY_CTX* sign = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
    Hash256 digest = tx.signing_hash();
    std::size_t length = 80;
    std::vector<std::uint8_t> der(length);
    EVP_PKEY_sign_init(sign);
    EVP_PKEY_sign(sign, der.data(), &length, digest.bytes().data(), 32);
    der.resize(length);
    EVP_PKEY_CTX_free(sign);
    EVP_PKEY_CTX* verify = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
    EVP_PKEY_verify_init(verify);
    inputs.push_back({verify, der, digest});
    keys.push_back(pkey);
  }
  std::size_t i = 0;
  int ok = 1;
  double r = rate([&] {
    Input& in = inputs[i++ % inputs.size()];
    ok &= EVP_PKEY_verify(in.ctx, in.der.data(), in.der.size(), in.digest.bytes().data(), 32);
  });
  for (Input& in : inputs) EVP_PKEY_CTX_free(in.ctx);
  for (EVP_PKEY* k : keys) EVP_PKEY_free(k);
  if (ok != 1) throw std::runtime_error("the anchor's signatures did not verify");
  return r;
}

}  // namespace

int main() {
  try {
    fmt::print("lab bench 07: each figure runs {:.0f} s on one core\n\n", kSecondsPerFigure);
    std::vector<PrivateKey> senders;
    for (std::uint32_t i = 1; i <= 100; ++i) senders.push_back(key(i));
    Address sink = key(1000).public_key().address();
    std::vector<Transaction> txs;
    for (std::uint32_t i = 0; i < 100; ++i) {
      txs.push_back(Transaction::make_signed(senders[i], 1, 0, sink, 1, 1));
    }

    fmt::print("signature verification (secp256k1)...\n");
    double anchor = raw_openssl_verifies(txs);
    std::size_t i = 0;
    bool all_valid = true;
    double ours = rate([&] { all_valid &= txs[i++ % txs.size()].signature_valid(); });
    if (!all_valid) throw std::runtime_error("a valid signature failed to verify");

    fmt::print("Merkle roots of 1,000-transaction blocks...\n");
    std::vector<Hash256> ids;
    for (std::uint32_t n = 0; n < 1000; ++n) ids.push_back(sha256(txs[n % 100].encode()));
    ids.back() = sha256(ids.front().span());  // no accidental duplicates
    double roots = rate([&] { (void)merkle_root(ids); });

    fmt::print("blocks validated and stored (100 transactions each)...\n");
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / fmt::format("uh-bench-07-{}", ::getpid());
    std::filesystem::create_directories(dir);
    std::vector<std::pair<Address, std::uint64_t>> allocations;
    for (const PrivateKey& k : senders)
      allocations.emplace_back(k.public_key().address(), 1'000'000);
    ProofOfWork pow(0);
    std::uint64_t t0 = 1'700'000'000;
    Blockchain chain(pow, ChainParams{}, allocations, t0,
                     std::make_unique<LedgerStore>((dir / "bench.db").string()));
    // Make the blocks first (signing is not what we measure), on a scratch chain.
    Blockchain scratch(pow, ChainParams{}, allocations, t0);
    std::vector<Block> blocks;
    constexpr int kBlocks = 40;
    for (int height = 1; height <= kBlocks; ++height) {
      std::vector<Transaction> batch;
      for (std::uint32_t s = 0; s < 100; ++s) {
        batch.push_back(Transaction::make_signed(senders[s], 1, height - 1, sink, 1, 1));
      }
      blocks.push_back(scratch.make_block(std::move(batch), sink, t0 + height));
      if (scratch.append(blocks.back(), t0 + height)) throw std::runtime_error("bad bench block");
    }
    auto start = Clock::now();
    for (const Block& block : blocks) {
      if (auto error = chain.append(block, t0 + kBlocks)) {
        throw std::runtime_error("block rejected: " + to_string(error->code));
      }
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::filesystem::remove_all(dir);

    fmt::print("\n{:<44} {:>14}\n", "", "per second");
    fmt::print("{:<44} {:>14.0f}\n", "signatures verified, bare OpenSSL (anchor)", anchor);
    fmt::print("{:<44} {:>14.0f}\n", "signatures verified, Transaction path", ours);
    fmt::print("{:<44} {:>14.0f}\n", "Merkle roots, 1,000 leaves", roots);
    fmt::print("{:<44} {:>14.1f}\n", "blocks validated + stored (100 tx, fsync)",
               kBlocks / seconds);
    fmt::print("{:<44} {:>14.0f}\n", "  = transactions per second", kBlocks * 100 / seconds);
    fmt::print("\nratio to anchor (verification): {:.2f}x\n", ours / anchor);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "uh-bench-07: {}\n", e.what());
    return 1;
  }
}
