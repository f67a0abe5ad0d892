// SM2 signatures (crypto/sm2.h): the example of GM/T 0003.5-2012 Annex A
// (the same in GB/T 32918.5-2016) as a known answer, and the `openssl`
// command line as an independent verifier and signer.
#include "crypto/sm2.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace custos {
namespace {

Bytes Hex(std::string_view hex) { return *HexDecode(hex); }

// DER SEQUENCE { INTEGER r, INTEGER s } of two 32-byte big-endian integers.
Bytes DerSignature(const Bytes& r, const Bytes& s) {
  auto integer = [](const Bytes& v) {
    Bytes out{0x02};
    const bool pad = (v[0] & 0x80) != 0;
    out.push_back(static_cast<uint8_t>(v.size() + (pad ? 1 : 0)));
    if (pad) out.push_back(0x00);
    out.insert(out.end(), v.begin(), v.end());
    return out;
  };
  Bytes body = integer(r);
  Bytes second = integer(s);
  body.insert(body.end(), second.begin(), second.end());
  Bytes out{0x30, static_cast<uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// GM/T 0003.5-2012 Annex A: the recommended curve, the default id, the
// message "message digest", the private key dA and the signature (r, s)
// the standard gives for its nonce.
constexpr char kStandardD[] = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
constexpr char kStandardR[] = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
constexpr char kStandardS[] = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";
constexpr char kStandardMessage[] = "message digest";

TEST(Sm2Test, TheStandardsExampleSignatureVerifies) {
  const Sm2Key key = *Sm2Key::FromPrivateScalar(Hex(kStandardD));
  const Bytes pub = key.PublicKey();
  ASSERT_EQ(pub.size(), kSm2PublicKeyBytes);
  // The standard's public key PA = dA·G.
  EXPECT_EQ(HexEncode(ByteSpan(pub.data() + 1, 32)), "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020");
  EXPECT_EQ(HexEncode(ByteSpan(pub.data() + 33, 32)), "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13");
  const Bytes sig = DerSignature(Hex(kStandardR), Hex(kStandardS));
  EXPECT_TRUE(Sm2Verify(pub, AsBytes(kStandardMessage), sig).ok());
  // Anything else changed: refused.
  EXPECT_EQ(Sm2Verify(pub, AsBytes("message digesT"), sig).code(), Status::Code::kCorruption);
  EXPECT_EQ(Sm2Verify(pub, AsBytes(kStandardMessage), sig, "ALICE123@YAHOO.COM").code(), Status::Code::kCorruption);
  Bytes other_s = Hex(kStandardS);
  other_s[31] ^= 1;
  EXPECT_EQ(Sm2Verify(pub, AsBytes(kStandardMessage), DerSignature(Hex(kStandardR), other_s)).code(),
            Status::Code::kCorruption);
}

TEST(Sm2Test, SignVerifyAndPemRoundTrip) {
  const Sm2Key key = *Sm2Key::Generate();
  const Bytes sig = *key.Sign(AsBytes("checkpoint text\n"));
  EXPECT_TRUE(Sm2Verify(key.PublicKey(), AsBytes("checkpoint text\n"), sig).ok());
  const Sm2Key again = *Sm2Key::FromPem(key.ToPem());
  EXPECT_EQ(again.PublicKey(), key.PublicKey());
  EXPECT_TRUE(Sm2Verify(again.PublicKey(), AsBytes("x"), *again.Sign(AsBytes("x"))).ok());
  // Malformed inputs: a sentence, never an abort.
  EXPECT_EQ(Sm2Key::FromPem("not a key").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Sm2Verify(Bytes(65, 0x04), AsBytes("x"), sig).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Sm2Verify(Bytes(33, 0x02), AsBytes("x"), sig).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Sm2Verify(key.PublicKey(), AsBytes("x"), Bytes{0x30, 0x00}).code(), Status::Code::kCorruption);
  EXPECT_EQ(Sm2Key::FromPrivateScalar(Bytes(32, 0)).status().code(), Status::Code::kInvalidArgument);
}

// The openssl command line checks our signature, and we check its.
class Sm2OpensslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / "sm2_openssl";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl command";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const char* name) const { return (dir_ / name).string(); }
  void Write(const char* name, std::string_view bytes) const {
    std::ofstream(Path(name), std::ios::binary) << bytes;
  }
  std::string Read(const char* name) const {
    std::ifstream in(Path(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  int Openssl(const std::string& args) const {
    return std::system(("cd " + dir_.string() + " && openssl " + args + " >out.txt 2>&1").c_str());
  }
  std::filesystem::path dir_;
};

TEST_F(Sm2OpensslTest, OpensslVerifiesOurSignatureAndWeVerifyItsOwn) {
  const Sm2Key key = *Sm2Key::Generate();
  const std::string message = "custos/checkpoint\n42\nroot\n";
  Write("msg", message);
  Write("pub.pem", key.PublicKeyPem());
  const Bytes sig = *key.Sign(AsBytes(message));
  Write("ours.sig", AsString(sig));
  const std::string verify = "pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg -digest sm3 -pkeyopt distid:" +
                             std::string(kSm2DefaultId);
  EXPECT_EQ(Openssl(verify + " -sigfile ours.sig"), 0) << Read("out.txt");
  Write("other.msg", message + "x");
  EXPECT_NE(Openssl("pkeyutl -verify -pubin -inkey pub.pem -rawin -in other.msg -digest sm3 -pkeyopt distid:" +
                    std::string(kSm2DefaultId) + " -sigfile ours.sig"),
            0)
      << "openssl accepted our signature of another message";

  // Its key and signature, checked here.
  ASSERT_EQ(Openssl("genpkey -algorithm SM2 -out theirs.pem"), 0) << Read("out.txt");
  ASSERT_EQ(Openssl("pkeyutl -sign -inkey theirs.pem -rawin -in msg -digest sm3 -pkeyopt distid:" +
                    std::string(kSm2DefaultId) + " -out theirs.sig"),
            0)
      << Read("out.txt");
  const Sm2Key theirs = *Sm2Key::FromPem(Read("theirs.pem"));
  EXPECT_TRUE(Sm2Verify(theirs.PublicKey(), AsBytes(message), AsBytes(Read("theirs.sig"))).ok());
}

}  // namespace
}  // namespace custos

#include "crypto/sm2_note.h"

namespace custos {
namespace {

TEST(Sm2NoteTest, ASecondLineBesideEd25519VerifiesAndNamesItsKey) {
  const SigningKey ed = SigningKey::Generate();
  const Sm2Key sm2 = *Sm2Key::Generate();
  const std::string name = "suzhou-ipb.example/custos";
  const std::string signed_note = *SignNote("suzhou-ipb.example/custos\n3\nroot\n", name, ed);
  const std::string both = *AddSm2NoteSignature(signed_note, name, sm2);
  const Note note = *Note::Parse(both);
  ASSERT_EQ(note.signatures.size(), 2u);
  // The Ed25519 line still opens the note; the SM2 line verifies with its key.
  EXPECT_TRUE(OpenNote(both, NoteVerifier::ForKey(name, ed.public_key())).ok());
  const Sm2NoteVerifier v = Sm2NoteVerifier::ForKey(name, sm2.PublicKey());
  EXPECT_TRUE(VerifySm2NoteSignature(note, v).ok());
  // The verifier key string round-trips; a wrong id or type is refused.
  const std::string vkey = v.ToString();
  EXPECT_EQ(Sm2NoteVerifier::Parse(vkey)->public_key, sm2.PublicKey());
  std::string wrong_id = vkey;
  wrong_id[name.size() + 1] = wrong_id[name.size() + 1] == '0' ? '1' : '0';
  EXPECT_EQ(Sm2NoteVerifier::Parse(wrong_id).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Sm2NoteVerifier::Parse(NoteVerifier::ForKey(name, ed.public_key()).ToString()).status().code(),
            Status::Code::kInvalidArgument);
  // Signing again replaces the line; another key's verifier finds none.
  EXPECT_EQ(Note::Parse(*AddSm2NoteSignature(both, name, sm2))->signatures.size(), 2u);
  const Sm2NoteVerifier other = Sm2NoteVerifier::ForKey(name, Sm2Key::Generate()->PublicKey());
  EXPECT_NE(VerifySm2NoteSignature(note, other).message().find("no SM2 signature"), std::string::npos);
  // A changed text: the SM2 line no longer verifies.
  Note altered = note;
  altered.text = "suzhou-ipb.example/custos\n4\nroot\n";
  EXPECT_NE(VerifySm2NoteSignature(altered, v).message().find("invalid SM2 signature"), std::string::npos);
}

// An SM2 cosignature (docs/sm2.md): the cosignature/v1 message signed with
// SM2, its timestamp kept; refused by another key, with another timestamp
// or over another text.
TEST(Sm2NoteTest, AnSm2CosignatureVerifiesWithItsTimestampAndOnlyThere) {
  const Sm2Key key = *Sm2Key::Generate();
  const std::string text = "example.com/log\n3\nYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=\n";
  auto sig = Sm2Cosign(text, "witness.example", key, 1720000000);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  const Sm2NoteVerifier v = Sm2NoteVerifier::ForKey("witness.example", key.PublicKey());
  auto ts = VerifySm2Cosignature(text, *sig, v);
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  EXPECT_EQ(*ts, 1720000000u);
  EXPECT_NE(sig->key_id, v.key_id) << "a cosignature's key id is not the note signature's";
  EXPECT_FALSE(VerifySm2Cosignature(text + "x\n", *sig, v).ok()) << "another text";
  NoteSignature later = *sig;
  later.sig[7] ^= 0x01;  // the timestamp's last byte
  EXPECT_EQ(VerifySm2Cosignature(text, later, v).status().code(), Status::Code::kCorruption);
  const Sm2NoteVerifier other = Sm2NoteVerifier::ForKey("witness.example", Sm2Key::Generate()->PublicKey());
  EXPECT_EQ(VerifySm2Cosignature(text, *sig, other).status().code(), Status::Code::kInvalidArgument) << "not by that key";
}

}  // namespace
}  // namespace custos
