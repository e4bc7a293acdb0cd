// Chapter 07 — ECDSA over secp256k1: sign, verify, canonical low-S signatures.
#include "chain/keys.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace uh::chain {
namespace {

using testing::bytes_of;
using testing::key;

TEST(Keys, SecretOneIsTheGenerator) {
  // 1 * G = G, whose compressed form SEC 2 publishes.
  EXPECT_EQ(to_hex(key(1).public_key().compressed()),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}

TEST(Keys, SecretOutOfRangeIsRefused) {
  std::array<std::uint8_t, 32> zero{};
  EXPECT_THROW(PrivateKey::from_secret(zero), std::invalid_argument);
  std::array<std::uint8_t, 32> too_big;
  too_big.fill(0xff);
  EXPECT_THROW(PrivateKey::from_secret(too_big), std::invalid_argument);
}

TEST(Signatures, SignThenVerify) {
  PrivateKey alice = key(7);
  Hash256 digest = double_sha256(bytes_of("pay bob 10"));
  Signature sig = alice.sign(digest);
  EXPECT_TRUE(alice.public_key().verify(digest, sig));
  EXPECT_FALSE(alice.public_key().verify(double_sha256(bytes_of("pay bob 11")), sig));
  EXPECT_FALSE(key(8).public_key().verify(digest, sig));
}

TEST(Signatures, GeneratedKeysWorkToo) {
  PrivateKey k = PrivateKey::generate();
  Hash256 digest = sha256(bytes_of("fresh"));
  EXPECT_TRUE(k.public_key().verify(digest, k.sign(digest)));
  EXPECT_NE(k.public_key().compressed(), PrivateKey::generate().public_key().compressed());
}

TEST(Signatures, AreAlwaysLowS) {
  // ECDSA's s is random; about half the raw signatures have a high s. Every
  // one we produce must already be in canonical low-S form.
  PrivateKey k = key(3);
  for (int i = 0; i < 64; ++i) {
    Signature sig = k.sign(sha256(bytes_of("message " + std::to_string(i))));
    auto parsed = Signature::from_compact(sig.compact());
    ASSERT_TRUE(parsed) << parsed.error().reason;
  }
}

// n - s, computed independently of the code under test.
std::array<std::uint8_t, 64> with_high_s(const Signature& sig) {
  static const std::array<std::uint8_t, 32> n = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                                 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
                                                 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  std::array<std::uint8_t, 64> out = sig.compact();
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[i] - out[32 + i] - borrow;
    borrow = d < 0;
    out[32 + i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  return out;
}

TEST(Signatures, HighSTwinIsRejectedAsNonCanonical) {
  PrivateKey k = key(5);
  Signature sig = k.sign(sha256(bytes_of("twin")));
  auto twin = Signature::from_compact(with_high_s(sig));
  ASSERT_FALSE(twin);
  EXPECT_NE(twin.error().reason.find("non-canonical"), std::string::npos);
}

TEST(Signatures, OutOfRangeValuesAreRejected) {
  std::array<std::uint8_t, 64> zero{};
  EXPECT_FALSE(Signature::from_compact(zero));
  std::array<std::uint8_t, 64> ones;
  ones.fill(0xff);
  EXPECT_FALSE(Signature::from_compact(ones));
  EXPECT_FALSE(Signature::from_compact(std::span(ones).first(63)));
}

TEST(Signatures, DerRoundTripsAndStrictDerIsRequired) {
  PrivateKey k = key(9);
  Signature sig = k.sign(sha256(bytes_of("der")));
  std::vector<std::uint8_t> der = sig.der();
  auto back = Signature::from_der(der);
  ASSERT_TRUE(back) << back.error().reason;
  EXPECT_EQ(*back, sig);
  std::vector<std::uint8_t> trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(Signature::from_der(trailing));
  EXPECT_FALSE(Signature::from_der(std::span(der).first(der.size() - 1)));
}

TEST(PublicKeys, OnlyCompressedPointsOnTheCurveParse) {
  auto g = key(1).public_key().compressed();
  EXPECT_TRUE(PublicKey::from_compressed(g));
  auto wrong_prefix = g;
  wrong_prefix[0] = 0x04;
  EXPECT_FALSE(PublicKey::from_compressed(wrong_prefix));
  // x = 5 has no y on secp256k1 (5^3 + 7 = 132 is not a square mod p).
  std::array<std::uint8_t, 33> off_curve{};
  off_curve[0] = 0x02;
  off_curve[32] = 5;
  auto parsed = PublicKey::from_compressed(off_curve);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().reason.find("not a point"), std::string::npos);
}

TEST(Addresses, AreTheLast20BytesOfTheKeysSha256) {
  PublicKey pub = key(1).public_key();
  Hash256 h = sha256(pub.compressed());
  EXPECT_EQ(pub.address().to_hex(), h.to_hex().substr(24));
  EXPECT_NE(key(1).public_key().address(), key(2).public_key().address());
}

}  // namespace
}  // namespace uh::chain
