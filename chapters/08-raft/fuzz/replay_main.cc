// Runs the frame fuzz target over seeded mutations of valid messages as an
// ordinary test: bit flips, truncations, insertions, deletions. Fixed seed.
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "raft/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main() {
  using namespace uh::raft;
  Message append;
  append.type = MessageType::kAppend;
  append.from = 1;
  append.to = 2;
  append.term = Term(3);
  append.entries = {{Term(3), LogIndex(5), EntryType::kNormal, "data"}};
  Message snap = append;
  snap.type = MessageType::kSnapshot;
  snap.entries.clear();
  snap.snapshot = Snapshot{LogIndex(4), Term(2), {1, 2, 3}, "snapshot"};
  std::vector<std::vector<std::uint8_t>> seeds = {encode_message(append), encode_message(snap)};
  std::mt19937_64 rng(0x08f4a3e);
  std::size_t runs = 0;
  for (const auto& seed : seeds) {
    LLVMFuzzerTestOneInput(seed.data(), seed.size());
    for (int i = 0; i < 30000; ++i) {
      std::vector<std::uint8_t> input = seed;
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
  }
  std::printf("frame fuzz replay: %zu inputs, no crash\n", runs);
  return 0;
}
