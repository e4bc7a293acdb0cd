// Runs the virtqueue fuzz target over seeded random and mutated queues as an
// ordinary test: valid block requests, then bit flips, loops, wild
// addresses and indices. Fixed seed.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main() {
  // A valid seed: one read request (header, 512-byte buffer, status) at head 0.
  std::vector<std::uint8_t> seed(128 + 128 + 64, 0);
  auto put = [&](std::size_t at, const void* p, std::size_t n) { std::memcpy(&seed[at], p, n); };
  struct [[gnu::packed]] D {
    std::uint64_t addr;
    std::uint32_t len;
    std::uint16_t flags, next;
  };
  const D chain[3] = {{0x4000, 16, 1, 1}, {0x5000, 512, 3, 2}, {0x6000, 1, 2, 0}};
  put(0, chain, sizeof chain);
  const std::uint16_t avail[3] = {0, 1, 0};  // flags, idx = 1, ring[0] = 0
  put(128, avail, sizeof avail);
  std::mt19937_64 rng(0x03f1a5);
  std::size_t runs = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> input = seed;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % input.size();
      switch (rng() % 3) {
        case 0:
          input[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          input[at] = static_cast<std::uint8_t>(rng());
          break;
        default:
          input[at] = 0xff;
      }
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
    ++runs;
  }
  std::printf("virtqueue fuzz replay: %zu inputs, no crash\n", runs);
  return 0;
}
