// Fuzz target for the chain's decoders: Transaction::decode and Block::decode.
//
// Whatever the bytes, decoding must return a value or an error: no crash, no
// hang, no undefined behaviour. And the encoding is canonical, so whatever
// decodes must encode back to exactly the same bytes.
//
// Built two ways: with clang's libFuzzer (the `fuzz` preset, which the full
// `./lab test` runs for a bounded time), and with replay_main.cc as an ordinary
// test that runs a fixed, seeded set of mutated inputs on every build.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "chain/block.h"
#include "chain/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  std::vector<std::uint8_t> bytes(input.begin(), input.end());
  if (auto tx = uh::chain::Transaction::decode(input)) {
    if (tx->encode() != bytes) std::abort();  // two encodings of one transaction
  }
  if (auto block = uh::chain::Block::decode(input)) {
    if (block->encode() != bytes) std::abort();
  }
  uh::chain::Reader reader(input);
  while (reader.varint()) {
  }
  return 0;
}
