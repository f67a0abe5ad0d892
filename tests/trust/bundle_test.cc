// Evidence bundles (ledger/query/bundle.h, docs/evidence-bundle.md) built from real
// Stores on LevelDB: a custody chain across two agencies (the bureau
// registers and sends the evidence to the police, who receive it) bundled at
// the bureau's node and verified offline; each kind of tampering rejected
// with its own reason; a bundle made before later checkpoints still
// verifying; a witness policy the cosignatures do not meet named.
#include "trust/bundle_verify.h"

#include <gtest/gtest.h>
#include <kj/exception.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ledger/admission/bundle_entry.h"
#include "ledger/admission/entry_checker.h"
#include "crypto/timestamp.h"
#include "schema/json.h"
#include "tests/ledger/custody_federation.h"
#include "tests/tools/test_tsa.h"

namespace custos {
namespace {

using bundle::Failure;
using testing::custody::Agency;
using testing::custody::ContentOf;
using testing::custody::Dispose;
using testing::custody::Examine;
using testing::custody::Need;
using testing::custody::Receive;
using testing::custody::Register;
using testing::custody::Transfer;
using testing::custody::TrustOf;

constexpr char kIpb[] = "suzhou-ipb.example/custos";
constexpr char kPsb[] = "suzhou-psb.example/custos";
constexpr char kVideo[] = "the video of the raid";

// A copy of `bytes` with `change` applied to the bundle, in canonical form.
Bytes Mutate(const Bytes& bytes, const std::function<void(schema::EvidenceBundle::Reader, schema::EvidenceBundle::Builder)>& change) {
  auto parsed = Need(schema::ReadCanonical<schema::EvidenceBundle>(bytes, bundle::kMaxBundleBytes, "bundle"), "parse");
  capnp::MallocMessageBuilder message;
  message.setRoot(parsed.get());
  auto root = message.getRoot<schema::EvidenceBundle>();
  change(parsed.get(), root);
  return schema::Canonicalize(root.asReader());
}

// Replaces the first `from` in a Data field by `to` (same length).
void ReplaceIn(capnp::Data::Builder data, const std::string& from, const std::string& to) {
  std::string s(reinterpret_cast<const char*>(data.begin()), data.size());
  size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << "\"" << from << "\" is not in the data";
  std::copy(to.begin(), to.end(), data.begin() + static_cast<std::ptrdiff_t>(at));
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("custos-bundle-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    ipb_ = std::make_unique<Agency>(dir_ + "/ipb", kIpb, 1);
    psb_ = std::make_unique<Agency>(dir_ + "/psb", kPsb, 2);
  }
  void TearDown() override {
    ipb_.reset();
    psb_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The bureau registers the video, examines it, moves it within the bureau
  // (a transfer and its receipt), and sends it to the police, who receive
  // and examine it. Each witnesses the other's log.
  void PlayCustodyAcrossTwoAgencies() {
    Agency& ipb = *ipb_;
    Agency& psb = *psb_;
    ipb.Append(Register("E1", "证据室", ContentOf(kVideo)));
    ipb.Append(Examine("E1"));
    Receipt within = ipb.Append(Transfer("E1", "证据室", "检验科"));
    ipb.Append(Receive("E1", kIpb, within, "检验科"));
    Receipt sent = ipb.Append(Transfer("E1", "检验科", "刑警大队", kPsb));
    psb.Follow(ipb);
    psb.Append(Receive("E1", kIpb, sent, "刑警大队"));
    psb.Append(Examine("E1"));
    Witness();
  }
  void Witness() {
    psb_->Cosign(*ipb_);
    ipb_->Cosign(*psb_);
  }

  bundle::Verdict Verify(const Bytes& b, std::optional<Hash> file = ContentOf(kVideo), uint32_t quorum = 1) {
    return bundle::VerifyEvidenceBundle(b, TrustOf({kIpb, kPsb}, quorum), file);
  }

  void ExpectRefused(const Bytes& b, Failure failure, const std::string& part, std::optional<Hash> file = ContentOf(kVideo)) {
    bundle::Verdict v = Verify(b, file);
    EXPECT_EQ(v.failure, failure) << "got " << bundle::FailureName(v.failure) << ": " << v.message;
    EXPECT_NE(v.message.find(part), std::string::npos) << "message \"" << v.message << "\" should contain \"" << part << "\"";
  }

  std::string dir_;
  std::unique_ptr<Agency> ipb_, psb_;
};

TEST_F(BundleTest, ACustodyChainAcrossTwoAgenciesVerifiesOffline) {
  PlayCustodyAcrossTwoAgencies();
  Bytes b = ipb_->Bundle(ContentOf(kVideo));
  bundle::Verdict v = Verify(b);
  ASSERT_TRUE(v.ok()) << bundle::FailureName(v.failure) << ": " << v.message;
  const bundle::Account& a = v.account;
  EXPECT_EQ(a.evidence_id, "E1");
  EXPECT_TRUE(a.file_checked);
  EXPECT_EQ(a.media_type, "video/mp4");
  ASSERT_EQ(a.steps.size(), 7u);
  std::vector<std::string> kinds;
  for (const auto& s : a.steps) kinds.push_back(s.kind + "@" + s.origin + "#" + std::to_string(s.index));
  std::vector<std::string> want = {
      std::string("evidenceRegistered@") + kIpb + "#2", std::string("evidenceExamined@") + kIpb + "#3",
      std::string("custodyTransferred@") + kIpb + "#4", std::string("custodyReceived@") + kIpb + "#5",
      std::string("custodyTransferred@") + kIpb + "#6", std::string("custodyReceived@") + kPsb + "#2",
      std::string("evidenceExamined@") + kPsb + "#3"};
  EXPECT_EQ(kinds, want);
  EXPECT_EQ(a.steps[0].author_name, "张明 (enforcement officer)");
  EXPECT_EQ(a.state, std::string("held by 刑警大队 in ") + kPsb);
  ASSERT_EQ(a.checkpoints.size(), 2u);
  EXPECT_EQ(a.checkpoints[0].origin, kIpb);
  EXPECT_EQ(a.checkpoints[0].cosigners, std::vector<std::string>{kPsb});
  EXPECT_EQ(a.checkpoints[1].cosigners, std::vector<std::string>{kIpb});
  // Without the file, the same account, the file unchecked.
  bundle::Verdict no_file = Verify(b, std::nullopt);
  ASSERT_TRUE(no_file.ok()) << no_file.message;
  EXPECT_FALSE(no_file.account.file_checked);
  // The police's node, which holds the bureau's log too, makes an equal chain.
  psb_->Follow(*ipb_);
  bundle::Verdict from_psb = Verify(psb_->Bundle(ContentOf(kVideo)));
  ASSERT_TRUE(from_psb.ok()) << from_psb.message;
  EXPECT_EQ(from_psb.account.steps.size(), 7u);
}

TEST_F(BundleTest, AnotherFileIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  ExpectRefused(ipb_->Bundle(ContentOf(kVideo)), Failure::kFileDigest, "this is not the registered file",
                ContentOf("a re-encoded copy"));
}

TEST_F(BundleTest, ATamperedEntryIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  Bytes b = Mutate(ipb_->Bundle(ContentOf(kVideo)), [](auto, auto root) {
    ReplaceIn(root.getChain()[1].getEntry().getEntry(), "as registered", "as rEgistered");
  });
  ExpectRefused(b, Failure::kEntry, "custody step 2 of suzhou-ipb.example/custos: entry 3: signature");
}

TEST_F(BundleTest, ATamperedProofHashIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  Bytes b = Mutate(ipb_->Bundle(ContentOf(kVideo)), [](auto, auto root) {
    auto hash = root.getChain()[5].getEntry().getProof()[0];
    hash[0] ^= 1;
  });
  ExpectRefused(b, Failure::kInclusion, "suzhou-psb.example/custos entry 2: not proved in the checkpoint");
}

TEST_F(BundleTest, ATamperedCheckpointIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  Bytes b = Mutate(ipb_->Bundle(ContentOf(kVideo)), [](auto, auto root) {
    std::string note = root.getLogs()[0].getCheckpoint().cStr();
    note.replace(note.find('\n') + 1, 1, "9");  // the size line
    root.getLogs()[0].setCheckpoint(note);
  });
  ExpectRefused(b, Failure::kCheckpoint, "checkpoint of suzhou-ipb.example/custos");
}

TEST_F(BundleTest, ATamperedCosignatureIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  Bytes b = Mutate(ipb_->Bundle(ContentOf(kVideo)), [](auto, auto root) {
    std::string note = root.getLogs()[0].getCheckpoint().cStr();
    size_t line = note.find(std::string("— ") + kPsb);
    ASSERT_NE(line, std::string::npos);
    size_t at = note.find(' ', line + 4) + 20;  // inside the base64 signature
    note[at] = note[at] == 'A' ? 'B' : 'A';
    root.getLogs()[0].setCheckpoint(note);
  });
  ExpectRefused(b, Failure::kCosignature, "cosignature by suzhou-psb.example/custos");
}

TEST_F(BundleTest, AChainWithAStepDroppedIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  // Leave out the police's receipt: the transfer is followed by an examination.
  Bytes b = Mutate(ipb_->Bundle(ContentOf(kVideo)), [](auto original, auto root) {
    auto chain = root.initChain(original.getChain().size() - 1);
    for (capnp::uint i = 0, j = 0; i < original.getChain().size(); ++i) {
      if (i != 5) chain.setWithCaveats(j++, original.getChain()[i]);
    }
  });
  ExpectRefused(b, Failure::kCustodyGap, "must be followed by that agency's receipt");
  // Leave out the move within the bureau: the next transfer is from the wrong holder.
  Bytes c = Mutate(ipb_->Bundle(ContentOf(kVideo)), [](auto original, auto root) {
    auto chain = root.initChain(original.getChain().size() - 2);
    for (capnp::uint i = 0, j = 0; i < original.getChain().size(); ++i) {
      if (i != 2 && i != 3) chain.setWithCaveats(j++, original.getChain()[i]);
    }
  });
  ExpectRefused(c, Failure::kCustodyGap, "transfers from \"检验科\", but the evidence is held by \"证据室\"");
}

// Completeness (version 2, and 3 with compact maps): each log's checkpoint commits to the evidence's
// whole history there and to every grant and revoke of its authors; a bundle
// that leaves one out is refused even when what remains is a coherent chain.
TEST_F(BundleTest, AChainWithAnEntryLeftOutIsIncomplete) {
  PlayCustodyAcrossTwoAgencies();
  const Bytes whole = ipb_->Bundle(ContentOf(kVideo));
  bundle::Verdict v = Verify(whole);
  ASSERT_TRUE(v.ok()) << v.message;
  EXPECT_TRUE(v.account.complete);
  EXPECT_EQ(v.account.keys_proved, 4u) << "the officer's key and the admin's who granted it, in each log";
  // The bureau's examination (step 2) dropped: the chain is still coherent.
  Bytes b = Mutate(whole, [](auto original, auto root) {
    auto chain = root.initChain(original.getChain().size() - 1);
    for (capnp::uint i = 0, j = 0; i < original.getChain().size(); ++i) {
      if (i != 1) chain.setWithCaveats(j++, original.getChain()[i]);
    }
  });
  ExpectRefused(b, Failure::kIncomplete,
                "suzhou-ipb.example/custos: the bundle's 4 custody entries about evidence E1 are not the whole history "
                "its checkpoint at size 7 commits to: an entry about the evidence is left out");
  // The police's last examination dropped: the chain just ends earlier.
  Bytes c = Mutate(whole, [](auto original, auto root) {
    auto chain = root.initChain(original.getChain().size() - 1);
    for (capnp::uint i = 0; i + 1 < original.getChain().size(); ++i) chain.setWithCaveats(i, original.getChain()[i]);
  });
  ExpectRefused(c, Failure::kIncomplete, "suzhou-psb.example/custos: the bundle's 1 custody entry about evidence E1");
  // The bureau's custody proof taken from the police's log.
  Bytes d = Mutate(whole, [](auto original, auto root) {
    root.getLogs()[0].setCustodyProof(original.getLogs()[1].getCustodyProof());
  });
  ExpectRefused(d, Failure::kIncomplete, "suzhou-ipb.example/custos: the bundle's 5 custody entries");
  // No key proof for the officer: nothing shows every grant and revoke is there.
  Bytes e = Mutate(whole, [](auto, auto root) { root.getLogs()[0].initKeyProofs(0); });
  ExpectRefused(e, Failure::kIncomplete, "suzhou-ipb.example/custos entry 1: no authority proof for its author");
  // A version 1 bundle proves nothing about completeness.
  Bytes f = Mutate(whole, [](auto, auto root) { root.setVersion(1); });
  ExpectRefused(f, Failure::kVersion, "bundle version 1 carries no proof that it is complete");
  // Version 2's proofs are of the maps' earlier, full form.
  Bytes g = Mutate(whole, [](auto, auto root) { root.setVersion(2); });
  ExpectRefused(g, Failure::kVersion, "bundle version 2 proves completeness against an earlier form");
}

// Trusted time (RFC 3161, docs/timestamps.md): a token on a checkpoint by a
// TSA the trust file names is checked and reported. A line that claims that
// TSA's key but holds another TSA's token, a token for another text, and a
// token under an expired certificate are refused (timestamp); a line by a
// TSA the trust file does not name attests nothing.
TEST_F(BundleTest, TimeStampsOnCheckpointsAreCheckedAgainstTheTrustFilesTsa) {
  PlayCustodyAcrossTwoAgencies();
  const Bytes whole = ipb_->Bundle(ContentOf(kVideo));
  auto tsa = ::custos::testing::TestTsa::Create("Court TSA");
  auto other = ::custos::testing::TestTsa::Create("Another TSA");
  auto expired = ::custos::testing::TestTsa::Create("Expired TSA", -48, -24);
  ASSERT_TRUE(tsa.ok() && other.ok() && expired.ok());
  auto verifier_of = [](const ::custos::testing::TestTsa& t) {
    return *TimestampVerifier::For("tsa.example", *TsaCertificate::FromPem(t.certificate_pem()));
  };
  const TimestampVerifier v = verifier_of(*tsa);
  // The bureau's checkpoint in the bundle with one more line.
  auto with_line = [&](const std::function<std::string(const std::string& text)>& line) {
    return Mutate(whole, [&](auto original, auto root) {
      const std::string note = original.getLogs()[0].getCheckpoint().cStr();
      root.getLogs()[0].setCheckpoint(note + line(Note::Parse(note)->text));
    });
  };
  auto verify_with = [&](const Bytes& b, const TimestampVerifier& trusted) {
    trust::Federation trust = TrustOf({kIpb, kPsb}, 1);
    trust.SetTimestampAuthorities({trusted});
    return bundle::VerifyEvidenceBundle(b, trust, ContentOf(kVideo));
  };
  const Bytes stamped = with_line([&](const std::string& text) { return TimestampLine(v, *tsa->Token(text)); });
  bundle::Verdict ok = verify_with(stamped, v);
  ASSERT_TRUE(ok.ok()) << bundle::FailureName(ok.failure) << ": " << ok.message;
  ASSERT_EQ(ok.account.checkpoints[0].timestamps.size(), 1u);
  EXPECT_EQ(ok.account.checkpoints[0].timestamps[0].tsa, "tsa.example");
  EXPECT_TRUE(ok.account.checkpoints[1].timestamps.empty()) << "the police's checkpoint carries none";
  // The same bundle under a trust file that names no TSA: verified, no time attested.
  bundle::Verdict unnamed = Verify(stamped);
  ASSERT_TRUE(unnamed.ok()) << unnamed.message;
  EXPECT_TRUE(unnamed.account.checkpoints[0].timestamps.empty());

  const Bytes by_other = with_line([&](const std::string& text) { return TimestampLine(v, *other->Token(text)); });
  bundle::Verdict refused = verify_with(by_other, v);
  EXPECT_EQ(refused.failure, Failure::kTimestamp) << refused.message;
  EXPECT_NE(refused.message.find("not signed by the TSA's certificate in the trust file"), std::string::npos) << refused.message;

  const Bytes other_text = with_line([&](const std::string&) { return TimestampLine(v, *tsa->Token("another text\n")); });
  refused = verify_with(other_text, v);
  EXPECT_EQ(refused.failure, Failure::kTimestamp) << refused.message;
  EXPECT_NE(refused.message.find("for another text"), std::string::npos) << refused.message;

  const TimestampVerifier ve = verifier_of(*expired);
  const Bytes by_expired = with_line([&](const std::string& text) { return TimestampLine(ve, *expired->Token(text)); });
  refused = verify_with(by_expired, ve);
  EXPECT_EQ(refused.failure, Failure::kTimestamp) << refused.message;
  EXPECT_NE(refused.message.find("certificate has expired"), std::string::npos) << refused.message;
}

TEST_F(BundleTest, ARevokeOfAnAuthorLeftOutIsIncomplete) {
  PlayCustodyAcrossTwoAgencies();
  // The officer's key is revoked after the chain: a bundle made now carries
  // the revoke (it bears on the chain's author), and one without it is refused.
  ipb_->Append(
      [](schema::Statement::Builder s) {
        auto r = s.getBody().initKeyRevoke();
        auto officer = testing::custody::Officer().public_key();
        r.setKey(capnp::Data::Reader(officer.bytes.data(), officer.bytes.size()));
        r.setReason("调离");
      },
      testing::custody::Admin());
  Witness();
  const Bytes whole = ipb_->Bundle(ContentOf(kVideo));
  bundle::Verdict v = Verify(whole);
  ASSERT_TRUE(v.ok()) << v.message;
  auto authority = [&](const Bytes& b) {
    auto msg = Need(schema::ReadCanonical<schema::EvidenceBundle>(b, bundle::kMaxBundleBytes, "b"), "read");
    return msg.get().getLogs()[0].getAuthority().size();
  };
  ASSERT_EQ(authority(whole), 3u) << "genesis, the officer's grant and its revoke";
  Bytes b = Mutate(whole, [](auto original, auto root) {
    auto list = root.getLogs()[0].initAuthority(2);
    list.setWithCaveats(0, original.getLogs()[0].getAuthority()[0]);
    list.setWithCaveats(1, original.getLogs()[0].getAuthority()[1]);
  });
  ExpectRefused(b, Failure::kIncomplete,
                "suzhou-ipb.example/custos: the bundle's administration entries about the key of 张明 (enforcement officer)");
}

TEST_F(BundleTest, AReorderedChainIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  Bytes b = Mutate(ipb_->Bundle(ContentOf(kVideo)), [](auto original, auto root) {
    root.getChain().setWithCaveats(1, original.getChain()[2]);
    root.getChain().setWithCaveats(2, original.getChain()[1]);
  });
  ExpectRefused(b, Failure::kCustodyOrder, "custody step 3 (suzhou-ipb.example/custos entry 3) does not come after");
}

TEST_F(BundleTest, AnAuthorWithoutAGrantInTheBundleIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  // The bureau's authority entries without the officer's key grant (entry 1).
  Bytes b = Mutate(ipb_->Bundle(ContentOf(kVideo)), [](auto original, auto root) {
    auto authority = root.getLogs()[0].initAuthority(1);
    authority.setWithCaveats(0, original.getLogs()[0].getAuthority()[0]);
  });
  ExpectRefused(b, Failure::kAuthority, "is not known to this log");
}

TEST_F(BundleTest, ALogOutsideTheTrustPolicyIsRejected) {
  PlayCustodyAcrossTwoAgencies();
  bundle::Verdict v = bundle::VerifyEvidenceBundle(ipb_->Bundle(ContentOf(kVideo)), TrustOf({kIpb}, 0), std::nullopt);
  EXPECT_EQ(v.failure, Failure::kUntrustedLog) << v.message;
  EXPECT_NE(v.message.find(kPsb), std::string::npos) << v.message;
}

TEST_F(BundleTest, TooFewCosignaturesForTheWitnessPolicyAreRejectedNamingThePolicy) {
  PlayCustodyAcrossTwoAgencies();
  bundle::Verdict v = Verify(ipb_->Bundle(ContentOf(kVideo)), ContentOf(kVideo), 2);
  EXPECT_EQ(v.failure, Failure::kWitnessPolicy) << v.message;
  EXPECT_NE(v.message.find("has 1 valid cosignature(s)"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("needs 2 of suzhou-ipb.example/custos, suzhou-psb.example/custos"), std::string::npos)
      << v.message;
}

TEST_F(BundleTest, ABundleMadeBeforeLaterCheckpointsStillVerifies) {
  PlayCustodyAcrossTwoAgencies();
  Bytes early = ipb_->Bundle(ContentOf(kVideo));
  // More custody and more checkpoints, witnessed again.
  psb_->Append(Transfer("E1", "刑警大队", "物证室"));
  ipb_->Append(Register("E2", "证据室", ContentOf("another video")));
  Witness();
  bundle::Verdict v = Verify(early);
  ASSERT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.account.steps.size(), 7u);
  bundle::Verdict later = Verify(ipb_->Bundle(ContentOf(kVideo)));
  ASSERT_TRUE(later.ok()) << later.message;
  EXPECT_EQ(later.account.steps.size(), 8u);
  EXPECT_EQ(later.account.state, std::string("held by 物证室 in ") + kPsb);
}

TEST_F(BundleTest, AChainEndsAtDisposalAndInTransit) {
  ipb_->Append(Register("E2", "证据室", ContentOf("seized goods")));
  ipb_->Append(Dispose("E2"));
  ipb_->Append(Register("E3", "证据室", ContentOf("sealed box")));
  ipb_->Append(Transfer("E3", "证据室", "刑警大队", kPsb));
  Witness();
  bundle::Verdict disposed = Verify(ipb_->Bundle(ContentOf("seized goods")), std::nullopt);
  ASSERT_TRUE(disposed.ok()) << disposed.message;
  EXPECT_EQ(disposed.account.state, std::string("returned (") + kIpb + ")");
  bundle::Verdict in_transit = Verify(ipb_->Bundle(ContentOf("sealed box")), std::nullopt);
  ASSERT_TRUE(in_transit.ok()) << in_transit.message;
  EXPECT_EQ(in_transit.account.state, std::string("in transit from ") + kIpb + " to 刑警大队 in " + kPsb);
  // Nothing can follow a disposal: a step after it (forged into the chain) is refused.
  Bytes b = Mutate(ipb_->Bundle(ContentOf("seized goods")), [&](auto original, auto root) {
    Bytes other = ipb_->Bundle(ContentOf("sealed box"));
    auto parsed = Need(schema::ReadCanonical<schema::EvidenceBundle>(other, bundle::kMaxBundleBytes, "b"), "parse");
    auto chain = root.initChain(3);
    chain.setWithCaveats(0, original.getChain()[0]);
    chain.setWithCaveats(1, original.getChain()[1]);
    chain.setWithCaveats(2, parsed.get().getChain()[1]);
  });
  ExpectRefused(b, Failure::kAfterDisposal, "after the evidence was returned", std::nullopt);
}

TEST_F(BundleTest, AnUnknownDigestIsNotFound) {
  PlayCustodyAcrossTwoAgencies();
  auto logs = ipb_->Logs();
  auto r = bundle::BuildEvidenceBundle(logs, 0, ContentOf("never registered").span(), kIpb, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound) << r.status().ToString();
  EXPECT_NE(r.status().message().find("no evidence registered with the sha256 digest"), std::string::npos);
}

// ------------------------------------------------------------ hostile bytes
//
// Bytes changed on a disk or by an attacker: every decoder refuses them, or
// reads a different record; none throws, and no change reads as the same
// record (ReadCanonical, schema/well_formed.h).

TEST_F(BundleTest, AnAlgorithmBeyondTheEnumIsRefusedNotTruncated) {
  PlayCustodyAcrossTwoAgencies();
  // 256 truncated to 8 bits would be 0, sha256.
  Bytes b = Mutate(ipb_->Bundle(ContentOf(kVideo)),
                   [](auto, auto root) { root.setAlgorithm(static_cast<schema::DigestAlgorithm>(256)); });
  ExpectRefused(b, Failure::kMalformed, "bundle: algorithm: 256 is not a DigestAlgorithm this build knows");
  EXPECT_FALSE(bundle::PeekDigest(b).ok());
}

TEST_F(BundleTest, AFlippedPaddingBitIsRefused) {
  PlayCustodyAcrossTwoAgencies();
  Bytes b = ipb_->Bundle(ContentOf(kVideo));
  // The root struct's first data word: version (4 bytes), algorithm (2), then 2 bytes of padding.
  b[8 + 7] ^= 0x01;
  ExpectRefused(b, Failure::kMalformed, "bundle: data byte 7 has bits set outside the fields this build knows");
}

// Everything a verdict says, but who made the bundle and when, as one text.
std::string AccountText(const bundle::Verdict& v) {
  const bundle::Account& a = v.account;
  std::string out = bundle::FailureName(v.failure) + std::string(" ") + a.evidence_id + " " + a.case_id + " " +
                    std::to_string(a.algorithm) + HexEncode(a.digest.span()) + std::to_string(a.content_size) +
                    a.media_type + a.state + a.policy;
  for (const auto& s : a.steps) {
    out += "|" + s.origin + std::to_string(s.index) + std::to_string(s.log_time) + s.kind + s.author + s.author_name + s.summary;
  }
  for (const auto& c : a.checkpoints) {
    out += "|" + c.origin + std::to_string(c.size) + HexEncode(c.root.span());
    for (const auto& name : c.cosigners) out += "," + name;
    for (const auto& name : c.others) out += ";" + name;
  }
  return out;
}

// Every byte of a real bundle, each with one bit flipped: refused, or (only
// for the two fields no signature covers) a bundle made by someone else or
// at another time; never the same bundle, never a throw.
TEST_F(BundleTest, EveryChangedByteOfABundleIsRefusedOrChangesOnlyWhoMadeItAndWhen) {
  PlayCustodyAcrossTwoAgencies();
  const Bytes original = ipb_->Bundle(ContentOf(kVideo));
  const bundle::Verdict good = Verify(original);
  ASSERT_TRUE(good.ok()) << good.message;
  size_t refused = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    Bytes b = original;
    b[i] ^= static_cast<uint8_t>(1u << (i % 8));
    const std::string at = "byte " + std::to_string(i);
    bundle::Verdict v;
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { v = Verify(b); })) {
      ADD_FAILURE() << at << ": threw " << e->getDescription().cStr();
      continue;
    }
    if (!v.ok()) {
      ++refused;
      EXPECT_FALSE(v.message.empty()) << at;
      continue;
    }
    EXPECT_EQ(AccountText(v), AccountText(good)) << at << ": accepted, and more than the maker changed";
    EXPECT_TRUE(v.account.made_by != good.account.made_by || v.account.made_at != good.account.made_at)
        << at << ": different bytes verify as the same bundle";
  }
  std::printf("%zu changed bytes, %zu refused\n", original.size(), refused);
}

// Reads an entry as `custos entry --json`, `log verify` and the bundle
// verifier do. Returns its JSON, or "" if refused; a throw is a failure.
std::string ReadEntryWhole(const Bytes& raw, const Bytes& statement, const std::string& at) {
  std::string json;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    ParsedEntry p = ParseEntry(raw, 2);
    if (p.status.ok()) {
      auto signed_bytes = p.entry->get().getSubmission().getStatement();
      EXPECT_EQ(Bytes(signed_bytes.begin(), signed_bytes.end()), statement) << at << ": a changed statement verified";
    }
    (void)bundle::ReadLightEntry(raw);
    auto entry = schema::ReadCanonical<schema::LogEntry>(raw, schema::kMaxEntryBytes, "entry");
    if (!entry.ok()) return;
    EXPECT_EQ(schema::Canonicalize(entry->get()), raw) << at << ": accepted bytes are a second encoding";
    json = schema::LogEntryToJson(entry->get());
  })) {
    ADD_FAILURE() << at << ": threw " << e->getDescription().cStr();
  }
  return json;
}

TEST_F(BundleTest, EveryBitFlipOfAnEntryIsRefusedOrReadsAsAnotherEntry) {
  PlayCustodyAcrossTwoAgencies();
  const Bytes original = Need(ipb_->log().Entry(2), "entry 2");  // the registration
  auto parsed = Need(schema::ReadCanonical<schema::LogEntry>(original, schema::kMaxEntryBytes, "entry"), "parse");
  auto signed_bytes = parsed.get().getSubmission().getStatement();
  const Bytes statement(signed_bytes.begin(), signed_bytes.end());
  const std::string shown = ReadEntryWhole(original, statement, "the entry");
  ASSERT_FALSE(shown.empty());
  for (size_t bit = 0; bit < original.size() * 8; ++bit) {
    Bytes raw = original;
    raw[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    const std::string at = "bit " + std::to_string(bit);
    EXPECT_NE(ReadEntryWhole(raw, statement, at), shown) << at << ": different bytes read as the same entry";
  }
}

// ------------------------------------------------------------ fixtures
//
// tests/fixtures/custody.bundle and custody-trust.json, which the command-line
// test of damaged input (tests/cli/damaged_input_test.sh) reads, are the
// bundle of PlayCustodyAcrossTwoAgencies and the federation it verifies
// against. After a change to the helpers or to the bundle format, run
// TheFixturesAreABundleAndFederationThatVerify once with
// CUSTOS_WRITE_FIXTURES=1 to write them again.

std::string FederationJson() {
  auto peer = [](const char* origin, int port, const char* kind) {
    return std::string("    {\"origin\": \"") + origin + "\", \"verifierKey\": \"" +
           NoteVerifier::ForKey(origin, testing::custody::NodeKeyOf(origin).key.public_key()).ToString() +
           "\", \"address\": \"127.0.0.1:" + std::to_string(port) + "\", \"agencyKind\": \"" + kind + "\"}";
  };
  return "{\n  \"peers\": [\n" + peer(kIpb, 7300, "ip-bureau") + ",\n" + peer(kPsb, 7301, "public-security-bureau") +
         "\n  ],\n  \"witnessPolicy\": {\"cosigners\": [\"" + kIpb + "\", \"" + kPsb + "\"], \"quorum\": 1}\n}\n";
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The fixtures still verify (a bundle is not byte-for-byte reproducible: the
// genesis statement's nonce and time are fresh), and the federation is the
// one these keys make.
TEST_F(BundleTest, TheFixturesAreABundleAndFederationThatVerify) {
  const std::string dir = std::string(CUSTOS_SOURCE_DIR) + "/tests/fixtures/";
  if (std::getenv("CUSTOS_WRITE_FIXTURES") != nullptr) {
    PlayCustodyAcrossTwoAgencies();
    const Bytes made = ipb_->Bundle(ContentOf(kVideo));
    std::ofstream(dir + "custody.bundle", std::ios::binary) << std::string(made.begin(), made.end());
    std::ofstream(dir + "custody-trust.json", std::ios::binary) << FederationJson();
  }
  const std::string bundle = ReadWholeFile(dir + "custody.bundle");
  bundle::Verdict v = Verify(Bytes(bundle.begin(), bundle.end()));
  EXPECT_TRUE(v.ok()) << bundle::FailureName(v.failure) << ": " << v.message
                      << " (run with CUSTOS_WRITE_FIXTURES=1 to write the fixtures again)";
  EXPECT_EQ(ReadWholeFile(dir + "custody-trust.json"), FederationJson());
}
}  // namespace
}  // namespace custos
