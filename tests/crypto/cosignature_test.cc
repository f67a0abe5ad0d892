#include "crypto/cosignature.h"

#include <gtest/gtest.h>

namespace custos {
namespace {

constexpr char kCheckpoint[] =
    "custos.example/bureau-1\n"
    "42\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
constexpr uint64_t kTime = 1679315147;

SigningKey KeyFromByte(uint8_t fill) { return SigningKey::FromSeed(Bytes(32, fill)).value(); }

class CosignatureTest : public ::testing::Test {
 protected:
  const SigningKey witness_key_ = KeyFromByte(0x21);
  const NoteVerifier witness_ =
      NoteVerifier::ForKey("witness.example/w1", witness_key_.public_key(), kAlgCosignatureV1);
  NoteSignature Sign(uint64_t t = kTime) { return Cosign(kCheckpoint, witness_.name, witness_key_, t); }
  Status::Code VerifyCode(std::string_view text, const NoteSignature& sig) {
    return VerifyCosignature(text, sig, witness_).status().code();
  }
};

TEST_F(CosignatureTest, RoundTrip) {
  NoteSignature sig = Sign();
  Result<uint64_t> t = VerifyCosignature(kCheckpoint, sig, witness_);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, kTime);
  ASSERT_EQ(sig.sig.size(), 72u);
  EXPECT_EQ(GetBigEndian64(sig.sig.data()), kTime);
  // The signature is plain Ed25519 over the cosignature/v1 message.
  std::string message = std::string("cosignature/v1\ntime 1679315147\n") + kCheckpoint;
  Signature raw = *Signature::FromSpan(ByteSpan(sig.sig).subspan(8));
  EXPECT_TRUE(VerifySignature(witness_key_.public_key(), AsBytes(message), raw));
}

TEST_F(CosignatureTest, KeyIdUsesType04) {
  NoteSignature sig = Sign();
  EXPECT_EQ(sig.key_id, NoteKeyId(witness_.name, 0x04, witness_key_.public_key()));
  EXPECT_NE(sig.key_id, NoteKeyId(witness_.name, 0x01, witness_key_.public_key()));
  EXPECT_EQ(sig.key_id, witness_.key_id);
  // The verifier key string carries the 0x04 type byte.
  std::string vkey = witness_.ToString();
  size_t key_at = vkey.find('+', vkey.find('+') + 1) + 1;  // base64 may itself hold '+'
  std::optional<Bytes> material = Base64Decode(vkey.substr(key_at));
  ASSERT_TRUE(material) << vkey;
  EXPECT_EQ((*material)[0], 0x04);
  EXPECT_EQ(NoteVerifier::Parse(vkey)->alg, kAlgCosignatureV1);
}

TEST_F(CosignatureTest, RejectsTamperedTimestamp) {
  for (int byte = 0; byte < 8; ++byte) {
    NoteSignature sig = Sign();
    sig.sig[byte] ^= 0x01;
    EXPECT_EQ(VerifyCode(kCheckpoint, sig), Status::Code::kCorruption) << "byte " << byte;
  }
}

TEST_F(CosignatureTest, RejectsTamperedText) {
  std::string text = kCheckpoint;
  text[text.find("42")] = '3';
  EXPECT_EQ(VerifyCode(text, Sign()), Status::Code::kCorruption);
  EXPECT_EQ(VerifyCode(std::string(kCheckpoint) + "extension\n", Sign()), Status::Code::kCorruption);
}

TEST_F(CosignatureTest, RejectsTamperedSignature) {
  for (size_t byte = 8; byte < 72; ++byte) {
    NoteSignature sig = Sign();
    sig.sig[byte] ^= 0x80;
    EXPECT_EQ(VerifyCode(kCheckpoint, sig), Status::Code::kCorruption) << "byte " << byte;
  }
  NoteSignature truncated = Sign();
  truncated.sig.pop_back();
  EXPECT_EQ(VerifyCode(kCheckpoint, truncated), Status::Code::kCorruption);
}

TEST_F(CosignatureTest, RejectsTimestampAbove2To63) {
  // Sign a too-large time by hand: the field must still be refused.
  const uint64_t t = uint64_t{1} << 63;
  std::string message = "cosignature/v1\ntime " + std::to_string(t) + "\n" + kCheckpoint;
  Signature s = witness_key_.Sign(AsBytes(message));
  std::string field;
  PutBigEndian64(&field, t);
  field.append(AsString(s.span()));
  NoteSignature sig{witness_.name, witness_.key_id, Bytes(field.begin(), field.end())};
  EXPECT_EQ(VerifyCode(kCheckpoint, sig), Status::Code::kCorruption);
}

TEST_F(CosignatureTest, RejectsWrongVerifier) {
  NoteVerifier as_note_key = NoteVerifier::ForKey(witness_.name, witness_key_.public_key(), kAlgEd25519);
  EXPECT_EQ(VerifyCosignature(kCheckpoint, Sign(), as_note_key).status().code(),
            Status::Code::kInvalidArgument);
  NoteVerifier other = NoteVerifier::ForKey("witness.example/w2", KeyFromByte(0x22).public_key(),
                                            kAlgCosignatureV1);
  EXPECT_EQ(VerifyCosignature(kCheckpoint, Sign(), other).status().code(), Status::Code::kInvalidArgument);
}

// A checkpoint signed by its origin and cosigned by a witness: the origin key
// opens it, the witness line checks, and each ignores the other's line.
TEST_F(CosignatureTest, CosignedCheckpointNote) {
  SigningKey origin_key = KeyFromByte(0x11);
  NoteVerifier origin = NoteVerifier::ForKey("custos.example/bureau-1", origin_key.public_key());
  Note n = Note::Parse(SignNote(kCheckpoint, origin.name, origin_key).value()).value();
  n.signatures.push_back(Sign());
  std::string cosigned = n.Serialize();

  Result<Note> opened = OpenNote(cosigned, origin);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Result<uint64_t> t = VerifyNoteCosignature(*opened, witness_);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, kTime);

  NoteVerifier absent = NoteVerifier::ForKey("witness.example/w9", KeyFromByte(0x29).public_key(),
                                             kAlgCosignatureV1);
  EXPECT_EQ(VerifyNoteCosignature(*opened, absent).status().code(), Status::Code::kNotFound);

  opened->signatures.push_back(Sign(kTime + 60));  // a newer cosignature by the same witness
  EXPECT_EQ(*VerifyNoteCosignature(*opened, witness_), kTime + 60);
  opened->signatures.back().sig[20] ^= 1;
  EXPECT_EQ(VerifyNoteCosignature(*opened, witness_).status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace custos
