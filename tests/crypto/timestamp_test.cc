// RFC 3161 tokens (crypto/timestamp.h) against a real TSA built on OpenSSL's
// TS_RESP_CTX (tests/tools/test_tsa.h): a token for a checkpoint's text
// verifies against the TSA's certificate, and is refused for another text,
// another TSA, an expired certificate, a replayed answer, and bytes that are
// not a token; as a signed-note line it is found and checked by name and key id.
#include "crypto/timestamp.h"

#include <gtest/gtest.h>

#include <chrono>

#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "tests/tools/test_tsa.h"

namespace custos {
namespace {

using testing::TestTsa;

constexpr std::string_view kText = "example.com/log\n7\nYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=\n";

TestTsa MustTsa(const std::string& cn, long from = -1, long to = 24) {
  auto t = TestTsa::Create(cn, from, to);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return *t;
}

TimestampVerifier VerifierOf(const TestTsa& tsa, const std::string& name = "tsa.example") {
  auto cert = TsaCertificate::FromPem(tsa.certificate_pem());
  EXPECT_TRUE(cert.ok()) << cert.status().ToString();
  auto v = TimestampVerifier::For(name, *cert);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return *v;
}

// A token from `tsa` for `text`, not checked (as a client that trusted anything would keep it).
Bytes RawToken(const TestTsa& tsa, std::string_view text, const TimestampVerifier& checker) {
  auto req = MakeTimestampRequest(text);
  EXPECT_TRUE(req.ok());
  auto resp = tsa.Answer(req->der);
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
  auto token = TokenFromResponse(*resp, *req, checker.cert);
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  return token.ok() ? *token : Bytes{};
}

TEST(Timestamp, ATokenForTheTextVerifiesWithItsTime) {
  TestTsa tsa = MustTsa("Test TSA 1");
  const TimestampVerifier v = VerifierOf(tsa);
  const auto before = std::chrono::system_clock::now();
  const Bytes token = RawToken(tsa, kText, v);
  auto a = VerifyTimestampToken(token, kText, v);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(before.time_since_epoch()).count();
  EXPECT_LE(std::llabs(a->time_ms - now_ms), 5000) << "genTime is the TSA's clock, a second's precision";
  EXPECT_EQ(a->tsa, "tsa.example");
  EXPECT_NE(a->subject.find("CN=Test TSA 1"), std::string::npos) << a->subject;
  EXPECT_FALSE(a->serial.empty());
}

TEST(Timestamp, ATokenForAnotherTextIsRefused) {
  TestTsa tsa = MustTsa("Test TSA 1");
  const TimestampVerifier v = VerifierOf(tsa);
  const Bytes token = RawToken(tsa, kText, v);
  auto a = VerifyTimestampToken(token, "example.com/log\n8\nother\n", v);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("for another text"), std::string::npos) << a.status().ToString();
}

TEST(Timestamp, ATokenByAnotherTsaIsRefused) {
  TestTsa real = MustTsa("Test TSA 1");
  TestTsa other = MustTsa("Test TSA 2");
  const Bytes token = RawToken(other, kText, VerifierOf(other));
  auto a = VerifyTimestampToken(token, kText, VerifierOf(real));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Status::Code::kCorruption);
  EXPECT_NE(a.status().message().find("not signed by the TSA's certificate"), std::string::npos) << a.status().ToString();
}

TEST(Timestamp, AnExpiredCertificateIsRefused) {
  TestTsa expired = MustTsa("Expired TSA", -48, -24);
  auto req = MakeTimestampRequest(kText);
  ASSERT_TRUE(req.ok());
  auto resp = expired.Answer(req->der);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  auto token = TokenFromResponse(*resp, *req, VerifierOf(expired).cert);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.status().message().find("certificate has expired"), std::string::npos) << token.status().ToString();
}

TEST(Timestamp, AnAnswerToAnotherRequestIsRefused) {
  TestTsa tsa = MustTsa("Test TSA 1");
  auto first = MakeTimestampRequest(kText);
  auto second = MakeTimestampRequest(kText);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->nonce, second->nonce);
  auto resp = tsa.Answer(first->der);
  ASSERT_TRUE(resp.ok());
  auto token = TokenFromResponse(*resp, *second, VerifierOf(tsa).cert);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.status().message().find("nonce"), std::string::npos) << token.status().ToString();
}

TEST(Timestamp, BytesThatAreNotATokenOrAnAnswerGetASentence) {
  TestTsa tsa = MustTsa("Test TSA 1");
  const TimestampVerifier v = VerifierOf(tsa);
  const Bytes junk = {0x30, 0x03, 0x02, 0x01, 0x01};
  auto a = VerifyTimestampToken(junk, kText, v);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Status::Code::kInvalidArgument);
  auto req = MakeTimestampRequest(kText);
  auto t = TokenFromResponse(junk, *req, v.cert);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not a DER TimeStampResp"), std::string::npos);
  // Every truncation of a real token is refused, never a crash.
  const Bytes token = RawToken(tsa, kText, v);
  for (size_t cut = 0; cut < token.size(); cut += 7) {
    EXPECT_FALSE(VerifyTimestampToken(ByteSpan(token.data(), cut), kText, v).ok()) << "cut " << cut;
  }
  EXPECT_FALSE(TsaCertificate::FromPem("not a certificate").ok());
}

TEST(Timestamp, ANoteLineIsFoundByNameAndKeyIdAndChecked) {
  TestTsa tsa = MustTsa("Test TSA 1");
  const TimestampVerifier v = VerifierOf(tsa);
  const SigningKey log_key = SigningKey::Generate();
  auto signed_note = SignNote(std::string(kText), "example.com/log", log_key);
  ASSERT_TRUE(signed_note.ok());
  const Bytes token = RawToken(tsa, kText, v);
  const std::string with_line = *signed_note + TimestampLine(v, token);
  auto note = Note::Parse(with_line);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  auto found = VerifyNoteTimestamps(*note, v);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].tsa, "tsa.example");
  // Another TSA's verifier finds no line of its own.
  EXPECT_TRUE(VerifyNoteTimestamps(*note, VerifierOf(MustTsa("Test TSA 2"), "other-tsa.example"))->empty());
  // A changed byte in the token's signature (its last bytes) is refused,
  // naming the TSA. (A byte flipped elsewhere, such as in a certificate the
  // token carries outside its signature, did not always make it fail.)
  Note altered = *note;
  altered.signatures.back().sig.back() ^= 0x01;
  auto bad = VerifyNoteTimestamps(altered, v);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("time stamp by tsa.example"), std::string::npos) << bad.status().ToString();
}

}  // namespace
}  // namespace custos
