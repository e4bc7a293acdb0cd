// Chapter 07 tests — small helpers shared by the test files.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/consensus.h"
#include "chain/hash.h"
#include "chain/keys.h"

namespace uh::chain::testing {

inline Hash256 hash_from_display(const std::string& hex) {
  return Hash256::from_display_hex(hex).value();
}

inline std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

/// The deterministic key with secret `n` (1, 2, 3, ...).
inline PrivateKey key(std::uint8_t n) {
  std::array<std::uint8_t, 32> secret{};
  secret[31] = n;
  return PrivateKey::from_secret(secret);
}

/// A well-formed signature (r = s = 1) that signs nothing: for tests of the
/// encoding and the store, where no one checks it.
inline Signature placeholder_signature() {
  std::array<std::uint8_t, 64> rs{};
  rs[31] = 1;
  rs[63] = 1;
  return Signature::from_compact(rs).value();
}

/// A consensus that accepts every header: for tests about other rules.
class AcceptAll : public Consensus {
 public:
  std::string name() const override { return "accept-all"; }
  void seal(BlockHeader&) const override {}
  std::optional<std::string> check_seal(const BlockHeader&) const override { return std::nullopt; }
};

}  // namespace uh::chain::testing
