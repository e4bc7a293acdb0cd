// Fuzz target for KvStore::restore: any bytes a peer sends as a snapshot are
// refused with KvSnapshotError or restored, never a crash; and what restores
// writes back as the same bytes (the encoding has one form per state).
//
// Random bytes almost never carry the right CRC-32, which would keep the
// fuzzer at the first check. So each input is tried twice: as it came, and
// with its checksum appended, which takes it into the parser behind the check.
// Built like the frame target: a seeded replay test on every build, libFuzzer
// in the `fuzz` preset.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "raft/kv_store.h"

namespace {

void restore_or_refuse(const std::string& bytes) {
  uh::raft::KvStore kv;
  try {
    kv.restore(bytes);
  } catch (const uh::raft::KvSnapshotError&) {
    return;
  }
  if (kv.snapshot() != bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  restore_or_refuse(bytes);
  auto crc = static_cast<std::uint32_t>(::crc32_z(0L, data, size));
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(crc >> shift));
  restore_or_refuse(bytes);
  return 0;
}
