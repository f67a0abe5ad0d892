#include "crypto/bytes.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/crypto/test_seed.h"

namespace custos {
namespace {

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(HexTest, RoundTripAndCase) {
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  std::string hex = HexEncode(all);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(HexDecode(hex), all);
  EXPECT_EQ(HexDecode("DEADbeef"), (Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(HexDecode(""), Bytes{});
}

TEST(HexTest, Rejects) {
  EXPECT_FALSE(HexDecode("abc"));    // odd length
  EXPECT_FALSE(HexDecode("0g"));     // not a hex digit
  EXPECT_FALSE(HexDecode(" 0a"));    // whitespace (and odd)
  EXPECT_FALSE(HexDecode("0a "));
  EXPECT_FALSE(HexDecode("0x0a"));   // no prefix
  EXPECT_FALSE(HexDecode("0a\n0b"));
}

// RFC 4648 §10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    EXPECT_EQ(Base64Decode(encoded), B(plain)) << encoded;
  }
}

TEST(Base64Test, RejectsNonStrictInput) {
  const char* kBad[] = {
      "Zg",        "Zm8",       "Zg=",        // missing padding
      "Zh==",      "Zm9=",                    // non-canonical last character (stray bits)
      "Zg===",     "=",         "Zg==Zg==",   // misplaced or excess padding
      "Zm9v\n",    " Zm9v",     "Zm 9v",      "Zm9v\r\n", "Zm9v\t",  // whitespace
      "Zm9v*A==",  "Zm-_",      "Zm9v\x80",   // characters outside the standard alphabet
  };
  for (const char* s : kBad) EXPECT_FALSE(Base64Decode(s)) << "accepted " << s;
  EXPECT_FALSE(Base64Decode(std::string_view("Zm9v\0", 5)));  // NUL
}

TEST(Base64Test, RandomRoundTrip) {
  std::mt19937_64 rng(testing::TestSeed("Base64Test.RandomRoundTrip", 20240601));
  for (int i = 0; i < 2000; ++i) {
    Bytes data(rng() % 100);
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    std::string enc = Base64Encode(data);
    ASSERT_EQ(enc.size() % 4, 0u);
    ASSERT_EQ(Base64Decode(enc), data) << enc;
  }
}

// The constant-time codec for key material agrees with the table-driven one.
TEST(Base64Test, SecretCodecAgrees) {
  std::mt19937_64 rng(testing::TestSeed("Base64Test.SecretCodecAgrees", 20261126));
  for (int i = 0; i < 500; ++i) {
    Bytes data(rng() % 40);
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    ASSERT_EQ(Base64EncodeSecret(data), Base64Encode(data));
    ASSERT_EQ(Base64DecodeSecret(Base64Encode(data)), data);
  }
  for (const char* s : {"Zg", "Zg=", "Zh==", "Zm9=", "Zg===", "Zm9v\n", "Zm-_"}) {
    EXPECT_FALSE(Base64DecodeSecret(s)) << "accepted " << s;
  }
}

// Random strings over the alphabet and '=': the fast decoder accepts exactly
// the strings that are the encoding of what it decodes them to.
TEST(Base64Test, DecodeAcceptsExactlyCanonicalStrings) {
  std::mt19937_64 rng(testing::TestSeed("Base64Test.DecodeAcceptsExactlyCanonicalStrings", 20261126));
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/==";
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 9, 'A');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    if (rng() % 2 == 0 && s.size() >= 2) s[s.size() - 1] = '=';
    auto decoded = Base64Decode(s);
    if (decoded) {
      ++accepted;
      ASSERT_EQ(Base64Encode(*decoded), s) << "accepted a non-canonical " << s;
    }
    ASSERT_EQ(decoded.has_value(), Base64DecodeSecret(s).has_value()) << s;
  }
  EXPECT_GT(accepted, 1000);
}

TEST(BytesTest, HashFromSpanAndBigEndian) {
  Bytes b(32, 7);
  ASSERT_TRUE(Hash::FromSpan(b));
  EXPECT_EQ(Hash::FromSpan(b)->bytes[31], 7);
  EXPECT_FALSE(Hash::FromSpan(Bytes(31)));
  EXPECT_FALSE(Hash::FromSpan(Bytes(33)));

  std::string s;
  PutBigEndian64(&s, 0x0102030405060708ull);
  PutBigEndian32(&s, 0xa0b0c0d0u);
  EXPECT_EQ(HexEncode(AsBytes(s)), "0102030405060708a0b0c0d0");
  EXPECT_EQ(GetBigEndian64(AsBytes(s).data()), 0x0102030405060708ull);
  EXPECT_EQ(GetBigEndian32(AsBytes(s).data() + 8), 0xa0b0c0d0u);
}

}  // namespace
}  // namespace custos
