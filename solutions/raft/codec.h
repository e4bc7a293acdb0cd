// raft/codec.h — Raft messages as bytes, for a real network.
//
// Owns: nothing; pure functions. A frame on the wire is a 4-byte big-endian
// length and then the encoded message. Everything in a frame comes from a
// peer and is checked before use: type, counts and lengths have limits, and
// decode rejects truncation, trailing bytes and out-of-range values with an
// error rather than a crash (a fuzz target holds it to that).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "raft/message.h"
#include "support/expected.h"

namespace uh::raft {

/// Limits a decoder enforces; a message over them is refused.
inline constexpr std::size_t kMaxFrameBytes = 64u << 20;
inline constexpr std::size_t kMaxEntriesPerMessage = 10'000;
inline constexpr std::size_t kMaxVoters = 1'000;

std::vector<std::uint8_t> encode_message(const Message& message);
/// Exactly one message, nothing before or after it.
Expected<Message, std::string> decode_message(std::span<const std::uint8_t> bytes);

}  // namespace uh::raft
