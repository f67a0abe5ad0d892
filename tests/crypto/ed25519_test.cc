#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/crypto/test_seed.h"

namespace custos {
namespace {

Bytes FromHex(std::string_view hex) { return HexDecode(hex).value(); }

SigningKey KeyFromByte(uint8_t fill) { return SigningKey::FromSeed(Bytes(32, fill)).value(); }

// RFC 8032 §7.1, tests 1 and 2.
TEST(Ed25519Test, Rfc8032Vectors) {
  struct Vector {
    const char *seed, *pub, *msg, *sig;
  };
  const Vector kVectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const Vector& v : kVectors) {
    SigningKey key = SigningKey::FromSeed(FromHex(v.seed)).value();
    EXPECT_EQ(HexEncode(key.public_key().span()), v.pub);
    Bytes msg = FromHex(v.msg);
    Signature sig = key.Sign(msg);
    EXPECT_EQ(HexEncode(sig.span()), v.sig);
    EXPECT_TRUE(VerifySignature(key.public_key(), msg, sig));
  }
}

TEST(Ed25519Test, SignVerifyAndRejections) {
  std::mt19937_64 rng(testing::TestSeed("Ed25519Test.SignVerifyAndRejections", 8032));
  SigningKey key = KeyFromByte(1), other = KeyFromByte(2);
  for (int round = 0; round < 50; ++round) {
    Bytes msg(1 + rng() % 200);
    for (uint8_t& b : msg) b = static_cast<uint8_t>(rng());
    Signature sig = key.Sign(msg);
    ASSERT_TRUE(VerifySignature(key.public_key(), msg, sig));
    EXPECT_FALSE(VerifySignature(other.public_key(), msg, sig));

    Bytes flipped_msg = msg;
    size_t bit = rng() % (msg.size() * 8);
    flipped_msg[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(VerifySignature(key.public_key(), flipped_msg, sig)) << "message bit " << bit;
  }
}

TEST(Ed25519Test, EverySignatureBitMatters) {
  SigningKey key = KeyFromByte(3);
  Bytes msg = {'h', 'i'};
  const Signature sig = key.Sign(msg);
  for (size_t bit = 0; bit < Signature::kSize * 8; ++bit) {
    Signature bad = sig;
    bad.bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(VerifySignature(key.public_key(), msg, bad)) << "signature bit " << bit;
  }
}

TEST(Ed25519Test, FromSeedIsDeterministic) {
  SigningKey a = KeyFromByte(9), b = KeyFromByte(9), c = KeyFromByte(10);
  EXPECT_EQ(a.public_key(), b.public_key());
  EXPECT_NE(a.public_key(), c.public_key());
  EXPECT_EQ(a.Sign(Bytes{1, 2, 3}), b.Sign(Bytes{1, 2, 3}));  // Ed25519 signing is deterministic
  EXPECT_EQ(Bytes(a.seed().begin(), a.seed().end()), Bytes(32, 9));
}

TEST(Ed25519Test, FromSeedRejectsWrongLength) {
  EXPECT_EQ(SigningKey::FromSeed(Bytes(31)).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(SigningKey::FromSeed(Bytes(64)).status().code(), Status::Code::kInvalidArgument);
}

TEST(Ed25519Test, GenerateAndCopy) {
  SigningKey a = SigningKey::Generate(), b = SigningKey::Generate();
  EXPECT_NE(a.public_key(), b.public_key());
  SigningKey copy = a;
  Bytes msg = {42};
  EXPECT_TRUE(VerifySignature(a.public_key(), msg, copy.Sign(msg)));
  copy = b;
  EXPECT_TRUE(VerifySignature(b.public_key(), msg, copy.Sign(msg)));
}

// With a small-order public key and R = identity, S = 0 the verification
// equation holds for every message; libsodium refuses such keys.
TEST(Ed25519Test, RejectsSmallOrderKey) {
  PublicKey identity;
  identity.bytes[0] = 1;
  Signature sig;
  sig.bytes[0] = 1;
  EXPECT_FALSE(VerifySignature(identity, Bytes{1, 2, 3}, sig));
}

TEST(Ed25519Test, FromSpanChecksLength) {
  EXPECT_TRUE(PublicKey::FromSpan(Bytes(32)));
  EXPECT_FALSE(PublicKey::FromSpan(Bytes(33)));
  EXPECT_TRUE(Signature::FromSpan(Bytes(64)));
  EXPECT_FALSE(Signature::FromSpan(Bytes(63)));
}

}  // namespace
}  // namespace custos
