// The federation file (trust/federation_config.h) and the client's loader of
// it (trust/federation.h): every error names the file and the field, and
// LoadFederationFile's errors name the flag a command took the path from.
#include "trust/federation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "crypto/cosignature.h"
#include "tests/ledger/log_test_util.h"
#include "tests/trust/federation_json.h"
#include "trust/federation_config.h"
#include "trust/host_port.h"

namespace custos::trust {
namespace {

using custos::testing::Must;

using custos::testing::FederationJson;
using custos::testing::kPeerVkeyName;
using custos::testing::PeerVkey;
void ExpectError(const Status& st, const std::string& want) { custos::testing::ExpectInvalidArgument(st, want); }

TEST(FederationConfigTest, HostPortForms) {
  EXPECT_EQ(Must(ParseHostPort("[::1]:7300", "x"), "v6").host, "::1");
  EXPECT_EQ(Must(ParseHostPort("[::1]:7300", "x"), "v6").ToString(), "[::1]:7300");
  ExpectError(ParseHostPort("::1:7300", "--node").status(), "--node: \"::1:7300\" is not HOST:PORT");
  ExpectError(ParseHostPort("h:0", "x").status(), "port 0");
  EXPECT_TRUE(ParseHostPort("h:0", "x", /*allow_port_zero=*/true).ok());
  ExpectError(ParseHostPort(":7", "x").status(), "empty host");
}

TEST(FederationConfigTest, ParsesAFederation) {
  auto fed = ParseFederation(FederationJson("", R"({"cosigners": ["psb.example/custos"], "quorum": 1})"), "federation f");
  ASSERT_TRUE(fed.ok()) << fed.status().ToString();
  ASSERT_EQ(fed->peers.size(), 1u);
  EXPECT_EQ(fed->peers[0].address.port, 7301);
  EXPECT_EQ(fed->peers[0].verifier.key, custos::testing::TestKey("peer").public_key());
  EXPECT_EQ(fed->policy.quorum, 1u);
  EXPECT_NE(fed->FindPeer("psb.example/custos"), nullptr);
  EXPECT_EQ(fed->FindPeer("nobody"), nullptr);
}

TEST(FederationConfigTest, FederationErrorsNameTheField) {
  auto parse = [](const std::string& json) { return ParseFederation(json, "federation f.json").status(); };
  ExpectError(parse("{}"), "federation f.json: peers: a list of peers is required");
  ExpectError(parse(FederationJson(R"(, "extra": 1)")), "peers[0].extra: unknown field");
  ExpectError(parse(R"({"peers": [{"origin": "a", "verifierKey": "nonsense", "address": "h:1", "agencyKind": "court"}]})"),
              "peers[0].verifierKey:");
  ExpectError(parse(R"({"peers": [{"origin": "a", "verifierKey": ")" + PeerVkey() +
                    R"(", "address": "h:1", "agencyKind": "court"}]})"),
              "peers[0].verifierKey: the key is named \"psb.example/custos\", not the peer's origin \"a\"");
  ExpectError(parse(R"({"peers": [{"origin": "psb.example/custos", "verifierKey": ")" + PeerVkey() +
                    R"(", "address": "h:1", "agencyKind": "police"}]})"),
              "peers[0].agencyKind: \"police\" is not one of");
  ExpectError(parse(R"({"peers": [{"origin": "psb.example/custos", "verifierKey": ")" + PeerVkey() +
                    R"(", "address": "nowhere", "agencyKind": "court"}]})"),
              "peers[0].address: \"nowhere\" is not HOST:PORT");
  ExpectError(parse(FederationJson("", R"({"cosigners": ["psb.example/custos"], "quorum": 2})")),
              "witnessPolicy.quorum: 2 is more than the 1 cosigners");
  ExpectError(parse(FederationJson("", R"({"cosigners": ["court.example/custos"], "quorum": 1})")),
              "witnessPolicy.cosigners: \"court.example/custos\" is not a listed peer");
  ExpectError(parse(FederationJson("", "") .insert(1, R"("requireSm2": true, )")),
              "federation f.json: peers[0].sm2Key: required, since requireSm2 is true");
  ExpectError(parse(FederationJson(R"(, "sm2Key": "x+00000000+AA==")")), "peers[0].sm2Key: SM2 verifier key:");
  std::string one = R"({"origin": "psb.example/custos", "verifierKey": ")" + PeerVkey() +
                    R"(", "address": "h:1", "agencyKind": "court"})";
  ExpectError(parse(R"({"peers": [)" + one + "," + one + "]}"), "peers[1].origin: \"psb.example/custos\" is listed twice");
}

// ------------------------------------------------------------ the loader

class LoadFederationFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = custos::testing::FreshTempDir(::testing::TempDir(),
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(LoadFederationFileTest, AGoodFileGivesTheOriginsAndTheWitnessGroup) {
  std::string path = Write("f.json", FederationJson("", R"({"cosigners": ["psb.example/custos"], "quorum": 1})"));
  Federation fed = Must(LoadFederationFile(path), "load");
  ASSERT_NE(fed.OriginKey(kPeerVkeyName), nullptr);
  EXPECT_EQ(fed.OriginKey(kPeerVkeyName)->key, custos::testing::TestKey("peer").public_key());
  EXPECT_EQ(fed.OriginKey("nobody"), nullptr);
  ASSERT_EQ(fed.witnesses().cosigners().size(), 1u);
  // The peer's note key, as a cosignature/v1 key under its origin.
  EXPECT_EQ(fed.witnesses().cosigners()[0].alg, kAlgCosignatureV1);
  EXPECT_EQ(fed.witnesses().cosigners()[0].name, kPeerVkeyName);
  EXPECT_EQ(fed.witnesses().Describe(), "1 of psb.example/custos");
}

TEST_F(LoadFederationFileTest, TheExampleFederationLoads) {
  Federation fed = Must(LoadFederationFile(std::string(CUSTOS_SOURCE_DIR) + "/examples/node/federation.json"), "load");
  EXPECT_EQ(fed.origins().size(), 4u);
  EXPECT_EQ(fed.witnesses().quorum(), 2u);
}

TEST_F(LoadFederationFileTest, ErrorsNameTheFlagAndTheFile) {
  ExpectError(LoadFederationFile("").status(), "--trust: the federation file is required");
  ExpectError(LoadFederationFile(dir_ + "/missing.json").status(), "--trust: cannot read " + dir_ + "/missing.json");
  const std::string big = Write("big.json", std::string(kMaxFederationFileBytes + 1, ' '));
  ExpectError(LoadFederationFile(big).status(), "--trust: " + big + " is " +
                                                    std::to_string(kMaxFederationFileBytes + 1) +
                                                    " bytes, over the limit of " +
                                                    std::to_string(kMaxFederationFileBytes));
  const std::string junk = Write("junk.json", "not json");
  ExpectError(LoadFederationFile(junk).status(), "--trust " + junk + ": not valid JSON");
  const std::string typo = Write("typo.json", FederationJson(R"(, "adress": "h:1")"));
  ExpectError(LoadFederationFile(typo).status(), "--trust " + typo + ": peers[0].adress: unknown field");
  ExpectError(LoadFederationFile(junk, "--federation").status(), "--federation " + junk + ": not valid JSON");
  // Where it breaks, what it is instead, and a trust root version given by mistake.
  const std::string broken = Write("broken.json", "{\n  \"peers\": [,]\n}\n");
  ExpectError(LoadFederationFile(broken).status(), "--trust " + broken + ": not valid JSON (line 2, column 13)");
  const std::string binary = Write("binary.json", std::string("\0\0\0\0\x01\0\x02\0", 8));
  ExpectError(LoadFederationFile(binary).status(), "--trust " + binary + ": not JSON: the file is binary data");
  const std::string version = Write("v1.note", "custos-trust-root/v1\n{}\n");
  ExpectError(LoadFederationFile(version).status(), "a version of the signed trust root, not a federation file");
}

}  // namespace
}  // namespace custos::trust
