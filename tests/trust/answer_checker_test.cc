// The client's checks of case-trail and referral-audit answers
// (trust/answer_checker.h, trust/trail_check.h), on answers built by the node's
// code (ledger/query/audit.h) from real Stores: a bureau's log replicated by a
// procuratorate, whose node answers. Each answer is unpacked as the command
// line unpacks the RPC reply; a good one passes, and each kind of bad answer
// is refused naming what failed.
#include "trust/answer_checker.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crypto/cosignature.h"
#include "ledger/query/audit.h"
#include "tests/ledger/agency_test_util.h"
#include "trust/federation.h"
#include "trust/trail_check.h"

namespace custos::trust {
namespace {

using namespace custos::agency_testing;  // NOLINT: the shared statements and Agency

constexpr char kPro[] = "suzhou-procuratorate.example/custos";

// What the node sends, as plain structs.
struct Answer {
  std::vector<AnsweredLog> logs;
  std::vector<CitedAnswerEntry> entries;
};

// The witness every test federation names: the police, whose node is not
// part of these tests, cosigns by hand.
NoteVerifier PoliceWitness() {
  return NoteVerifier::ForKey(kPsb, NodeKeyOf(kPsb).key.public_key(), kAlgCosignatureV1);
}

std::string CosignedByPolice(const std::string& note_text) {
  Note note = Must(Note::Parse(note_text), "Parse");
  note.signatures.push_back(Cosign(note.text, kPsb, NodeKeyOf(kPsb).key, 1'720'000'000));
  return note.Serialize();
}

// The federation: the bureau's and the procuratorate's logs, witnessed by the police.
Federation Trusting(std::vector<std::string> origins, uint32_t quorum = 1) {
  Federation::Origins keys;
  for (const auto& o : origins) keys.emplace(o, Agency::VerifierOf(o));
  return Federation(std::move(keys), WitnessGroup({PoliceWitness()}, quorum));
}

class AnswerCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ipb_ = std::make_unique<Agency>(dir_ + "/ipb", kOrigin, std::set<std::string>{}, 1);
    pro_ = std::make_unique<Agency>(dir_ + "/pro", kPro, std::set<std::string>{}, 3);
  }
  void TearDown() override {
    pro_.reset();
    ipb_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A case with evidence, and another case, in the bureau's log; the
  // procuratorate follows it.
  void PlayTwoCases() {
    ipb_->Ok(Open("C-1"));
    ipb_->Ok(Register("E1", "team", "C-1"));
    ipb_->clock().Advance(1000);
    ipb_->Ok(Open("C-2"));
    ipb_->Ok(Decide("C-1"));
    pro_->Follow(*ipb_);
  }

  // The node's answer to `case trail`, every checkpoint cosigned by the police.
  Answer Trail(const std::string& case_id) {
    auto snap = Must(audit::StoreSnapshot::Take(pro_->store()), "snapshot");
    auto trail = Must(audit::BuildCaseTrail(*snap, case_id), "trail");
    return Unpack(*snap, trail.logs, trail.entries);
  }

  static Answer Unpack(const audit::StoreSnapshot& snap, const std::vector<audit::LogBound>& logs,
                       const std::vector<audit::CitedEntry>& entries) {
    audit::AnswerProofs proofs(snap);
    Answer a;
    for (const auto& log : logs) a.logs.push_back({log.origin, CosignedByPolice(Must(proofs.CosignedNote(log), "note"))});
    for (const auto& e : entries) {
      CitedAnswerEntry cited{e.origin, e.index, e.entry, {}};
      for (const Hash& h : Must(proofs.InclusionProof(e), "proof")) cited.proof.emplace_back(h.bytes.begin(), h.bytes.end());
      a.entries.push_back(std::move(cited));
    }
    return a;
  }

  // What the command line does with a trail answer before it prints it.
  static Result<std::vector<CheckedEntry>> CheckTrail(const Answer& a, const Federation& fed, const std::string& case_id) {
    AnswerChecker checker(&fed);
    for (const auto& log : a.logs) CUSTOS_RETURN_IF_ERROR(checker.AddLog(log));
    std::vector<CheckedEntry> out;
    for (const auto& e : a.entries) {
      CUSTOS_ASSIGN_OR_RETURN(CheckedEntry checked, checker.CheckEntry(e));
      out.push_back(std::move(checked));
    }
    CUSTOS_RETURN_IF_ERROR(CheckCaseTrail(out, case_id));
    return out;
  }

  static void ExpectRefused(const Result<std::vector<CheckedEntry>>& r, const std::string& want) {
    ASSERT_FALSE(r.ok()) << "want a refusal naming \"" << want << "\"";
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << r.status().ToString();
    EXPECT_NE(r.status().message().find(want), std::string::npos) << "want \"" << want << "\" in: " << r.status().message();
  }

  AnsweredLog& LogOf(Answer& a, const std::string& origin) {
    for (auto& l : a.logs) {
      if (l.origin == origin) return l;
    }
    throw std::runtime_error("no log " + origin);
  }

  std::string dir_;
  std::unique_ptr<Agency> ipb_, pro_;
};

TEST_F(AnswerCheckerTest, AGoodTrailPasses) {
  PlayTwoCases();
  auto checked = Must(CheckTrail(Trail("C-1"), Trusting({kOrigin, kPro}), "C-1"), "CheckTrail");
  ASSERT_EQ(checked.size(), 3u);
  EXPECT_EQ(checked[0].kind, "case-opened");
  EXPECT_EQ(checked[1].kind, "evidence-registered");
  EXPECT_EQ(checked[2].origin, kOrigin);
  EXPECT_EQ(checked[2].statement["body"].begin().key(), "caseDecided");
}

TEST_F(AnswerCheckerTest, AForgedCheckpointSignatureIsRefused) {
  PlayTwoCases();
  Answer a = Trail("C-1");
  AnsweredLog& log = LogOf(a, kOrigin);
  Note note = Must(Note::Parse(log.checkpoint), "Parse");
  log.checkpoint = CosignedByPolice(Must(SignNote(note.text, kOrigin, TestKey("forger")), "SignNote"));
  ExpectRefused(CheckTrail(a, Trusting({kOrigin, kPro}), "C-1"),
                "checkpoint of suzhou-ipb.example/custos: the origin's signature");
}

TEST_F(AnswerCheckerTest, ACheckpointShortOfTheQuorumIsRefused) {
  PlayTwoCases();
  Answer a = Trail("C-1");
  AnsweredLog& log = LogOf(a, kOrigin);
  Note note = Must(Note::Parse(log.checkpoint), "Parse");
  note.signatures.pop_back();  // the police's cosignature
  log.checkpoint = note.Serialize();
  ExpectRefused(CheckTrail(a, Trusting({kOrigin, kPro}), "C-1"), "witness policy: 1 of 1 cosignatures are required");
}

TEST_F(AnswerCheckerTest, ABadCosignatureByANamedCosignerIsRefusedEvenWithNoQuorumToMeet) {
  PlayTwoCases();
  Answer a = Trail("C-1");
  AnsweredLog& log = LogOf(a, kOrigin);
  Note note = Must(Note::Parse(log.checkpoint), "Parse");
  note.signatures.back().sig.back() ^= 1;
  log.checkpoint = note.Serialize();
  ExpectRefused(CheckTrail(a, Trusting({kOrigin, kPro}, /*quorum=*/0), "C-1"),
                "cosignature by suzhou-psb.example/custos on the checkpoint of suzhou-ipb.example/custos");
}

TEST_F(AnswerCheckerTest, ACitedEntryWhoseProofDoesNotLeadToTheRootIsRefused) {
  PlayTwoCases();
  Answer a = Trail("C-1");
  ASSERT_FALSE(a.entries[1].proof.empty());
  a.entries[1].proof[0][0] ^= 1;
  ExpectRefused(CheckTrail(a, Trusting({kOrigin, kPro}), "C-1"),
                "entry " + std::to_string(a.entries[1].index) + " of suzhou-ipb.example/custos: inclusion proof");
  Answer other = Trail("C-1");
  other.entries[1].index += 1;  // the entry says another index
  ExpectRefused(CheckTrail(other, Trusting({kOrigin, kPro}), "C-1"), "the entry says it is entry");
  Answer cut = Trail("C-1");
  cut.entries[1].proof[0].pop_back();
  ExpectRefused(CheckTrail(cut, Trusting({kOrigin, kPro}), "C-1"), "a proof hash is not 32 bytes");
}

TEST_F(AnswerCheckerTest, AnEntryFromAnUntrustedOriginIsRefused) {
  PlayTwoCases();
  // The federation does not list the bureau: its checkpoint is refused.
  ExpectRefused(CheckTrail(Trail("C-1"), Trusting({kPro}), "C-1"),
                "checkpoint of suzhou-ipb.example/custos: the trust file has no key for this origin");
  // The answer names no checkpoint of the bureau's log: its entries are refused.
  Answer a = Trail("C-1");
  std::erase_if(a.logs, [](const AnsweredLog& l) { return l.origin == kOrigin; });
  ExpectRefused(CheckTrail(a, Trusting({kOrigin, kPro}), "C-1"), "of suzhou-ipb.example/custos: the answer has no checkpoint of that log");
}

TEST_F(AnswerCheckerTest, ATrailOutOfOrderOrWithAnotherCasesEntryIsRefused) {
  PlayTwoCases();
  Answer swapped = Trail("C-1");
  std::swap(swapped.entries[0], swapped.entries[2]);
  ExpectRefused(CheckTrail(swapped, Trusting({kOrigin, kPro}), "C-1"), "the trail is not in order");
  Answer padded = Trail("C-1");
  // C-2's opening, in its place in the order (between C-1's evidence and decision).
  padded.entries.insert(padded.entries.begin() + 2, Trail("C-2").entries.at(0));
  ExpectRefused(CheckTrail(padded, Trusting({kOrigin, kPro}), "C-1"), "(case-opened) is not about case C-1");
}

TEST_F(AnswerCheckerTest, WithoutAFederationOnlyCheckpointsTheCallerCheckedAreUsed) {
  PlayTwoCases();
  Answer a = Trail("C-1");
  AnswerChecker checker(nullptr);
  EXPECT_EQ(checker.AddLog(a.logs[0]).code(), Status::Code::kFailedPrecondition);
  const Federation fed = Trusting({kOrigin, kPro});
  auto cp = Must(fed.CheckCheckpoint(LogOf(a, kOrigin).checkpoint, kOrigin), "CheckCheckpoint").checkpoint;
  checker.AddCheckedLog(kOrigin, cp, "checked by the test");
  EXPECT_TRUE(checker.CheckEntry(a.entries[0]).ok());
  EXPECT_EQ(checker.logs().at(kOrigin).how, "checked by the test");
}

TEST_F(AnswerCheckerTest, AnAuditsCitedEntriesAreCheckedTheSameWay) {
  const int64_t due = ipb_->now() + kDay;
  ipb_->Ok(Open("C-1"));
  ipb_->Ok(Refer("C-1", kPsb, {}, true, due));
  pro_->Follow(*ipb_);
  auto snap = Must(audit::StoreSnapshot::Take(pro_->store()), "snapshot");
  audit::AuditOptions options;
  options.at = due + 1;
  options.bureaus = {kOrigin};
  options.public_security = {kPsb};
  auto report = Must(audit::AuditReferrals(*snap, options), "audit");
  ASSERT_EQ(report.findings.size(), 1u);
  std::vector<audit::LogBound> logs = report.audited;
  logs.insert(logs.end(), report.consulted.begin(), report.consulted.end());
  Answer a = Unpack(*snap, logs, report.findings[0].entries);
  const Federation fed = Trusting({kOrigin, kPro});
  AnswerChecker checker(&fed);
  for (const auto& log : a.logs) ASSERT_TRUE(checker.AddLog(log).ok());
  EXPECT_EQ(Must(checker.CheckEntry(a.entries.at(0)), "CheckEntry").kind, "case-referred");
  a.entries[0].entry.back() ^= 1;
  auto tampered = checker.CheckEntry(a.entries[0]);
  EXPECT_EQ(tampered.status().code(), Status::Code::kCorruption) << tampered.status().ToString();
}

TEST(FindingCitationsTest, AFindingCitesAtLeastOneEntryOfTheAnswer) {
  const std::vector<uint32_t> good = {0, 2}, past = {1, 3}, none;
  EXPECT_TRUE(CheckFindingCitations(good, 3).ok());
  EXPECT_EQ(CheckFindingCitations(past, 3).message(), "a finding cites entry 3 of the answer, which has 3");
  EXPECT_EQ(CheckFindingCitations(none, 3).message(), "a finding of the answer cites no entry");
}

}  // namespace
}  // namespace custos::trust
