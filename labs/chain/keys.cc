// Your workspace for chapter 07: write the code where the LAB markers are.
// Made from solutions/chain/keys.cc by ci/labgen.py; `./lab test 07` checks your work,
// `./lab hint 07` helps, `./lab reset 07` brings this skeleton back.
#include "chain/keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <stdexcept>
#include <vector>
#include "support/todo.h"

namespace uh::chain {

namespace {

using Bytes32 = std::array<std::uint8_t, 32>;

// The order n of secp256k1's group (SEC 2, section 2.4.1), and n / 2.
constexpr Bytes32 kOrder = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                            0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
constexpr Bytes32 kHalfOrder = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
                                0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

// Big-endian comparison: lexicographic order of equal-length byte strings.
bool less(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

bool is_zero(std::span<const std::uint8_t> a) {
  return std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
}

// n - s, for 0 < s < n: the other valid s of the same signature.
Bytes32 negate_mod_order(std::span<const std::uint8_t> s) {
  Bytes32 out{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = kOrder[i] - s[i] - borrow;
    borrow = d < 0;
    out[i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  return out;
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key, const char* what) {
  if (key == nullptr) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;

// Builds an EC key on secp256k1 from OSSL_PARAMs: the public point, and the
// private scalar when `secret` is given. Returns nullptr if OpenSSL refuses
// (for a public key: the bytes are not a point on the curve).
EVP_PKEY* key_from_data(std::span<const std::uint8_t> public_point, const BIGNUM* secret) {
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  if (builder == nullptr) throw std::bad_alloc();
  OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0);
  OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, public_point.data(),
                                   public_point.size());
  if (secret != nullptr) OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_PRIV_KEY, secret);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  EVP_PKEY* key = nullptr;
  Ctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (params != nullptr && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1) {
    int selection = secret != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
    if (EVP_PKEY_fromdata(ctx.get(), &key, selection, params) != 1) key = nullptr;
  }
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(builder);
  return key;
}

std::array<std::uint8_t, PublicKey::kSize> compressed_point_of(EVP_PKEY* key) {
  std::uint8_t buffer[65];
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buffer, sizeof buffer,
                                      &length) != 1) {
    throw std::runtime_error("OpenSSL: reading the public key failed");
  }
  std::array<std::uint8_t, PublicKey::kSize> out{};
  if (length == 33) {
    std::copy(buffer, buffer + 33, out.begin());
  } else if (length == 65 && buffer[0] == 0x04) {
    // Uncompressed 04 || x || y: keep x, and encode y's parity in the prefix.
    out[0] = 0x02 | (buffer[64] & 1);
    std::copy(buffer + 1, buffer + 33, out.begin() + 1);
  } else {
    throw std::runtime_error("OpenSSL: unexpected public key encoding");
  }
  return out;
}

}  // namespace

Decoded<Signature> Signature::from_compact(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) {
    return unexpected(
        DecodeError{"signature must be 64 bytes, not " + std::to_string(bytes.size()), 0});
  }
  auto r = bytes.first(32);
  auto s = bytes.last(32);
  if (is_zero(r) || !less(r, kOrder)) return unexpected(DecodeError{"signature r out of range", 0});
  if (is_zero(s) || !less(s, kOrder))
    return unexpected(DecodeError{"signature s out of range", 32});
  if (less(kHalfOrder, s)) {
    return unexpected(
        DecodeError{"non-canonical signature: s is in the high half (use n - s)", 32});
  }
  std::array<std::uint8_t, kSize> out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return Signature(out);
}

Decoded<Signature> Signature::from_der(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (parsed == nullptr) return unexpected(DecodeError{"not a DER ECDSA signature", 0});
  std::array<std::uint8_t, kSize> compact{};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(parsed, &r, &s);
  bool fits = BN_num_bytes(r) <= 32 && BN_num_bytes(s) <= 32;
  if (fits) {
    BN_bn2binpad(r, compact.data(), 32);
    BN_bn2binpad(s, compact.data() + 32, 32);
  }
  ECDSA_SIG_free(parsed);
  if (!fits) return unexpected(DecodeError{"signature r or s longer than 32 bytes", 0});
  auto result = from_compact(compact);
  // Strict DER: re-encoding must give back exactly the input.
  if (result && result->der() != std::vector<std::uint8_t>(der.begin(), der.end())) {
    return unexpected(DecodeError{"non-canonical DER encoding", 0});
  }
  return result;
}

std::vector<std::uint8_t> Signature::der() const {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(bytes_.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes_.data() + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr) {
    ECDSA_SIG_free(sig);
    BN_free(r);
    BN_free(s);
    throw std::bad_alloc();
  }
  ECDSA_SIG_set0(sig, r, s);  // sig owns r and s now
  int length = i2d_ECDSA_SIG(sig, nullptr);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(std::max(length, 0)));
  unsigned char* p = out.data();
  i2d_ECDSA_SIG(sig, &p);
  ECDSA_SIG_free(sig);
  return out;
}

Decoded<PublicKey> PublicKey::from_compressed(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) {
    return unexpected(
        DecodeError{"public key must be 33 bytes, not " + std::to_string(bytes.size()), 0});
  }
  if (bytes[0] != 0x02 && bytes[0] != 0x03) {
    return unexpected(DecodeError{"public key must start with 0x02 or 0x03 (compressed)", 0});
  }
  EVP_PKEY* key = key_from_data(bytes, nullptr);
  if (key == nullptr) return unexpected(DecodeError{"public key is not a point on secp256k1", 1});
  std::array<std::uint8_t, kSize> compressed;
  std::copy(bytes.begin(), bytes.end(), compressed.begin());
  return PublicKey(own(key, "EVP_PKEY_fromdata"), compressed);
}

Address Address::of_key(std::span<const std::uint8_t> compressed_key) {
  Hash256 h = sha256(compressed_key);
  Address a;
  std::copy(h.bytes().end() - kSize, h.bytes().end(), a.bytes.begin());
  return a;
}

Address PublicKey::address() const { return Address::of_key(compressed_); }

bool PublicKey::verify(const Hash256& digest, const Signature& signature) const {
  // LAB(07.4) Verify `signature` over the 32-byte digest with EVP_PKEY_verify
  // (it takes the DER form); true only on OpenSSL's 1.
  throw uh::Todo("07.4",
                 "Verify `signature` over the 32-byte digest with EVP_PKEY_verify (it takes the "
                 "DER form); true only on OpenSSL's 1.");
  // END LAB
}

PrivateKey::PrivateKey(std::shared_ptr<EVP_PKEY> key)
    : key_(std::move(key)), public_(key_, compressed_point_of(key_.get())) {}

PrivateKey PrivateKey::generate() {
  return PrivateKey(own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"), "keygen"));
}

PrivateKey PrivateKey::from_secret(std::span<const std::uint8_t> secret) {
  if (secret.size() != 32 || is_zero(secret) || !less(secret, kOrder)) {
    throw std::invalid_argument("a secp256k1 secret is 32 bytes in [1, n)");
  }
  // OpenSSL needs the public point next to the scalar: compute secret * G.
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_secp256k1);
  BIGNUM* scalar = BN_bin2bn(secret.data(), 32, nullptr);
  EC_POINT* point = EC_POINT_new(group);
  std::uint8_t compressed[PublicKey::kSize];
  bool ok = group && scalar && point &&
            EC_POINT_mul(group, point, scalar, nullptr, nullptr, nullptr) == 1 &&
            EC_POINT_point2oct(group, point, POINT_CONVERSION_COMPRESSED, compressed,
                               sizeof compressed, nullptr) == sizeof compressed;
  EVP_PKEY* key = ok ? key_from_data(compressed, scalar) : nullptr;
  EC_POINT_free(point);
  BN_clear_free(scalar);
  EC_GROUP_free(group);
  return PrivateKey(own(key, "building a key from its secret"));
}

Signature PrivateKey::sign(const Hash256& digest) const {
  // LAB(07.4) Sign the digest with EVP_PKEY_sign, turn the DER result into
  // r || s, and replace a high s by n - s.
  throw uh::Todo("07.4",
                 "Sign the digest with EVP_PKEY_sign, turn the DER result into r || s, and "
                 "replace a high s by n - s.");
  // END LAB
}

}  // namespace uh::chain
