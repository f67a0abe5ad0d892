#include "crypto/binary.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>

#include "tests/crypto/test_seed.h"

namespace custos {
namespace {

Hash Counting() {
  Hash h;
  for (size_t i = 0; i < Hash::kSize; ++i) h.bytes[i] = static_cast<uint8_t>(i);
  return h;
}

// One of each field, in a known order.
std::string Sample() {
  BinaryWriter w;
  w.PutU8(0xAB);
  w.PutU16(0x0102);
  w.PutU32(0x03040506);
  w.PutU64(0x0708090A0B0C0D0E);
  w.PutI64(-2);
  w.PutHash(Counting());
  w.PutLengthPrefixed("abc");
  w.PutBytes(std::string_view("xy"));
  return w.Take();
}

TEST(BinaryTest, IntegersAreBigEndian) {
  const std::string bytes = Sample();
  EXPECT_EQ(HexEncode(AsBytes(bytes.substr(0, 1 + 2 + 4 + 8 + 8))),
            "ab"
            "0102"
            "03040506"
            "0708090a0b0c0d0e"
            "fffffffffffffffe");
  EXPECT_EQ(HexEncode(AsBytes(bytes.substr(23 + Hash::kSize))), "00000003" "616263" "7879");
}

TEST(BinaryTest, WhatIsWrittenReadsBack) {
  const std::string bytes = Sample();
  BinaryReader r(bytes);
  EXPECT_EQ(r.GetU8(), 0xAB);
  EXPECT_EQ(r.GetU16(), 0x0102);
  EXPECT_EQ(r.GetU32(), 0x03040506u);
  EXPECT_EQ(r.GetU64(), 0x0708090A0B0C0D0Eu);
  EXPECT_EQ(r.GetI64(), -2);
  EXPECT_EQ(r.GetHash(), Counting());
  EXPECT_EQ(r.GetLengthPrefixed(), "abc");
  EXPECT_FALSE(r.AtEnd());
  EXPECT_EQ(r.remaining(), 2u);
  EXPECT_EQ(r.GetBytes(2), "xy");
  EXPECT_TRUE(r.AtEnd());
}

TEST(BinaryTest, ExtremeIntegersRoundTrip) {
  BinaryWriter w;
  w.PutU16(std::numeric_limits<uint16_t>::max());
  w.PutU32(std::numeric_limits<uint32_t>::max());
  w.PutU64(std::numeric_limits<uint64_t>::max());
  w.PutI64(std::numeric_limits<int64_t>::min());
  w.PutI64(std::numeric_limits<int64_t>::max());
  w.PutLengthPrefixed("");
  const std::string bytes = w.Take();
  BinaryReader r(AsBytes(bytes));
  EXPECT_EQ(r.GetU16(), std::numeric_limits<uint16_t>::max());
  EXPECT_EQ(r.GetU32(), std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(r.GetU64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(r.GetI64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.GetI64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r.GetLengthPrefixed(), "");
  EXPECT_TRUE(r.AtEnd());
}

// Reads Sample()'s fields from `bytes`; true iff all of them were there.
bool ReadsSample(std::string_view bytes) {
  BinaryReader r(bytes);
  (void)r.GetU8();
  (void)r.GetU16();
  (void)r.GetU32();
  (void)r.GetU64();
  (void)r.GetI64();
  (void)r.GetHash();
  (void)r.GetLengthPrefixed();
  (void)r.GetBytes(2);
  return r.AtEnd();
}

TEST(BinaryTest, EveryTruncationIsRefused) {
  const std::string bytes = Sample();
  ASSERT_TRUE(ReadsSample(bytes));
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(ReadsSample(bytes.substr(0, n))) << n << " bytes";
}

TEST(BinaryTest, TrailingBytesAreNotAtEnd) {
  EXPECT_FALSE(ReadsSample(Sample() + std::string(1, '\0')));
  BinaryReader r(std::string_view("\x01\x02", 2));
  EXPECT_EQ(r.GetU8(), 1);
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.AtEnd());
}

TEST(BinaryTest, ALengthPastTheEndIsRefused) {
  for (uint32_t n : {4u, 5u, 0x80000000u, std::numeric_limits<uint32_t>::max()}) {
    BinaryWriter w;
    w.PutU32(n);
    w.PutBytes(std::string_view("abcd"));
    const std::string bytes = w.Take();
    BinaryReader r(bytes);
    const std::string_view got = r.GetLengthPrefixed();
    EXPECT_EQ(r.ok(), n == 4) << n;
    EXPECT_EQ(got, n == 4 ? "abcd" : "") << n;
  }
}

TEST(BinaryTest, AFailedReadFailsEveryLaterRead) {
  BinaryReader r(std::string_view("\x01\x02\x03", 3));
  EXPECT_EQ(r.GetU32(), 0u);  // 3 bytes: short
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.GetU8(), 0);  // the bytes left are not read after a failure
  EXPECT_EQ(r.GetHash(), Hash{});
  EXPECT_EQ(r.GetRest(), "");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.AtEnd());
}

TEST(BinaryTest, RestIsEverythingLeftAndMayBeEmpty) {
  BinaryReader r(std::string_view("\x07rest", 5));
  EXPECT_EQ(r.GetU8(), 7);
  EXPECT_EQ(r.GetRest(), "rest");
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(r.GetRest(), "");
  EXPECT_TRUE(r.AtEnd());
}

TEST(BinaryTest, ACopyReadsAheadWithoutMovingTheOriginal) {
  BinaryReader r(std::string_view("\x00\x01\x02", 3));
  BinaryReader ahead = r;
  EXPECT_EQ(ahead.GetU16(), 1);
  EXPECT_EQ(r.remaining(), 3u);
  r = ahead;
  EXPECT_EQ(r.GetU8(), 2);
  EXPECT_TRUE(r.AtEnd());
}

TEST(BinaryTest, WriterContinuesAfterAPrefix) {
  BinaryWriter w(std::string("k"));
  w.PutU32(1);
  EXPECT_EQ(w.size(), 5u);
  EXPECT_EQ(w.Take(), std::string("k\0\0\0\x01", 5));
}

enum class Colour : uint8_t { kRed = 1, kBlue = 2 };

TEST(BinaryTest, FieldsByTypeAreTheSameBytesAsTheNamedCalls) {
  const std::string name = "abc";
  const std::string by_type = EncodeFields(uint8_t{0xAB}, uint16_t{0x0102}, uint32_t{0x03040506},
                                           uint64_t{0x0708090A0B0C0D0E}, int64_t{-2}, Counting(), name);
  EXPECT_EQ(by_type + "xy", Sample());
  EXPECT_EQ(HexEncode(AsBytes(EncodeFields(Colour::kBlue, std::string_view("x")))), "02" "00000001" "78");
}

TEST(BinaryTest, DecodeFieldsReadsTheWholeRecordOrNothing) {
  const std::string bytes = EncodeFields(Colour::kBlue, uint64_t{7}, std::string("holder"), Counting());
  Colour colour{};
  uint64_t n = 0;
  std::string holder;
  Hash h;
  ASSERT_TRUE(DecodeFields(bytes, colour, n, holder, h));
  EXPECT_EQ(colour, Colour::kBlue);
  EXPECT_EQ(n, 7u);
  EXPECT_EQ(holder, "holder");
  EXPECT_EQ(h, Counting());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeFields(bytes.substr(0, cut), colour, n, holder, h)) << cut << " bytes";
  }
  EXPECT_FALSE(DecodeFields(bytes + "x", colour, n, holder, h));
}

TEST(BinaryTest, AStringViewFieldBorrowsTheInput) {
  const std::string bytes = EncodeFields(std::string_view("borrowed"));
  std::string_view got;
  ASSERT_TRUE(DecodeFields(bytes, got));
  EXPECT_EQ(got, "borrowed");
  EXPECT_EQ(got.data(), bytes.data() + 4);
}

TEST(BinaryTest, AnEnumIsReadWithoutARangeCheck) {
  Colour colour{};
  ASSERT_TRUE(DecodeFields(std::string_view("\x09", 1), colour));
  EXPECT_EQ(static_cast<uint8_t>(colour), 9);  // the decoder that knows the enum refuses it
}

// Random byte strings never read out of bounds (the sanitizer build checks),
// and a read succeeds exactly when its bytes are there.
TEST(BinaryTest, RandomInputIsReadWithinBounds) {
  std::mt19937_64 rng(testing::TestSeed("BinaryTest.RandomInputIsReadWithinBounds", 20240501));
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(rng() % 48, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 3);
    BinaryReader r(bytes);
    size_t left = bytes.size();
    while (r.ok() && left > 0) {
      size_t want = 0;
      switch (rng() % 5) {
        case 0: want = 1, (void)r.GetU8(); break;
        case 1: want = 8, (void)r.GetU64(); break;
        case 2: want = Hash::kSize, (void)r.GetHash(); break;
        case 3: want = rng() % 6, (void)r.GetBytes(want); break;
        default: {
          BinaryReader peek = r;
          want = left < 4 ? 4 : 4 + size_t{peek.GetU32()};
          (void)r.GetLengthPrefixed();
        }
      }
      ASSERT_EQ(r.ok(), want <= left) << "round " << round;
      if (r.ok()) left -= want;
      ASSERT_EQ(r.remaining(), r.ok() ? left : 0u);
    }
  }
}

}  // namespace
}  // namespace custos
