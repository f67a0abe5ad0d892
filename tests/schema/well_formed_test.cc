// ReadCanonical checks a record whole (schema/well_formed.h): a text without
// its NUL, an enum value or union member this build does not know, and bits
// outside the known fields are refused with a sentence naming the field, and
// no single-bit change of a real statement makes a later reader throw or
// reads as the same statement.
#include "schema/well_formed.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <kj/exception.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "schema/canonical.h"
#include "schema/json.h"

namespace custos::schema {
namespace {

Bytes StatementOf(const std::string& json) {
  auto r = StatementFromJson(json);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  Bytes nonce(16, 7);
  return FillStatementDefaults(r.value(), "suzhou-ipb.example/custos", 1'720'000'000'000, nonce);
}

Bytes CaseClosed(const std::string& reason) {
  return StatementOf(R"({"body":{"caseClosed":{"caseId":"SZIPB-2024-0017","reason":")" + reason + R"("}}})");
}

// The refusal of `bytes` as a statement; "" (and a test failure) if accepted.
std::string Refusal(const Bytes& bytes) {
  auto r = ReadCanonical<Statement>(bytes, kMaxStatementBytes, "statement");
  EXPECT_FALSE(r.ok()) << "accepted";
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

// The offset of `text` followed by its NUL in `bytes`.
size_t NulAfter(const Bytes& bytes, const std::string& text) {
  std::string haystack(bytes.begin(), bytes.end());
  size_t at = haystack.find(text + std::string(1, '\0'));
  EXPECT_NE(at, std::string::npos) << text;
  return at + text.size();
}

// A statement built by `fill`, canonical but not checked by anyone.
template <typename Fill>
Bytes Built(Fill fill) {
  capnp::MallocMessageBuilder message;
  auto s = message.initRoot<Statement>();
  s.setOrigin("suzhou-ipb.example/custos");
  fill(s);
  return Canonicalize(s.asReader());
}

TEST(WellFormed, ATextWithoutItsNulIsRefusedNamingTheField) {
  Bytes bytes = CaseClosed("done");
  bytes[NulAfter(bytes, "done")] = 'x';  // "donex", still canonical: its padding is zero
  EXPECT_EQ(Refusal(bytes), "statement: body.caseClosed.reason: text without its NUL terminator");
}

TEST(WellFormed, ATextThatIsNotUtf8IsRefused) {
  Bytes bytes = Built([](Statement::Builder s) { s.getBody().initCaseClosed().setReason("\xff"); });
  EXPECT_EQ(Refusal(bytes), "statement: body.caseClosed.reason: text is not valid UTF-8");
}

TEST(WellFormed, AnEnumValueThisBuildDoesNotKnowIsRefused) {
  Bytes bytes = Built([](Statement::Builder s) {
    s.getBody().initEvidenceDisposed().setDisposition(static_cast<Disposition>(3));
  });
  EXPECT_EQ(Refusal(bytes), "statement: body.evidenceDisposed.disposition: 3 is not a Disposition this build knows");
  Bytes in_list = Built([](Statement::Builder s) { s.getBody().initKeyGrant().initRoles(2).set(1, static_cast<Role>(9)); });
  EXPECT_EQ(Refusal(in_list), "statement: body.keyGrant.roles[1]: 9 is not a Role this build knows");
}

TEST(WellFormed, AUnionMemberThisBuildDoesNotKnowIsRefused) {
  Bytes bytes = CaseClosed("done");
  // The body's discriminant is the first 16 bits after `time` in the data section.
  const size_t discriminant = 8 + 8;
  ASSERT_EQ(bytes[discriminant], static_cast<uint8_t>(Statement::Body::CASE_CLOSED));
  bytes[discriminant] = 99;
  EXPECT_EQ(Refusal(bytes), "statement: body: a union member this build does not know");
}

TEST(WellFormed, BitsOutsideTheKnownFieldsAreRefused) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<EvidenceBundle>();
  b.setVersion(1);
  b.setMadeBy("suzhou-ipb.example/custos");
  Bytes bytes = Canonicalize(b.asReader());
  // version (32 bits) and algorithm (16) share the first data word; its last
  // two bytes are padding, which capnp's own canonical check lets through.
  bytes[8 + 7] = 0x80;
  auto r = ReadCanonical<EvidenceBundle>(bytes, 1 << 20, "bundle");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "bundle: data byte 7 has bits set outside the fields this build knows");
}

TEST(WellFormed, BytesThatAreNotAMessageGetASentence) {
  Bytes bytes(64, 0xa5);
  auto r = ReadCanonical<EvidenceBundle>(bytes, 1 << 20, "bundle");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "bundle: not a well-formed EvidenceBundle: a pointer leads outside the message");
}

// RPC answers (Unknown::kAllow): what a newer node may add is let through,
// a text that cannot be read is not.
TEST(WellFormed, AnAnswerMayCarryWhatANewerPeerAddsButNoUnreadableText) {
  Bytes bytes = Built([](Statement::Builder s) {
    s.getBody().initEvidenceDisposed().setDisposition(static_cast<Disposition>(3));
    s.getBody().getEvidenceDisposed().setReason("done");
  });
  auto read = [&](const Bytes& b) {
    kj::ArrayPtr<const capnp::word> segment(reinterpret_cast<const capnp::word*>(b.data()), b.size() / 8);
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(&segment, 1));
    return CheckWellFormed(capnp::toDynamic(message.getRoot<Statement>()), Unknown::kAllow);
  };
  EXPECT_TRUE(read(bytes).ok()) << read(bytes).ToString();
  EXPECT_FALSE(ReadCanonical<Statement>(bytes, kMaxStatementBytes, "statement").ok());  // a record may not
  bytes[NulAfter(bytes, "done")] = 'x';
  EXPECT_EQ(read(bytes).message(), "body.evidenceDisposed.reason: text without its NUL terminator");
}

// Reads `bytes` the way the command line shows a statement. Returns the JSON,
// or "" if ReadCanonical refused them; a throw anywhere is a test failure.
std::string ReadWhole(const Bytes& bytes, const std::string& where) {
  std::string json;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    auto r = ReadCanonical<Statement>(bytes, kMaxStatementBytes, "statement");
    if (!r.ok()) return;
    EXPECT_EQ(Canonicalize(r->get()), bytes) << where << ": accepted bytes are a second encoding";
    json = StatementToJson(r->get()) + " " + StatementKind(r->get());
  })) {
    ADD_FAILURE() << where << ": threw " << e->getDescription().cStr();
  }
  return json;
}

// Every single-bit change of every example statement is refused, or reads as
// another statement; none throws.
TEST(WellFormed, EveryBitFlipOfEveryExampleIsRefusedOrAnotherStatement) {
  size_t cases = 0, refused = 0;
  for (const auto& file : std::filesystem::directory_iterator(std::string(CUSTOS_SOURCE_DIR) + "/examples")) {
    if (file.path().extension() != ".json") continue;
    std::ifstream in(file.path());
    std::stringstream text;
    text << in.rdbuf();
    const Bytes original = StatementOf(text.str());
    const std::string shown = ReadWhole(original, file.path().filename().string());
    ASSERT_FALSE(shown.empty()) << file.path();
    for (size_t bit = 0; bit < original.size() * 8; ++bit) {
      Bytes bytes = original;
      bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      const std::string where = file.path().filename().string() + " bit " + std::to_string(bit);
      const std::string json = ReadWhole(bytes, where);
      ++cases;
      if (json.empty()) ++refused;
      EXPECT_NE(json, shown) << where << ": different bytes read as the same statement";
    }
  }
  std::printf("%zu single-bit flips, %zu refused, %zu read as another statement\n", cases, refused, cases - refused);
}

}  // namespace
}  // namespace custos::schema
