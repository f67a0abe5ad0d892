// The rules per statement family (ledger/rules/rules.h, docs/rules.md), each
// accepted and refused through the real Log::Append path on a real LevelDB,
// the database unchanged byte for byte after every refusal; the same broken
// entries forged past Append and refused by Replica::Apply and by full
// verification, naming the entry and the rule; the query indexes after a
// reopen; references to other logs held, not held and held with another hash.
#include "ledger/rules/rules.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <set>

#include "crypto/sha256.h"
#include "ledger/listings/listings_map.h"
#include "ledger/log/log.h"
#include "ledger/log/replica.h"
#include "ledger/log/verify.h"
#include "ledger/rules/indexes.h"
#include "ledger/storage/store.h"
#include "tests/ledger/agency_test_util.h"
#include "tests/ledger/log_test_util.h"
#include "tests/ledger/replica_test_util.h"

namespace custos {
namespace {

using Code = Status::Code;
using namespace custos::agency_testing;  // NOLINT: the shared statements, Agency and the test keys

class RulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(),
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ipb_ = std::make_unique<Agency>(dir_ + "/ipb", kOrigin);
  }
  void TearDown() override {
    ipb_.reset();
    psb_.reset();
    std::filesystem::remove_all(dir_);
  }

  Agency& ipb() { return *ipb_; }
  Agency& psb() {
    if (!psb_) psb_ = std::make_unique<Agency>(dir_ + "/psb", kPsb, std::set<std::string>{}, 1);
    return *psb_;
  }

  // `a` must refuse the statement with `code` and a message containing
  // `message`, and its database must be unchanged byte for byte.
  void ExpectRefused(Agency& a, const Fill& fill, Code code, const std::string& message) {
    Bytes submission = a.Make(fill);
    const uint64_t size = a.log().size();
    DbContents before = a.Snapshot();
    auto r = a.Append(submission);
    ASSERT_FALSE(r.ok()) << "accepted as entry " << r->index;
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(message), std::string::npos)
        << "message \"" << r.status().message() << "\" should contain \"" << message << "\"";
    EXPECT_EQ(a.log().size(), size);
    DbContents after = a.Snapshot();
    EXPECT_TRUE(before == after) << "the refusal changed the database:\n" << testing::DescribeDifference(before, after);
  }

  void ExpectVerifies(Agency& a, uint64_t unchecked = 0) {
    auto report = a.log().VerifyAll(nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->unchecked_references, unchecked);
  }

  // Full verification of `a`'s own log must fail naming every part.
  void ExpectVerifyRefuses(Agency& a, std::initializer_list<std::string> parts) {
    auto report = a.log().VerifyAll(nullptr);
    ASSERT_FALSE(report.ok()) << "verification passed";
    EXPECT_EQ(report.status().code(), Code::kCorruption) << report.status().ToString();
    for (const auto& part : parts) {
      EXPECT_NE(report.status().message().find(part), std::string::npos)
          << "message \"" << report.status().message() << "\" should contain \"" << part << "\"";
    }
  }

  // A follower replicating `a`'s log with a forged last entry must refuse it
  // naming every part, and store nothing.
  void ExpectReplicaRefuses(Agency& a, std::initializer_list<std::string> parts) {
    testing::RawLog raw(a.log(), a.log().size());
    testing::ReplicaHolder follower(testing::FreshTempDir(dir_, "follower"), Agency::VerifierOf(a.origin()));
    Status st = follower.replica().Apply(raw.entries(), a.log().checkpoint(), {});
    ASSERT_FALSE(st.ok()) << "the follower accepted the log";
    EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
    for (const auto& part : parts) {
      EXPECT_NE(st.message().find(part), std::string::npos) << "message \"" << st.message() << "\" should contain \"" << part << "\"";
    }
    EXPECT_EQ(follower.replica().size(), 0u);
  }

  std::string dir_;
  std::unique_ptr<Agency> ipb_, psb_;
};

// ------------------------------------------------------------ custody

TEST_F(RulesTest, EvidenceIdsAreUniqueInALog) {
  ipb().Ok(Register("E1", "执法支队"));
  ExpectRefused(ipb(), Register("E1", "执法支队"), Code::kFailedPrecondition,
                "body.evidenceRegistered.evidenceId: evidence E1 is already known to this log (entry 2)");
  // Within one batch too: the second registration sees the first.
  std::vector<Bytes> batch = {ipb().Make(Register("E2", "A")), ipb().Make(Register("E2", "A"))};
  auto results = ipb().log().Append(batch, BatchMode::kIndependent);
  EXPECT_TRUE(results[0].ok()) << results[0].status().ToString();
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].status().code(), Code::kFailedPrecondition);
  ExpectVerifies(ipb());
}

TEST_F(RulesTest, CustodyMovesOnlyFromTheCurrentHolder) {
  ipb().Ok(Register("SZIPB-2024-0017-E01", "X"));
  ExpectRefused(ipb(), Transfer("SZIPB-2024-0017-E01", "Y", "Z"), Code::kFailedPrecondition,
                "body.custodyTransferred.fromHolder: evidence SZIPB-2024-0017-E01 is held by \"X\", not \"Y\"");
  ipb().Ok(Transfer("SZIPB-2024-0017-E01", "X", "Y"));
  ExpectRefused(ipb(), Transfer("SZIPB-2024-0017-E01", "X", "Z"), Code::kFailedPrecondition, "is held by \"Y\", not \"X\"");
  ipb().Ok(Transfer("SZIPB-2024-0017-E01", "Y", "Z"));
  ExpectRefused(ipb(), Transfer("UNKNOWN", "X", "Y"), Code::kFailedPrecondition,
                "body.custodyTransferred.evidenceId: evidence UNKNOWN is not registered in this log");
  ExpectRefused(ipb(), Examine("UNKNOWN"), Code::kFailedPrecondition, "body.evidenceExamined.evidenceId: ");
  auto e = Must(rules::EvidenceOf(ipb().log().stored(), "SZIPB-2024-0017-E01"), "EvidenceOf");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->holder, "Z");
  EXPECT_EQ(e->status, rules::EvidenceStatus::kHeld);
  ExpectVerifies(ipb());
}

TEST_F(RulesTest, NothingHappensToEvidenceAfterItWasDisposedOf) {
  ipb().Ok(Register("E1", "A"));
  ipb().Ok(Examine("E1"));
  const uint64_t disposed = ipb().Ok(Dispose("E1")).index;
  const std::string why = "was released, returned or destroyed (entry " + std::to_string(disposed) + ")";
  ExpectRefused(ipb(), Examine("E1"), Code::kFailedPrecondition, "body.evidenceExamined.evidenceId: evidence E1 " + why);
  ExpectRefused(ipb(), Transfer("E1", "A", "B"), Code::kFailedPrecondition, why);
  ExpectRefused(ipb(), Dispose("E1"), Code::kFailedPrecondition, why);
  ExpectRefused(ipb(), Register("E1", "A"), Code::kFailedPrecondition, "already known");
  ExpectVerifies(ipb());
}

TEST_F(RulesTest, AReceiptWithinTheAgencyConfirmsTheLastTransfer) {
  ipb().Ok(Register("E1", "A"));
  const Receipt to_b = ipb().Ok(Transfer("E1", "A", "B"));
  const Receipt registered{2, testing::LeafOf(ipb().log(), 2)};
  ExpectRefused(ipb(), Receive("E1", ipb().RefTo(registered), "B"), Code::kInvalidArgument,
                "body.custodyReceived.transfer: entry 2 of this log is not a custody transfer");
  ExpectRefused(ipb(), Receive("E1", Ref{kOrigin, to_b.index, registered.leaf_hash}, "B"), Code::kInvalidArgument,
                "body.custodyReceived.transfer: leafHash is not the leaf hash of entry 3 of this log");
  ExpectRefused(ipb(), Receive("E1", Ref{kOrigin, 99, to_b.leaf_hash}, "B"), Code::kInvalidArgument,
                "entry 99 of this log is not before this entry");
  ExpectRefused(ipb(), Receive("E1", ipb().RefTo(to_b), "C"), Code::kFailedPrecondition,
                "body.custodyReceived.holder: entry 3 of this log transfers evidence E1 to \"B\", not \"C\"");
  ExpectRefused(ipb(), Receive("E2", ipb().RefTo(to_b), "B"), Code::kInvalidArgument,
                "body.custodyReceived.evidenceId: entry 3 of this log transfers evidence E1, not E2");
  ipb().Ok(Receive("E1", ipb().RefTo(to_b), "B"));
  ExpectRefused(ipb(), Receive("E1", ipb().RefTo(to_b), "B"), Code::kFailedPrecondition, "was already received");
  const Receipt to_c = ipb().Ok(Transfer("E1", "B", "C"));
  (void)to_c;
  ExpectRefused(ipb(), Receive("E1", ipb().RefTo(to_b), "B"), Code::kFailedPrecondition,
                "entry 3 of this log is not the last transfer of evidence E1 (entry 5 is)");
  ExpectVerifies(ipb());
}

TEST_F(RulesTest, ATransferToAnotherAgencyIsInTransitUntilThatAgencyReceivesIt) {
  ipb().Ok(Register("E1", "A"));
  const Receipt sent = ipb().Ok(Transfer("E1", "A", "刑警大队", kPsb));
  ExpectRefused(ipb(), Examine("E1"), Code::kFailedPrecondition,
                "evidence E1 was sent to suzhou-psb.example/custos (entry 3) and has not come back");
  ExpectRefused(ipb(), Receive("E1", ipb().RefTo(sent), "刑警大队"), Code::kFailedPrecondition,
                "sends the evidence to suzhou-psb.example/custos; it is received in that agency's log");

  // The police log must hold the bureau's entry to reference it.
  ExpectRefused(psb(), Receive("E1", ipb().RefTo(sent), "刑警大队"), Code::kFailedPrecondition,
                "body.custodyReceived.transfer: references suzhou-ipb.example/custos entry 3, which this node does "
                "not hold: sync that log first");
  psb().Follow(ipb());
  ExpectRefused(psb(), Receive("E1", Ref{kOrigin, sent.index, Hash{}}, "刑警大队"), Code::kInvalidArgument,
                "references suzhou-ipb.example/custos entry 3, but this node holds a different leaf hash");
  ExpectRefused(psb(), Receive("E1", Ref{kOrigin, 2, testing::LeafOf(ipb().log(), 2)}, "刑警大队"),
                Code::kInvalidArgument, "suzhou-ipb.example/custos entry 2 is not a custody transfer");
  const Receipt received = psb().Ok(Receive("E1", ipb().RefTo(sent), "刑警大队"));
  ExpectRefused(psb(), Receive("E1", ipb().RefTo(sent), "刑警大队"), Code::kFailedPrecondition, "was already received");
  psb().Ok(Examine("E1"));
  auto e = Must(rules::EvidenceOf(psb().log().stored(), "E1"), "EvidenceOf");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->since, received.index);
  EXPECT_EQ(e->holder, "刑警大队");

  // A transfer to a third agency cannot be received by the police.
  ipb().Ok(Register("E2", "A"));
  const Receipt to_wuxi = ipb().Ok(Transfer("E2", "A", "B", kWuxi));
  psb().Follow(ipb());
  ExpectRefused(psb(), Receive("E2", ipb().RefTo(to_wuxi), "B"), Code::kFailedPrecondition,
                "sends the evidence to wuxi-ipb.example/custos, not to this log");
  ExpectVerifies(ipb());
  ExpectVerifies(psb());
}

// ------------------------------------------------------------ cases

TEST_F(RulesTest, ADecisionOrAClosingNeedsAnOpenCase) {
  ExpectRefused(ipb(), Decide("C-1"), Code::kFailedPrecondition, "body.caseDecided.caseId: case C-1 was not opened in this log");
  ExpectRefused(ipb(), Close("C-1"), Code::kFailedPrecondition, "body.caseClosed.caseId: case C-1 was not opened in this log");
  ipb().Ok(Open("C-1"));
  ipb().Ok(Decide("C-1"));
  const uint64_t closed = ipb().Ok(Close("C-1")).index;
  const std::string why = "case C-1 is closed (entry " + std::to_string(closed) + ")";
  ExpectRefused(ipb(), Decide("C-1"), Code::kFailedPrecondition, why);
  ExpectRefused(ipb(), Close("C-1"), Code::kFailedPrecondition, why);
  ExpectRefused(ipb(), Open("C-1"), Code::kFailedPrecondition, "a closed case is not reopened");
  // A case opened in another log is not open in this one.
  psb().Ok(Open("C-2"));
  ExpectRefused(ipb(), Decide("C-2"), Code::kFailedPrecondition, "was not opened in this log");
  ExpectVerifies(ipb());
}

TEST_F(RulesTest, OnlyTheAgencyAReferralNamesAnswersItOnceInItsOwnLog) {
  ipb().Ok(Open("C-1"));
  const Receipt referral = ipb().Ok(Refer("C-1", kPsb));
  ExpectRefused(ipb(), Answer("C-1", ipb().RefTo(referral)), Code::kFailedPrecondition,
                "body.referralAnswered.referral: entry 3 of this log refers the case to suzhou-psb.example/custos; "
                "only that agency may answer it, in its own log");
  ExpectRefused(psb(), Answer("C-1", ipb().RefTo(referral)), Code::kFailedPrecondition, "sync that log first");
  psb().Follow(ipb());
  ExpectRefused(psb(), Answer("C-9", ipb().RefTo(referral)), Code::kInvalidArgument,
                "body.referralAnswered.caseId: suzhou-ipb.example/custos entry 3 refers case C-1, not C-9");
  ExpectRefused(psb(), Answer("C-1", Ref{kOrigin, 2, testing::LeafOf(ipb().log(), 2)}), Code::kInvalidArgument,
                "suzhou-ipb.example/custos entry 2 is not a case referral");
  const uint64_t answered = psb().Ok(Answer("C-1", ipb().RefTo(referral))).index;
  ExpectRefused(psb(), Answer("C-1", ipb().RefTo(referral)), Code::kFailedPrecondition,
                "was already answered (entry " + std::to_string(answered) + ")");
  EXPECT_EQ(Must(rules::UsedBy(psb().log().stored(), kOrigin, referral.index), "UsedBy"), std::optional<uint64_t>(answered));
  auto target = Must(rules::TargetAt(ipb().log().stored(), referral.index), "TargetAt");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->kind, rules::TargetKind::kReferral);
  EXPECT_EQ(target->to_origin, kPsb);
  ExpectVerifies(ipb());
  ExpectVerifies(psb());
}

TEST_F(RulesTest, AReferralsDeadlineIsAfterItsLogTime) {
  ipb().Ok(Open("C-1"));
  const int64_t now = ipb().now();
  ExpectRefused(ipb(), Refer("C-1", kPsb, {}, true, now - kDay), Code::kFailedPrecondition,
                "body.caseReferred.answerBy: " + std::to_string(now - kDay) + " is not after the entry's logTime " +
                    std::to_string(now));
  ExpectRefused(ipb(), Refer("C-1", kPsb, {}, true, now), Code::kFailedPrecondition, "body.caseReferred.answerBy: ");
  ipb().Ok(Refer("C-1", kPsb, {}, true, 0));  // no deadline
  ipb().Ok(Refer("C-1", kPsb, {}, true, now + kDay));
  ExpectVerifies(ipb());
}

TEST_F(RulesTest, AReferralNamesAnAgencyOfTheFederationWhenTheNodeKnowsIt) {
  Agency strict(dir_ + "/strict", kOrigin, {kOrigin, kPsb}, 2);
  strict.Ok(Open("C-1"));
  ExpectRefused(strict, Refer("C-1", "nowhere.example/custos"), Code::kFailedPrecondition,
                "body.caseReferred.toOrigin: nowhere.example/custos is not an agency of the federation");
  strict.Ok(Refer("C-1", kPsb));
  strict.Ok(Register("E1", "A"));
  ExpectRefused(strict, Transfer("E1", "A", "B", "nowhere.example/custos"), Code::kFailedPrecondition,
                "body.custodyTransferred.toOrigin: nowhere.example/custos is not an agency of the federation");
  // Without the list (the default), any origin is taken.
  ipb().Ok(Open("C-1"));
  ipb().Ok(Refer("C-1", "nowhere.example/custos"));
}

// ------------------------------------------------------------ listings

TEST_F(RulesTest, ADelistingEndsALiveListingOfTheSameLogOnce) {
  const int64_t ends = ipb().now() + 30 * kDay;
  ExpectRefused(ipb(), List(ipb().now()), Code::kFailedPrecondition,
                "body.subjectListed.publicationEnds: ");
  const Receipt listing = ipb().Ok(List(ends));
  const Hash grant_leaf = testing::LeafOf(ipb().log(), 1);
  ExpectRefused(ipb(), Delist(Ref{kOrigin, 1, grant_leaf}), Code::kInvalidArgument,
                "body.subjectDelisted.listing: entry 1 of this log is not a listing");
  ExpectRefused(ipb(), Delist(Ref{kOrigin, listing.index, grant_leaf}), Code::kInvalidArgument,
                "leafHash is not the leaf hash of entry 2 of this log");
  psb().Follow(ipb());
  ExpectRefused(psb(), Delist(ipb().RefTo(listing)), Code::kInvalidArgument,
                "body.subjectDelisted.listing: names a listing of suzhou-ipb.example/custos; a delisting ends a listing "
                "of its own log");
  auto states = Must(rules::ListingsOf(ipb().log().stored(), SubjectKeyOf(kCompany), ipb().now()), "ListingsOf");
  ASSERT_EQ(states.size(), 1u);
  EXPECT_TRUE(states[0].live);
  const uint64_t delisted = ipb().Ok(Delist(ipb().RefTo(listing))).index;
  ExpectRefused(ipb(), Delist(ipb().RefTo(listing)), Code::kFailedPrecondition,
                "was already delisted (entry " + std::to_string(delisted) + ")");
  states = Must(rules::ListingsOf(ipb().log().stored(), SubjectKeyOf(kCompany), ipb().now()), "ListingsOf");
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].live);
  EXPECT_EQ(states[0].delisted_by, std::optional<uint64_t>(delisted));
  ExpectVerifies(ipb());
}

TEST_F(RulesTest, AListingLapsesByItselfAtItsPublicationEnd) {
  const int64_t ends = ipb().now() + kDay;
  const Receipt listing = ipb().Ok(List(ends));
  ipb().clock().Advance(kDay);
  auto states = Must(rules::ListingsOf(ipb().log().stored(), SubjectKeyOf(kCompany), ipb().now()), "ListingsOf");
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].live);
  EXPECT_FALSE(states[0].delisted_by);
  ExpectRefused(ipb(), Delist(ipb().RefTo(listing)), Code::kFailedPrecondition,
                "body.subjectDelisted.listing: the listing at entry 2 of this log already lapsed at its publication end " +
                    std::to_string(ends));
  ExpectVerifies(ipb());
}

// ------------------------------------------------------------ indexes

TEST_F(RulesTest, IndexesAreReadableAfterReopeningAcrossLogs) {
  ipb().Ok(Open("C-1"));
  const Receipt registered = ipb().Ok(Register("E1", "A", "C-1"));
  ipb().Ok(Examine("E1"));
  const Receipt referral = ipb().Ok(Refer("C-1", kPsb, {"E1", "E1"}));
  ipb().Ok(List(ipb().now() + kDay, "C-1"));
  psb().Follow(ipb());
  psb().Ok(Answer("C-1", ipb().RefTo(referral)));
  psb().Ok(Open("C-1"));  // the police's own case of the same number
  psb().Close();
  psb().Reopen();

  auto by_case = Must(rules::EntriesByCase(psb().store(), "C-1"), "EntriesByCase");
  std::vector<std::pair<layout::LogNumber, uint64_t>> where;
  for (const auto& hit : by_case) where.emplace_back(hit.entry.log, hit.entry.index);
  const layout::LogNumber ipb_log = *Must(psb().store().FindLog(kOrigin), "FindLog");
  // The police's own log (0) first, then the replica, each in index order.
  std::vector<std::pair<layout::LogNumber, uint64_t>> want = {
      {0, 2}, {0, 3}, {ipb_log, 2}, {ipb_log, 3}, {ipb_log, 5}, {ipb_log, 6}};
  EXPECT_EQ(where, want);
  EXPECT_EQ(by_case[0].value, rules::EncodeKind(Which::REFERRAL_ANSWERED));

  auto by_evidence = Must(rules::EntriesByEvidence(psb().store(), "E1"), "EntriesByEvidence");
  ASSERT_EQ(by_evidence.size(), 3u);  // registered, examined, referred (named twice: one record)
  EXPECT_EQ(by_evidence[2].value, rules::EncodeKind(Which::CASE_REFERRED));

  auto by_digest = Must(rules::EvidenceByDigest(psb().store(), 0, Sha256::Digest(std::string_view("content of E1"))), "digest");
  ASSERT_EQ(by_digest.size(), 1u);
  EXPECT_EQ(by_digest[0].entry, (layout::IndexedEntry{ipb_log, registered.index}));
  EXPECT_EQ(by_digest[0].value, "E1");

  auto listed = Must(rules::ListingsBySubject(psb().store(), SubjectKeyOf(kCompany)), "ListingsBySubject");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].entry.index, 6u);

  auto evidence = Must(rules::EvidenceOf(psb().replica(kOrigin).stored(), "E1"), "EvidenceOf");
  ASSERT_TRUE(evidence);
  EXPECT_EQ(evidence->holder, "A");
  auto opened = Must(rules::CaseOf(psb().log().stored(), "C-1"), "CaseOf");
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->closed_at, 0u);
  // The replica's index records verify against its entries as well.
  auto report = psb().replica(kOrigin).VerifyAll(nullptr);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  ExpectVerifies(psb());
}

// ------------------------------------------------------------ forged past Append

TEST_F(RulesTest, AFollowerAndVerificationRefuseATransferFromTheWrongHolder) {
  ipb().Ok(Register("E1", "X"));
  ipb().Forge(ipb().Make(Transfer("E1", "Y", "Z")));
  ExpectVerifyRefuses(ipb(), {"entry 3: custody rule: ", "body.custodyTransferred.fromHolder: evidence E1 is held by \"X\", not \"Y\""});
  ExpectReplicaRefuses(ipb(), {"entry 3: custody rule: ", "is held by \"X\", not \"Y\""});
}

TEST_F(RulesTest, AFollowerAndVerificationRefuseAnythingAfterDisposal) {
  ipb().Ok(Register("E1", "X"));
  ipb().Ok(Dispose("E1"));
  ipb().Forge(ipb().Make(Examine("E1")));
  ExpectVerifyRefuses(ipb(), {"entry 4: custody rule: ", "was released, returned or destroyed"});
  ExpectReplicaRefuses(ipb(), {"entry 4: custody rule: "});
}

TEST_F(RulesTest, AFollowerAndVerificationRefuseADecisionWithoutAnOpenCase) {
  ipb().Forge(ipb().Make(Decide("C-1")));
  ExpectVerifyRefuses(ipb(), {"entry 2: case rule: ", "body.caseDecided.caseId: case C-1 was not opened in this log"});
  ExpectReplicaRefuses(ipb(), {"entry 2: case rule: "});
}

TEST_F(RulesTest, AFollowerAndVerificationRefuseAReferralDueBeforeItsLogTime) {
  ipb().Ok(Open("C-1"));
  ipb().Forge(ipb().Make(Refer("C-1", kPsb, {}, true, ipb().now() - kDay)));
  ExpectVerifyRefuses(ipb(), {"entry 3: ", "body.caseReferred.answerBy: ", "is not after the entry's logTime"});
  ExpectReplicaRefuses(ipb(), {"entry 3: ", "body.caseReferred.answerBy: "});
}

TEST_F(RulesTest, AFollowerAndVerificationRefuseAnAnswerToAnotherAgencysReferral) {
  ipb().Ok(Open("C-1"));
  const Receipt referral = ipb().Ok(Refer("C-1", kPsb));
  ipb().Forge(ipb().Make(Answer("C-1", ipb().RefTo(referral))));
  ExpectVerifyRefuses(ipb(), {"entry 4: case rule: ", "only that agency may answer it"});
  ExpectReplicaRefuses(ipb(), {"entry 4: case rule: "});
}

TEST_F(RulesTest, AFollowerAndVerificationRefuseADelistingOfALapsedListing) {
  const Receipt listing = ipb().Ok(List(ipb().now() + kDay));
  ipb().clock().Advance(2 * kDay);
  ipb().Forge(ipb().Make(Delist(ipb().RefTo(listing))));
  ExpectVerifyRefuses(ipb(), {"entry 3: listing rule: ", "already lapsed"});
  ExpectReplicaRefuses(ipb(), {"entry 3: listing rule: "});
}

// ------------------------------------------------------------ references a follower cannot check

// A follower that does not hold the referenced log accepts the reference
// unchecked (replication must not depend on the order logs are synced in);
// verification counts it, and checks it once the log is held.
TEST_F(RulesTest, AReferenceToALogTheFollowerDoesNotHoldIsAcceptedUnchecked) {
  ipb().Ok(Open("C-1"));
  const Receipt referral = ipb().Ok(Refer("C-1", kPsb));
  psb().Follow(ipb());
  psb().Ok(Answer("C-1", ipb().RefTo(referral)));

  Agency court(dir_ + "/court", "suzhou-court.example/custos", {}, 3);
  court.Follow(psb());  // the court does not hold the bureau's log
  auto report = court.replica(kPsb).VerifyAll(nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->unchecked_references, 1u);
  court.Follow(ipb());
  report = court.replica(kPsb).VerifyAll(nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->unchecked_references, 0u);
}

TEST_F(RulesTest, AFollowerRefusesAReferenceToAHeldEntryWithAnotherLeafHash) {
  ipb().Ok(Open("C-1"));
  const Receipt referral = ipb().Ok(Refer("C-1", kPsb));
  // The police forge an answer naming another leaf hash for the referral.
  psb().Forge(psb().Make(Answer("C-1", Ref{kOrigin, referral.index, Hash{}})));
  Agency court(dir_ + "/court", "suzhou-court.example/custos", {}, 3);
  court.Follow(ipb());
  testing::RawLog raw(psb().log(), psb().log().size());
  auto replica = Must(Replica::Open(court.store(), Agency::VerifierOf(kPsb)), "Replica::Open");
  Status st = replica->Apply(raw.entries(), psb().log().checkpoint(), {});
  EXPECT_EQ(st.code(), Code::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("entry 2: case rule: body.referralAnswered.referral: references "
                              "suzhou-ipb.example/custos entry 3, but this node holds a different leaf hash"),
            std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace custos
