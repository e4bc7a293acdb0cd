// Chapter 08 — messages on the wire: round trips, and frames from a hostile peer.
#include "raft/codec.h"

#include <gtest/gtest.h>

namespace uh::raft {
namespace {

Message full_message() {
  Message m;
  m.type = MessageType::kAppend;
  m.from = 1;
  m.to = 3;
  m.term = Term(7);
  m.log_term = Term(6);
  m.index = LogIndex(41);
  m.commit = LogIndex(40);
  m.context = "read-9";
  m.entries = {{Term(7), LogIndex(42), EntryType::kNormal, "put x"},
               {Term(7), LogIndex(43), EntryType::kConfChange, "add 4"}};
  m.snapshot = Snapshot{LogIndex(30), Term(5), {1, 2, 3}, "state"};
  return m;
}

TEST(Codec, EveryFieldRoundTrips) {
  Message m = full_message();
  auto back = decode_message(encode_message(m));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, m);
  Message reject;
  reject.type = MessageType::kAppendResponse;
  reject.from = 3;
  reject.to = 1;
  reject.reject = true;
  reject.reject_hint = LogIndex(12);
  EXPECT_EQ(decode_message(encode_message(reject)).value(), reject);
}

TEST(Codec, EveryTruncationIsRefused) {
  std::vector<std::uint8_t> bytes = encode_message(full_message());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_message(std::span(bytes).first(n))) << "accepted " << n << " bytes";
  }
}

TEST(Codec, TrailingBytesAndBadFieldsAreRefused) {
  std::vector<std::uint8_t> bytes = encode_message(full_message());
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decode_message(longer));
  std::vector<std::uint8_t> bad_type = bytes;
  bad_type[1] = 200;
  auto r = decode_message(bad_type);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("unknown message type"), std::string::npos);
  std::vector<std::uint8_t> bad_version = bytes;
  bad_version[0] = 9;
  EXPECT_FALSE(decode_message(bad_version));
}

TEST(Codec, AHugeCountIsRefusedWithoutAllocating) {
  Message m;
  m.from = 1;
  m.to = 2;
  std::vector<std::uint8_t> bytes = encode_message(m);
  // The entry count sits right after the context (an empty string: 4 bytes).
  std::size_t count_at = 1 + 1 + 8 * 6 + 1 + 8 + 4;
  bytes[count_at] = 0xff;
  auto r = decode_message(bytes);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("too many entries"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace uh::raft
