// Runs the decode fuzz target over a fixed set of inputs as an ordinary test:
// valid transactions and blocks, then thousands of seeded mutations of them
// (bit flips, truncations, insertions, splices). A crash or abort fails the
// test; the seed is fixed, so a failure reproduces.
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "chain/block.h"
#include "chain/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

std::vector<Bytes> seeds() {
  using namespace uh::chain;
  std::array<std::uint8_t, 32> secret{};
  secret[31] = 1;
  PrivateKey key = PrivateKey::from_secret(secret);
  Transaction tx = Transaction::make_signed(key, 1, 0, key.public_key().address(), 5, 1, {1, 2});
  Block block;
  block.header.height = 3;
  block.transactions = {tx, Transaction::make_signed(key, 1, 1, Address{}, 7, 0)};
  return {tx.encode(), block.encode(), Block{}.encode()};
}

Bytes mutate(const Bytes& seed, std::mt19937_64& rng) {
  Bytes out = seed;
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !out.empty(); ++e) {
    std::size_t at = rng() % out.size();
    switch (rng() % 5) {
      case 0:
        out[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        out.resize(at);
        break;
      case 2:
        out.insert(out.begin() + static_cast<long>(at), static_cast<std::uint8_t>(rng()));
        break;
      case 3:
        out[at] = static_cast<std::uint8_t>(rng() % 2 ? 0xff : 0x00);
        break;
      default:
        out.erase(out.begin() + static_cast<long>(at));
    }
  }
  return out;
}

}  // namespace

int main() {
  constexpr std::uint64_t kSeed = 0x07c4a1e;
  constexpr int kMutationsPerSeed = 20000;
  std::mt19937_64 rng(kSeed);
  std::size_t runs = 0;
  for (const Bytes& seed : seeds()) {
    LLVMFuzzerTestOneInput(seed.data(), seed.size());
    ++runs;
    for (int i = 0; i < kMutationsPerSeed; ++i) {
      Bytes input = mutate(seed, rng);
      LLVMFuzzerTestOneInput(input.data(), input.size());
      ++runs;
    }
  }
  std::printf("decode fuzz replay: %zu inputs (seed %#llx), no crash\n", runs,
              static_cast<unsigned long long>(kSeed));
  return 0;
}
