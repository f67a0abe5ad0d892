// ReadCanonical: only exact canonical bytes within the limits are accepted.
#include "schema/canonical.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "schema/json.h"

namespace custos::schema {
namespace {

Bytes SampleStatement() {
  auto r = StatementFromJson(R"({"origin":"o.example/log","time":7,"nonce":"000102030405060708090a0b0c0d0e0f",
    "body":{"caseClosed":{"caseId":"SZIPB-2024-0017","reason":"done"}}})");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.value();
}

std::string ReadError(const Bytes& bytes, size_t max_bytes = kMaxStatementBytes) {
  auto r = ReadCanonical<Statement>(bytes, max_bytes, "statement");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

TEST(ReadCanonical, AcceptsCanonicalBytesAndKeepsThem) {
  Bytes bytes = SampleStatement();
  auto r = ReadCanonical<Statement>(bytes, kMaxStatementBytes, "statement");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Bytes(r->bytes().begin(), r->bytes().end()), bytes);
  EXPECT_EQ(r->get().getBody().getCaseClosed().getCaseId(), "SZIPB-2024-0017");
  // Moving the message keeps the reader valid (it points into owned words).
  CanonicalMessage<Statement> moved = std::move(r).value();
  EXPECT_EQ(moved.get().getTime(), 7);
}

TEST(ReadCanonical, RejectsEmpty) { EXPECT_EQ(ReadError({}), "statement: empty"); }

TEST(ReadCanonical, RejectsLengthNotAMultipleOfEight) {
  Bytes bytes = SampleStatement();
  bytes.pop_back();
  EXPECT_EQ(ReadError(bytes), "statement: truncated (length " + std::to_string(bytes.size()) + " is not a multiple of 8)");
}

TEST(ReadCanonical, RejectsOversize) {
  Bytes bytes = SampleStatement();
  EXPECT_EQ(ReadError(bytes, 16), "statement: " + std::to_string(bytes.size()) + " bytes is over the limit of 16");
  EXPECT_NE(ReadError(Bytes(kMaxStatementBytes + 8, 0)).find("over the limit"), std::string::npos);
}

TEST(ReadCanonical, RejectsTruncatedWords) {
  Bytes bytes = SampleStatement();
  bytes.erase(bytes.end() - 8, bytes.end());  // resize(size - 8) makes GCC 12 -O1 warn of a huge memset
  EXPECT_FALSE(ReadCanonical<Statement>(bytes, kMaxStatementBytes, "statement").ok());
}

TEST(ReadCanonical, RejectsTrailingWords) {
  Bytes bytes = SampleStatement();
  bytes.insert(bytes.end(), 8, 0);
  EXPECT_EQ(ReadError(bytes), "statement: not in canonical form");
}

TEST(ReadCanonical, RejectsNonCanonicalEncodingOfAValidMessage) {
  // Root pointer to a struct of one data word that is zero: canonical form
  // truncates trailing zero words, so this is a second encoding of {}.
  Bytes bytes = {0, 0, 0, 0, 1, 0, 0, 0, /* data word */ 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(ReadError(bytes), "statement: not in canonical form");
}

TEST(ReadCanonical, RejectsGarbage) {
  Bytes text(reinterpret_cast<const uint8_t*>("not a capnp message!!!!"),
             reinterpret_cast<const uint8_t*>("not a capnp message!!!!") + 24);
  EXPECT_FALSE(ReadCanonical<Statement>(text, kMaxStatementBytes, "statement").ok());
  Bytes far_pointer = {2, 0, 0, 0, 0, 0, 0, 0};  // a far pointer: never canonical
  EXPECT_FALSE(ReadCanonical<Statement>(far_pointer, kMaxStatementBytes, "statement").ok());
}

// Whatever random bytes ReadCanonical accepts must re-canonicalise to exactly
// those bytes: no second encoding of a value gets through.
TEST(ReadCanonical, RandomBytesAreRejectedOrExactlyCanonical) {
  const uint32_t seed = 20240601;
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  Bytes sample = SampleStatement();
  for (int round = 0; round < 2000; ++round) {
    Bytes bytes = sample;
    if (round % 2 == 0) {
      bytes.assign(8 * (1 + rng() % 12), 0);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    } else {
      bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);  // one corrupted byte
    }
    auto r = ReadCanonical<Statement>(bytes, kMaxStatementBytes, "statement");
    if (r.ok()) {
      EXPECT_EQ(Canonicalize(r->get()), bytes) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace custos::schema
