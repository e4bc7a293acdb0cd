// Chapter 07 — SHA-256 through OpenSSL's EVP API, checked against published vectors.
#include "chain/hash.h"

#include <gtest/gtest.h>

#include "chain/encoding.h"
#include "test_support.h"

namespace uh::chain {
namespace {

using testing::bytes_of;
using testing::hash_from_display;

TEST(Hash, Sha256MatchesFips180Vectors) {
  EXPECT_EQ(sha256(bytes_of("abc")).to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256({}).to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hash, DoubleSha256IsShaOfSha) {
  Hash256 once = sha256(bytes_of("abc"));
  EXPECT_EQ(double_sha256(bytes_of("abc")), sha256(once.span()));
}

// Bitcoin's 80-byte header: version, previous, merkle root, time, bits, nonce,
// integers little-endian and hashes in internal byte order.
Hash256 bitcoin_header_hash(std::uint32_t version, const std::string& previous,
                            const std::string& merkle, std::uint32_t time, std::uint32_t bits,
                            std::uint32_t nonce) {
  std::vector<std::uint8_t> header;
  auto le32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) header.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  le32(version);
  // Keep the hashes alive: a range-for over a temporary's member would not.
  Hash256 previous_hash = hash_from_display(previous);
  Hash256 merkle_hash = hash_from_display(merkle);
  header.insert(header.end(), previous_hash.bytes().begin(), previous_hash.bytes().end());
  header.insert(header.end(), merkle_hash.bytes().begin(), merkle_hash.bytes().end());
  le32(time);
  le32(bits);
  le32(nonce);
  return double_sha256(header);
}

TEST(Hash, BitcoinGenesisHeaderHash) {
  Hash256 h =
      bitcoin_header_hash(1, "0000000000000000000000000000000000000000000000000000000000000000",
                          "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
                          1231006505, 0x1d00ffff, 2083236893);
  EXPECT_EQ(h.to_display_hex(), "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
  // Bitcoin reads the hash as a little-endian number: its zeros are the
  // *last* internal bytes, the first displayed ones.
  Hash256 reversed = hash_from_display(h.to_hex());
  EXPECT_EQ(reversed.leading_zero_bits(), 43);
}

TEST(Hash, BitcoinBlock100000HeaderHash) {
  Hash256 h =
      bitcoin_header_hash(1, "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250",
                          "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
                          1293623863, 0x1b04864c, 274148111);
  EXPECT_EQ(h.to_display_hex(), "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506");
}

TEST(Hash, HexRoundTripsAndRejectsGarbage) {
  Hash256 h = sha256(bytes_of("under the hood"));
  EXPECT_EQ(Hash256::from_hex(h.to_hex()), h);
  EXPECT_EQ(Hash256::from_display_hex(h.to_display_hex()), h);
  EXPECT_FALSE(Hash256::from_hex("abc"));
  EXPECT_FALSE(Hash256::from_hex(std::string(63, '0') + "g"));
  EXPECT_FALSE(Hash256::from_hex(std::string(66, '0')));
}

TEST(Hash, LeadingZeroBits) {
  std::array<std::uint8_t, 32> bytes{};
  EXPECT_EQ(Hash256(bytes).leading_zero_bits(), 256);
  bytes[0] = 0x01;
  EXPECT_EQ(Hash256(bytes).leading_zero_bits(), 7);
  bytes[0] = 0;
  bytes[2] = 0x10;
  EXPECT_EQ(Hash256(bytes).leading_zero_bits(), 19);
}

}  // namespace
}  // namespace uh::chain
