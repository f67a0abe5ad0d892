#include "crypto/note.h"

#include <gtest/gtest.h>

#include <random>

#include "crypto/keyfile.h"
#include "tests/crypto/test_seed.h"

namespace custos {
namespace {

// Known-answer values from Go's golang.org/x/mod/sumdb/note tests (note_test.go).
constexpr char kPeterSkey[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr char kPeterVkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr char kEnochVkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr char kGoText[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr char kPeterSig[] =
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr char kEnochSig[] =
    "\xE2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

constexpr char kCheckpoint[] =
    "custos.example/bureau-1\n"
    "42\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

const std::string kGoNote = std::string(kGoText) + "\n" + kPeterSig;

NoteVerifier Vkey(std::string_view s) { return NoteVerifier::Parse(s).value(); }
SigningKey KeyFromByte(uint8_t fill) { return SigningKey::FromSeed(Bytes(32, fill)).value(); }

Status::Code OpenCode(std::string_view msg, const NoteVerifier& v) { return OpenNote(msg, v).status().code(); }

TEST(NoteGoVectorTest, SigningReproducesGoOutput) {
  NamedKey peter = ParseSignerKey(kPeterSkey).value();
  Result<std::string> signed_note = SignNote(kGoText, peter.name, peter.key);
  ASSERT_TRUE(signed_note.ok()) << signed_note.status().ToString();
  EXPECT_EQ(*signed_note, kGoNote);
}

TEST(NoteGoVectorTest, VerifierKeysAndKeyIds) {
  NoteVerifier peter = Vkey(kPeterVkey);
  EXPECT_EQ(peter.name, "PeterNeumann");
  EXPECT_EQ(peter.key_id, 0xc74f20a3u);
  EXPECT_EQ(peter.alg, kAlgEd25519);
  EXPECT_EQ(NoteKeyId("PeterNeumann", kAlgEd25519, peter.key), 0xc74f20a3u);
  EXPECT_EQ(peter.ToString(), kPeterVkey);
  EXPECT_EQ(Vkey(kEnochVkey).key_id, 0xaf0cfe78u);
}

TEST(NoteGoVectorTest, OpensGoNotes) {
  Result<Note> n = OpenNote(kGoNote, Vkey(kPeterVkey));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->text, kGoText);
  // Two signatures; each verifier checks its own and keeps the other.
  std::string both = std::string(kGoText) + "\n" + kPeterSig + kEnochSig;
  for (const char* vkey : {kPeterVkey, kEnochVkey}) {
    Result<Note> opened = OpenNote(both, Vkey(vkey));
    ASSERT_TRUE(opened.ok()) << vkey << ": " << opened.status().ToString();
    EXPECT_EQ(opened->signatures.size(), 2u);
  }
}

// Go's TestNewVerifier bad keys, plus our own.
TEST(NoteGoVectorTest, RejectsBadVerifierKeys) {
  const char* kBad[] = {
      "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  // wrong length
      "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",          // unknown alg
      "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",          // wrong key id
      "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",           // short key id
      "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",           // other name
      "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",         // space in name
      "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",                       // empty name
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",        // newline
      "PeterNeumann+c74f20a3",
      "",
  };
  for (const char* vkey : kBad) {
    EXPECT_EQ(NoteVerifier::Parse(vkey).status().code(), Status::Code::kInvalidArgument) << vkey;
  }
}

// Go's TestOpen "invalid encoded message syntax" cases, and tampering.
TEST(NoteGoVectorTest, RejectsGoBadMessages) {
  const std::string text = kGoText, sig = kPeterSig;
  const std::string kMalformed[] = {
      text,
      text + "\n",
      text + "\n" + sig.substr(0, sig.size() - 1),
      "\x01" + text + "\n" + sig,
      "\xff" + text + "\n" + sig,
      text + "\n" + "\xE2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
      text + "\n" + sig + "Unexpected line.\n",
  };
  NoteVerifier peter = Vkey(kPeterVkey);
  for (const std::string& msg : kMalformed) {
    EXPECT_EQ(OpenCode(msg, peter), Status::Code::kInvalidArgument) << msg;
  }
  // Go's "invalid signature" case: four characters spliced into the signature.
  std::string spliced = text + "\n" + sig.substr(0, 60) + "ABCD" + sig.substr(60);
  EXPECT_EQ(OpenCode(spliced, peter), Status::Code::kCorruption);
  // No verifiable signature: Enoch's note opened with Peter's key.
  EXPECT_EQ(OpenCode(text + "\n" + kEnochSig, peter), Status::Code::kCorruption);
}

class NoteTest : public ::testing::Test {
 protected:
  const SigningKey key_ = KeyFromByte(1);
  const NoteVerifier vkey_ = NoteVerifier::ForKey("custos.example/bureau-1", key_.public_key());
  std::string Signed(std::string_view text = kCheckpoint) { return SignNote(text, vkey_.name, key_).value(); }
};

TEST_F(NoteTest, VerifiesWithTheVerifierKeyStringAlone) {
  std::string note = Signed();
  Result<NoteVerifier> v = NoteVerifier::Parse(vkey_.ToString());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  Result<Note> n = OpenNote(note, *v);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->text, kCheckpoint);
  ASSERT_EQ(n->signatures.size(), 1u);
  EXPECT_EQ(n->signatures[0].name, "custos.example/bureau-1");
  EXPECT_EQ(n->signatures[0].key_id, vkey_.key_id);
  EXPECT_EQ(n->Serialize(), note);
}

TEST_F(NoteTest, RejectsAnotherKey) {
  SigningKey other = KeyFromByte(2);
  std::string note = SignNote(kCheckpoint, vkey_.name, other).value();
  // Same name, different key: a different key id, so no signature of ours.
  Status s = OpenNote(note, vkey_).status();
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
}

TEST_F(NoteTest, RejectsChangedBody) {
  std::string note = Signed();
  note[note.find("42")] = '3';
  EXPECT_EQ(OpenCode(note, vkey_), Status::Code::kCorruption);
}

TEST_F(NoteTest, RejectsChangedSignatureByte) {
  const std::string note = Signed();
  Note parsed = Note::Parse(note).value();
  for (size_t i = 0; i < parsed.signatures[0].sig.size(); ++i) {
    Note bad = parsed;
    bad.signatures[0].sig[i] ^= 0x01;
    EXPECT_EQ(OpenCode(bad.Serialize(), vkey_), Status::Code::kCorruption) << "byte " << i;
  }
}

TEST_F(NoteTest, RejectsWrongKeyName) {
  NoteVerifier renamed = NoteVerifier::ForKey("custos.example/bureau-2", key_.public_key());
  EXPECT_EQ(OpenCode(Signed(), renamed), Status::Code::kCorruption);
  // A verifier whose name matches but whose id was copied from another name.
  NoteVerifier spoofed = renamed;
  spoofed.name = vkey_.name;
  EXPECT_EQ(OpenCode(Signed(), spoofed), Status::Code::kCorruption);
}

TEST_F(NoteTest, RejectsMissingBlankLine) {
  std::string note = Signed();
  note.erase(note.find("\n\n"), 1);
  EXPECT_EQ(OpenCode(note, vkey_), Status::Code::kInvalidArgument);
}

TEST_F(NoteTest, RejectsOversized) {
  std::string big(kMaxNoteSize, 'x');
  big.back() = '\n';
  EXPECT_EQ(SignNote(big, vkey_.name, key_).status().code(), Status::Code::kInvalidArgument);
  std::string note = Signed();
  note.insert(0, kMaxNoteSize, '\n');
  EXPECT_EQ(OpenCode(note, vkey_), Status::Code::kInvalidArgument);
  // Just under the limit is fine.
  std::string fits(kMaxNoteSize - 200, 'y');
  fits.back() = '\n';
  std::string ok_note = Signed(fits);
  EXPECT_LE(ok_note.size(), kMaxNoteSize);
  EXPECT_TRUE(OpenNote(ok_note, vkey_).ok());
}

TEST_F(NoteTest, SignatureCountLimit) {
  std::string note = Signed();
  Note n = Note::Parse(note).value();
  for (int i = 0; i < 99; ++i) n.signatures.push_back({"w" + std::to_string(i), 1, Bytes(64, 1)});
  EXPECT_TRUE(OpenNote(n.Serialize(), vkey_).ok());  // exactly 100
  n.signatures.push_back({"one-too-many", 1, Bytes(64, 1)});
  EXPECT_EQ(OpenCode(n.Serialize(), vkey_), Status::Code::kInvalidArgument);
}

TEST_F(NoteTest, RejectsBadTextWhenSigning) {
  const std::string kBad[] = {"no newline", std::string("nul\0byte\n", 9), "tab\there\n", "cr\r\n",
                              "\xC0\xAF overlong\n", "\xED\xA0\x80 surrogate\n", ""};
  for (const std::string& text : kBad) {
    EXPECT_EQ(SignNote(text, vkey_.name, key_).status().code(), Status::Code::kInvalidArgument) << text;
  }
  EXPECT_EQ(SignNote(kCheckpoint, "bad name", key_).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(NoteTest, RejectsMalformedSignatureLines) {
  const std::string text = kCheckpoint;
  const std::string kBad[] = {
      text + "\n- name AAAAAAA=\n",                    // ASCII dash
      text + "\n\xE2\x80\x94name AAAAAAA=\n",          // no space after the dash
      text + "\n\xE2\x80\x94  AAAAAAA=\n",             // empty name
      text + "\n\xE2\x80\x94 name\n",                  // no signature
      text + "\n\xE2\x80\x94 name AAAA\n",             // fewer than 5 bytes
      text + "\n\xE2\x80\x94 name AAAAAAB=\n",         // non-canonical base64
      text + "\n\xE2\x80\x94 name AAAAAAA= \n",        // trailing space
      text + "\n\xE2\x80\x94 a+b AAAAAAA=\n",          // '+' in the name
      text + "\n\xE2\x80\x94 a\xC2\xA0" "b AAAAAAA=\n",  // NBSP in the name
      text + "\n",                                     // no signature lines
      std::string("\n"),
  };
  for (const std::string& msg : kBad) {
    EXPECT_EQ(Note::Parse(msg).status().code(), Status::Code::kInvalidArgument) << msg;
  }
}

TEST_F(NoteTest, TextMayHoldBlankLines) {
  const std::string text = "first\n\nsecond\n\n";
  Result<Note> n = OpenNote(Signed(text), vkey_);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->text, text);
}

TEST_F(NoteTest, EverySignatureByTheKeyMustVerify) {
  Note n = Note::Parse(Signed()).value();
  NoteSignature bad = n.signatures[0];
  bad.sig[0] ^= 1;
  n.signatures.push_back(bad);
  EXPECT_EQ(OpenCode(n.Serialize(), vkey_), Status::Code::kCorruption);
}

TEST_F(NoteTest, AddSignatureKeepsOthersAndReplacesOwn) {
  SigningKey second = KeyFromByte(7);
  NoteVerifier second_v = NoteVerifier::ForKey("custos.example/court", second.public_key());
  std::string note = AddNoteSignature(Signed(), second_v.name, second).value();
  EXPECT_TRUE(OpenNote(note, vkey_).ok());
  EXPECT_TRUE(OpenNote(note, second_v).ok());
  std::string again = AddNoteSignature(note, second_v.name, second).value();
  EXPECT_EQ(again, note);  // deterministic signature, replaced in place of a duplicate
  EXPECT_EQ(Note::Parse(again)->signatures.size(), 2u);
  EXPECT_EQ(AddNoteSignature("garbage", second_v.name, second).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(NoteTest, OpenNeedsAnEd25519Verifier) {
  NoteVerifier witness = NoteVerifier::ForKey(vkey_.name, key_.public_key(), kAlgCosignatureV1);
  EXPECT_EQ(OpenCode(Signed(), witness), Status::Code::kInvalidArgument);
}

TEST(NoteKeyNameTest, Validity) {
  for (const char* good : {"custos.example/bureau-1", "PeterNeumann", "oid/1.2.3", "\xE5\x8F\xB8\xE6\xB3\x95"}) {
    EXPECT_TRUE(IsValidKeyName(good)) << good;
  }
  const char* kBad[] = {"", "a+b", "a b", "a\tb", "a\nb", "a\xC2\xA0" "b", "a\xE3\x80\x80" "b",
                        "a\xE2\x80\x8A" "b", "a\x7f", "a\xC2\x85", "\xff", "a\xE2\x80"};
  for (const char* bad : kBad) EXPECT_FALSE(IsValidKeyName(bad)) << bad;
}

TEST(NoteVerifierTest, RoundTripsBothKeyTypes) {
  SigningKey key = KeyFromByte(4);
  for (uint8_t alg : {kAlgEd25519, kAlgCosignatureV1}) {
    NoteVerifier v = NoteVerifier::ForKey("witness.example/w1", key.public_key(), alg);
    Result<NoteVerifier> back = NoteVerifier::Parse(v.ToString());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->alg, alg);
    EXPECT_EQ(back->key_id, v.key_id);
    EXPECT_EQ(back->key, v.key);
  }
}

// Random single-byte corruptions of a signed note: never accepted, never a crash.
TEST_F(NoteTest, RandomCorruptionIsNeverAccepted) {
  std::mt19937_64 rng(::custos::testing::TestSeed("NoteTest.RandomCorruptionIsNeverAccepted", 6962));
  const std::string note = AddNoteSignature(Signed(), "other", KeyFromByte(9)).value();
  for (int i = 0; i < 3000; ++i) {
    std::string bad = note;
    size_t at = rng() % bad.size();
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
    Result<Note> opened = OpenNote(bad, vkey_);
    // Corrupting the other signer's line only is harmless: ours still verifies.
    if (opened.ok()) {
      EXPECT_GT(at, note.find("\xE2\x80\x94 other")) << "byte " << at;
      EXPECT_EQ(opened->text, kCheckpoint);
    }
  }
}

}  // namespace
}  // namespace custos
