// Runs the snapshot fuzz target over seeded mutations of valid snapshots as an
// ordinary test: bit flips, truncations, insertions, overwrites. The target
// appends a fresh checksum to each input, so the mutations reach the parser
// behind it. Fixed seed.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "raft/kv_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main() {
  using uh::raft::encode_command;
  using uh::raft::KvCommand;
  uh::raft::KvStore store;
  store.apply(encode_command({KvCommand::Op::kPut, 1, 1, "alpha", "1"}));
  store.apply(encode_command({KvCommand::Op::kAppend, 1, 2, "alpha", "2"}));
  store.apply(encode_command({KvCommand::Op::kPut, 2, 1, "beta", std::string(40, 'b')}));
  store.apply(encode_command({KvCommand::Op::kGet, 3, 7, "gamma", ""}));
  std::vector<std::string> seeds = {uh::raft::KvStore().snapshot(), store.snapshot()};
  std::mt19937_64 rng(0x08c0ffee);
  std::size_t runs = 0;
  for (std::string seed : seeds) {
    seed.resize(seed.size() - 4);  // the target seals each input with its own checksum
    for (int i = 0; i < 30000; ++i) {
      std::vector<std::uint8_t> input(seed.begin(), seed.end());
      for (int e = 0; e < 1 + static_cast<int>(rng() % 4) && !input.empty(); ++e) {
        std::size_t at = rng() % input.size();
        switch (rng() % 4) {
          case 0:
            input[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
            break;
          case 1:
            input.resize(at);
            break;
          case 2:
            input.insert(input.begin() + static_cast<long>(at), static_cast<std::uint8_t>(rng()));
            break;
          default:
            input[at] = 0xff;
        }
      }
      LLVMFuzzerTestOneInput(input.data(), input.size());
      ++runs;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
  }
  std::printf("snapshot fuzz replay: %zu inputs, no crash\n", runs);
  return 0;
}
