// Fuzz target for raft/codec: any bytes a peer sends decode to a message or an
// error, never a crash; and what decodes encodes back to the same bytes.
// Built like chapter 07's: a seeded replay test on every build, libFuzzer in
// the `fuzz` preset (run by the full `./lab test`).
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "raft/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  if (auto m = uh::raft::decode_message(input)) {
    if (uh::raft::encode_message(*m) != std::vector<std::uint8_t>(input.begin(), input.end())) {
      std::abort();
    }
  }
  return 0;
}
