// The signed trust root (trust/trust_root.h): versions drafted from a
// federation file, signed by members, checked as a chain from a pinned key
// or version; each rule of the header refuses a chain that breaks it, and
// names the version and the rule.
#include "trust/trust_root.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "tests/ledger/log_test_util.h"
#include "tests/trust/federation_json.h"

namespace custos::trust {
namespace {

using custos::testing::Must;
using custos::testing::TestKey;

std::string Origin(const std::string& agency) { return agency + ".example/custos"; }

// Agencies by short name; "psb2" is psb's rotated key.
SigningKey AgencyKey(const std::string& label) { return TestKey("trust-root/" + label); }

std::string Peer(const std::string& agency, const std::string& key_label, int port, const char* kind,
                 const std::string& name_zh = "") {
  std::string vkey = NoteVerifier::ForKey(Origin(agency), AgencyKey(key_label).public_key()).ToString();
  return R"({"origin": ")" + Origin(agency) + R"(", "verifierKey": ")" + vkey + R"(", "address": "127.0.0.1:)" +
         std::to_string(port) + R"(", "agencyKind": ")" + kind + "\"" +
         (name_zh.empty() ? "" : R"(, "name": {"zh": ")" + name_zh + R"(", "en": "x"})") + "}";
}

// A federation file: the members given, the policy 1 of ipb/psb, changeQuorum q.
std::string Members(const std::vector<std::string>& peers, int change_quorum) {
  std::string out = "{\"changeQuorum\": " + std::to_string(change_quorum) + ", \"peers\": [";
  for (size_t i = 0; i < peers.size(); ++i) out += (i ? ", " : "") + peers[i];
  return out + R"(], "witnessPolicy": {"cosigners": [")" + Origin("ipb") + R"("], "quorum": 1}})";
}

const std::string kIpb = Peer("ipb", "ipb", 7300, "ip-bureau", "苏州市知识产权局");
const std::string kPsb = Peer("psb", "psb", 7301, "public-security-bureau");
const std::string kPsbRotated = Peer("psb", "psb2", 7301, "public-security-bureau");
const std::string kCourt = Peer("court", "court", 7302, "court");

// Signs `text` (a draft) with the named agencies' keys (agency:key_label).
std::string SignAs(const std::string& text, const std::vector<std::pair<std::string, std::string>>& signers) {
  std::string note;
  for (const auto& [agency, label] : signers) {
    note = note.empty() ? Must(SignNote(text, Origin(agency), AgencyKey(label)), "sign")
                        : Must(AddNoteSignature(note, Origin(agency), AgencyKey(label)), "add");
  }
  return note;
}

TrustRootVersion Parse(const std::string& note) { return Must(ParseTrustRootVersion(note, "v"), "parse"); }

class TrustRootTest : public ::testing::Test {
 protected:
  // Version 1: ipb and psb, changeQuorum 2, signed by both.
  void SetUp() override {
    v1_text_ = Must(DraftTrustRootText(Members({kIpb, kPsb}, 2), "f", nullptr, "jiangsu-patent"), "draft v1");
    v1_ = Parse(SignAs(v1_text_, {{"ipb", "ipb"}, {"psb", "psb"}}));
  }
  std::string Next(const TrustRootVersion& prev, const std::string& federation_json) {
    return Must(DraftTrustRootText(federation_json, "f", &prev, ""), "draft");
  }
  TrustPin PinIpb() const {
    return TrustPin{NoteVerifier::ForKey(Origin("ipb"), AgencyKey("ipb").public_key()), std::nullopt};
  }

  std::string v1_text_;
  TrustRootVersion v1_;
};

void ExpectRefused(const Result<TrustChain>& r, const std::string& want) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << r.status().ToString();
  EXPECT_NE(r.status().message().find(want), std::string::npos) << "want \"" << want << "\" in: " << r.status().message();
}

TEST_F(TrustRootTest, DraftIsTheHeaderThenReadableJsonInAFixedOrder) {
  ASSERT_TRUE(v1_text_.starts_with("custos-trust-root/v1\n{\n  \"federation\": \"jiangsu-patent\",\n  \"version\": 1,\n"))
      << v1_text_;
  EXPECT_NE(v1_text_.find("\"zh\": \"苏州市知识产权局\""), std::string::npos) << "CJK kept as UTF-8: " << v1_text_;
  EXPECT_EQ(v1_text_.find("previous"), std::string::npos);
  EXPECT_EQ(v1_.config.version, 1u);
  EXPECT_EQ(v1_.config.change_quorum, 2u);
  EXPECT_EQ(v1_.config.peers[0].name.zh, "苏州市知识产权局");
  // The JSON after the header is a plain federation file.
  EXPECT_TRUE(ParseFederation(FederationJsonOf(v1_), "plain").ok());
  // Version 2 takes its number, federation and previous from version 1,
  // whatever the input says.
  std::string v2 = Next(v1_, R"({"federation": "other", "version": 9, "previous": "00", )" +
                                 Members({kIpb, kPsb, kCourt}, 2).substr(1));
  auto parsed = Must(ParseTrustRootVersion(v2, "v2", /*allow_unsigned=*/true), "v2");
  EXPECT_EQ(parsed.config.federation, "jiangsu-patent");
  EXPECT_EQ(parsed.config.version, 2u);
  EXPECT_EQ(parsed.config.previous, v1_.digest);
}

TEST_F(TrustRootTest, AChainVerifiesFromAPinnedKeyThroughAdditionRotationAndRemoval) {
  // v2 adds the court: signed by 2 of v1's members and 2 of its own.
  auto v2 = Parse(SignAs(Next(v1_, Members({kIpb, kPsb, kCourt}, 2)), {{"ipb", "ipb"}, {"court", "court"}, {"psb", "psb"}}));
  // v3 rotates psb's key: the old key signs as a member of v2, the new as a member of v3.
  auto v3 = Parse(SignAs(Next(v2, Members({kIpb, kPsbRotated, kCourt}, 2)), {{"ipb", "ipb"}, {"psb", "psb"}, {"psb", "psb2"}}));
  // v4 removes the court, signed by ipb and psb's new key only.
  auto v4 = Parse(SignAs(Next(v3, Members({kIpb, kPsbRotated}, 2)), {{"ipb", "ipb"}, {"psb", "psb2"}}));
  auto chain = Must(VerifyTrustChain({v1_, v2, v3, v4}, PinIpb()), "chain");
  ASSERT_EQ(chain.versions.size(), 4u);
  EXPECT_EQ(chain.federation, "jiangsu-patent");
  EXPECT_EQ(chain.latest.peers.size(), 2u);
  EXPECT_EQ(chain.latest.FindPeer(Origin("psb"))->verifier.key, AgencyKey("psb2").public_key());
  EXPECT_EQ(chain.versions[1].changes, std::vector<std::string>{"added court.example/custos (court)"});
  EXPECT_EQ(chain.versions[2].changes, std::vector<std::string>{"new key for psb.example/custos"});
  EXPECT_EQ(chain.versions[3].changes, std::vector<std::string>{"removed court.example/custos"});
  EXPECT_EQ(chain.versions[2].signed_by_previous, (std::vector<std::string>{Origin("ipb"), Origin("psb")}));
  // v3's own members: ipb and psb under its new key (the old key's line is not a v3 member's).
  EXPECT_EQ(chain.versions[2].signed_by_members, (std::vector<std::string>{Origin("ipb"), Origin("psb")}));
  // A later start, pinned by version: v3's SHA-256.
  auto from_v3 = Must(VerifyTrustChain({v3, v4}, TrustPin{std::nullopt, v3.digest}), "from v3");
  EXPECT_EQ(from_v3.versions.front().version, 3u);
}

TEST_F(TrustRootTest, EachRuleRefusesAndNamesTheVersion) {
  auto draft2 = Next(v1_, Members({kIpb, kPsb, kCourt}, 2));
  // Signed by one of v1's members only.
  ExpectRefused(VerifyTrustChain({v1_, Parse(SignAs(draft2, {{"ipb", "ipb"}, {"court", "court"}}))}, PinIpb()),
                "version 2: signed by 1 of version 1's members (ipb.example/custos); its changeQuorum is 2");
  // A rotated key that never signed: v3 needs 2 of its own members.
  auto v2 = Parse(SignAs(draft2, {{"ipb", "ipb"}, {"psb", "psb"}}));
  auto draft3 = Next(v2, Members({kIpb, kPsbRotated, kCourt}, 2));
  ExpectRefused(VerifyTrustChain({v1_, v2, Parse(SignAs(draft3, {{"ipb", "ipb"}, {"psb", "psb"}}))}, PinIpb()),
                "version 3: signed by 1 of version 3's members (ipb.example/custos)");
  // A line by a member's key that does not verify: the text changed after signing.
  std::string v2_note = SignAs(draft2, {{"ipb", "ipb"}, {"psb", "psb"}});
  std::string altered = v2_note;
  altered.replace(altered.find("127.0.0.1:7302"), 14, "127.0.0.1:7309");
  ExpectRefused(VerifyTrustChain({v1_, Parse(altered)}, PinIpb()),
                "version 2: the signature of ipb.example/custos does not verify");
  // A version missing from the chain.
  auto v3 = Parse(SignAs(Next(v2, Members({kIpb, kPsb, kCourt}, 2)), {{"ipb", "ipb"}, {"psb", "psb"}}));
  ExpectRefused(VerifyTrustChain({v1_, v3}, PinIpb()), "version 3: follows version 1 in the chain");
  // A version 2 drafted from another version 1 (same members, another address).
  auto other_v1 = Parse(SignAs(Must(DraftTrustRootText(Members({kIpb, Peer("psb", "psb", 7399, "public-security-bureau")}, 2),
                                                       "f", nullptr, "jiangsu-patent"), "other v1"),
                               {{"ipb", "ipb"}, {"psb", "psb"}}));
  auto forked_v2 = Parse(SignAs(Next(other_v1, Members({kIpb, kPsb}, 2)), {{"ipb", "ipb"}, {"psb", "psb"}}));
  ExpectRefused(VerifyTrustChain({v1_, forked_v2}, PinIpb()), "version 2: previous is ");
  // The pin: a key that is not a member, a member that did not sign, another version.
  TrustPin court{NoteVerifier::ForKey(Origin("court"), AgencyKey("court").public_key()), std::nullopt};
  ExpectRefused(VerifyTrustChain({v1_}, court), "version 1: the pinned key of court.example/custos is not a member's key");
  TrustPin psb_wrong_key{NoteVerifier::ForKey(Origin("psb"), AgencyKey("psb2").public_key()), std::nullopt};
  ExpectRefused(VerifyTrustChain({v1_}, psb_wrong_key), "is not a member's key in it");
  auto v1_by_psb_court = Parse(SignAs(Must(DraftTrustRootText(Members({kIpb, kPsb, kCourt}, 2), "f", nullptr, "jiangsu-patent"), "d"),
                                      {{"psb", "psb"}, {"court", "court"}}));
  ExpectRefused(VerifyTrustChain({v1_by_psb_court}, PinIpb()), "version 1: not signed by the pinned key of ipb.example/custos");
  ExpectRefused(VerifyTrustChain({v1_}, TrustPin{std::nullopt, v2.digest}), "version 1: its SHA-256 is ");
  // Version 1 must meet its own changeQuorum even with the pinned key's signature.
  ExpectRefused(VerifyTrustChain({Parse(SignAs(v1_text_, {{"ipb", "ipb"}}))}, PinIpb()),
                "version 1: signed by 1 of version 1's members");
}

TEST_F(TrustRootTest, ALineByAnUnknownKeyCountsForNothingAndAMemberCountsOnce) {
  // psb's line twice (re-signing replaces it), plus a stranger named like psb.
  std::string note = SignAs(v1_text_, {{"ipb", "ipb"}, {"psb", "psb"}, {"psb", "psb"}});
  std::string stranger = Must(SignNote(v1_text_, Origin("psb"), AgencyKey("stranger")), "stranger");
  note += stranger.substr(stranger.rfind("\n\n") + 2);
  auto v = Parse(note);
  EXPECT_EQ(v.signatures.size(), 3u);
  auto chain = Must(VerifyTrustChain({v}, PinIpb()), "chain");
  EXPECT_EQ(chain.versions[0].signed_by_members, (std::vector<std::string>{Origin("ipb"), Origin("psb")}));
}

TEST_F(TrustRootTest, MalformedVersionsGetOneSentence) {
  auto parse = [](const std::string& text, bool allow_unsigned = false) {
    return ParseTrustRootVersion(text, "v.note", allow_unsigned).status();
  };
  custos::testing::ExpectInvalidArgument(parse("{\"peers\": []}\n"), "v.note: not a trust root version (its first line must be");
  custos::testing::ExpectInvalidArgument(parse(v1_text_), "v.note: a draft nobody has signed yet");
  custos::testing::ExpectInvalidArgument(parse(v1_text_ + "\n— ipb.example/custos !!\n"), "v.note: not a signed note");
  std::string no_quorum = std::string(kTrustRootHeader) + R"({"federation": "f", "version": 1, "peers": []})" + "\n";
  custos::testing::ExpectInvalidArgument(parse(no_quorum, true), "v.note: changeQuorum: missing");
  std::string v2_no_previous = std::string(kTrustRootHeader) + Members({kIpb}, 1).insert(1, R"("federation": "f", "version": 2, )") + "\n";
  custos::testing::ExpectInvalidArgument(parse(v2_no_previous, true), "v.note: previous: missing");
  std::string too_many = std::string(kTrustRootHeader) + Members({kIpb}, 2).insert(1, R"("federation": "f", "version": 1, )") + "\n";
  custos::testing::ExpectInvalidArgument(parse(too_many, true), "v.note: changeQuorum: must be a whole number from 1 to 1");
  std::string bad_name = std::string(kTrustRootHeader) +
                         Members({kIpb}, 1).insert(1, R"("federation": "has space", "version": 1, )") + "\n";
  custos::testing::ExpectInvalidArgument(parse(bad_name, true), "v.note: federation: must be a name");
}

}  // namespace
}  // namespace custos::trust
