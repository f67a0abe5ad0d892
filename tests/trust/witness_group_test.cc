// The one witness rule (trust/witness_group.h) and the checkpoint check built
// on it (trust/federation.h), on notes made here: every line by a key of the
// group must verify, lines by other keys count for nothing, the origin never
// witnesses itself, and the quorum failure names the policy.
#include "trust/witness_group.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/cosignature.h"
#include "tests/ledger/log_test_util.h"
#include "trust/federation.h"

namespace custos::trust {
namespace {

using custos::testing::Must;
using custos::testing::TestKey;

constexpr char kLog[] = "a.example/log";
constexpr char kW1[] = "w1.example/witness";
constexpr char kW2[] = "w2.example/witness";
constexpr char kOutsider[] = "outsider.example/witness";

NoteVerifier CosignerOf(const std::string& name) {
  return NoteVerifier::ForKey(name, TestKey(name).public_key(), kAlgCosignatureV1);
}

Checkpoint Cp() { return Checkpoint{kLog, 5, Hash{}, {}}; }

// The checkpoint signed by the log, with cosignature lines by `witnesses`.
Note Signed(std::initializer_list<const char*> witnesses = {}) {
  Note note = Must(Note::Parse(Must(SignNote(Cp().Format(), kLog, TestKey(kLog)), "SignNote")), "Parse");
  for (const char* w : witnesses) note.signatures.push_back(Cosign(note.text, w, TestKey(w), 1'720'000'000));
  return note;
}

Note Tampered(Note note, size_t line) {
  note.signatures.at(line).sig.back() ^= 1;
  return note;
}

TEST(WitnessGroupTest, CountsEachCosignerOfTheGroupOnce) {
  WitnessGroup group({CosignerOf(kW1), CosignerOf(kW2)}, 2);
  auto count = Must(group.Count(Signed({kW1, kW2, kW1}), Cp()), "Count");
  EXPECT_EQ(count.cosigners, (std::vector<std::string>{kW1, kW2}));
  EXPECT_TRUE(count.others.empty());
  EXPECT_TRUE(group.RequireQuorum(count, Cp()).ok());
}

TEST(WitnessGroupTest, ABadCosignatureByACosignerOfTheGroupIsRefusedNamingIt) {
  WitnessGroup group({CosignerOf(kW1), CosignerOf(kW2)}, 1);
  // The line of w1 (signature 0 is the log's own) with one bit changed: w2's
  // good cosignature would meet the quorum, but a known key's bad line is refused.
  auto count = group.Count(Tampered(Signed({kW1, kW2}), 1), Cp());
  EXPECT_EQ(count.status().code(), Status::Code::kCorruption);
  EXPECT_NE(count.status().message().find("cosignature by w1.example/witness on the checkpoint of a.example/log at size 5"),
            std::string::npos)
      << count.status().ToString();
}

TEST(WitnessGroupTest, LinesByOtherKeysAreNotCheckedAndCountForNothing) {
  WitnessGroup group({CosignerOf(kW1)}, 1);
  Note note = Tampered(Signed({kOutsider}), 1);  // a bad line, but not by a key of the group
  // A line under w1's name by another key: another key id, so not w1's.
  note.signatures.push_back(Cosign(note.text, kW1, TestKey("not w1"), 1));
  auto count = Must(group.Count(note, Cp()), "Count");
  EXPECT_TRUE(count.cosigners.empty());
  EXPECT_EQ(count.others, (std::vector<std::string>{kOutsider, kW1}));
  Status quorum = group.RequireQuorum(count, Cp());
  EXPECT_EQ(quorum.code(), Status::Code::kCorruption);
}

TEST(WitnessGroupTest, TheOriginNeverWitnessesItsOwnCheckpoint) {
  WitnessGroup group({CosignerOf(kLog), CosignerOf(kW1)}, 1);
  Note note = Signed();
  note.signatures.push_back(Cosign(note.text, kLog, TestKey(kLog), 1));
  auto count = Must(group.Count(note, Cp()), "Count");
  EXPECT_TRUE(count.cosigners.empty());
  Status quorum = group.RequireQuorum(count, Cp());
  EXPECT_EQ(quorum.message(),
            "witness policy: 1 of 1 cosignatures are required, the checkpoint of a.example/log at size 5 has 0 valid "
            "cosignature(s); the witness policy needs 1 of a.example/log, w1.example/witness");
}

TEST(WitnessGroupTest, DescribeNamesTheCosignersByName) {
  EXPECT_EQ(WitnessGroup({CosignerOf(kW2), CosignerOf(kW1)}, 2).Describe(), "2 of w1.example/witness, w2.example/witness");
  EXPECT_EQ(WitnessGroup().Describe(), "0 of no cosigners");
}

// ------------------------------------------------------------ checkpoints

Federation FederationOf(uint32_t quorum) {
  return Federation({{kLog, NoteVerifier::ForKey(kLog, TestKey(kLog).public_key())}},
                    WitnessGroup({CosignerOf(kW1)}, quorum));
}

TEST(CheckCheckpointTest, AGoodCheckpointPasses) {
  auto checked = Must(FederationOf(1).CheckCheckpoint(Signed({kW1}).Serialize(), kLog), "CheckCheckpoint");
  EXPECT_EQ(checked.checkpoint.size, 5u);
  EXPECT_EQ(checked.cosignatures.cosigners, std::vector<std::string>{kW1});
}

TEST(CheckCheckpointTest, EachFailureIsNamed) {
  const Federation fed = FederationOf(1);
  auto forged = Must(SignNote(Cp().Format(), kLog, TestKey("forger")), "SignNote");
  EXPECT_NE(fed.CheckCheckpoint(forged, kLog).status().message().find("checkpoint of a.example/log: the origin's signature"),
            std::string::npos);
  auto unknown = fed.CheckCheckpoint(Signed({kW1}).Serialize(), "b.example/log");
  EXPECT_EQ(unknown.status().code(), Status::Code::kNotFound);
  EXPECT_NE(unknown.status().message().find("the trust file has no key for this origin"), std::string::npos);
  auto short_of_quorum = fed.CheckCheckpoint(Signed().Serialize(), kLog);
  EXPECT_EQ(short_of_quorum.status().code(), Status::Code::kCorruption);
  EXPECT_NE(short_of_quorum.status().message().find("witness policy: 1 of 1"), std::string::npos);
  auto bad_cosignature = fed.CheckCheckpoint(Tampered(Signed({kW1}), 1).Serialize(), kLog);
  EXPECT_NE(bad_cosignature.status().message().find("cosignature by w1.example/witness"), std::string::npos);
  // A checkpoint of another log, signed with this origin's key.
  auto other = Must(SignNote(Checkpoint{"b.example/log", 1, Hash{}, {}}.Format(), kLog, TestKey(kLog)), "SignNote");
  EXPECT_NE(fed.CheckCheckpoint(other, kLog).status().message().find("it is a checkpoint of \"b.example/log\""),
            std::string::npos);
}

}  // namespace
}  // namespace custos::trust
