// The case trail and the referral audit (ledger/query/audit.h, docs/audit.md) on
// real Stores: a bureau, a police node and a procuratorate that follows both.
// The trail's order; each audit finding present, and absent once what it
// misses is there; the bound (the checkpoint each log is read up to). The
// checks a client makes of the answers are in tests/trust/answer_checker_test.cc.
#include "ledger/query/audit.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "crypto/text.h"
#include "tests/ledger/agency_test_util.h"

namespace custos {
namespace {

using namespace custos::agency_testing;  // NOLINT: the shared statements and Agency
using Which = schema::Statement::Body::Which;
using audit::FindingKind;

constexpr char kPro[] = "suzhou-procuratorate.example/custos";

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ipb_ = std::make_unique<Agency>(dir_ + "/ipb", kOrigin, std::set<std::string>{}, 1);
    psb_ = std::make_unique<Agency>(dir_ + "/psb", kPsb, std::set<std::string>{}, 2);
    pro_ = std::make_unique<Agency>(dir_ + "/pro", kPro, std::set<std::string>{}, 3);
  }
  void TearDown() override {
    pro_.reset();
    psb_.reset();
    ipb_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The procuratorate catches up with both.
  void Sync() {
    pro_->Follow(*ipb_);
    pro_->Follow(*psb_);
  }
  std::unique_ptr<audit::StoreSnapshot> Snap() { return testing::Must(audit::StoreSnapshot::Take(pro_->store()), "snapshot"); }

  // The report stays alive until the test ends: Of() points into it.
  const audit::AuditReport& Audit(int64_t at) {
    auto snap = Snap();
    audit::AuditOptions options;
    options.at = at;
    options.bureaus = {kOrigin, kWuxi};
    options.public_security = {kPsb};
    return reports_.emplace_back(testing::Must(audit::AuditReferrals(*snap, options), "audit"));
  }
  std::deque<audit::AuditReport> reports_;
  static std::vector<const audit::Finding*> Of(const audit::AuditReport& r, FindingKind kind) {
    std::vector<const audit::Finding*> out;
    for (const auto& f : r.findings) {
      if (f.kind == kind) out.push_back(&f);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<Agency> ipb_, psb_, pro_;
};

// ------------------------------------------------------------ case trail

TEST_F(AuditTest, TrailHoldsEveryLogsEntriesInLogTimeThenOriginThenIndexOrder) {
  ipb_->Ok(Open("C-1"));                                                     // ipb 2, t0
  ipb_->Ok(Register("E1", "team", "C-1"));                                   // ipb 3, t0
  ipb_->clock().Advance(1000);
  Receipt sent = ipb_->Ok(Transfer("E1", "team", "police", kPsb));           // ipb 4, t0+1s
  Receipt referral = ipb_->Ok(Refer("C-1", kPsb, {"E1"}));                  // ipb 5, t0+1s
  ipb_->Ok(Open("C-OTHER"));                                                 // not in the trail
  psb_->Follow(*ipb_);
  psb_->clock().Advance(1000);                                               // same logTime as ipb 4 and 5
  psb_->Ok(Receive("E1", ipb_->RefTo(sent), "police store"));                // psb 2, t0+1s
  psb_->clock().Advance(1000);
  psb_->Ok(Answer("C-1", ipb_->RefTo(referral)));                            // psb 3, t0+2s
  ipb_->clock().Advance(5000);
  ipb_->Ok(Decide("C-1"));                                                   // ipb 7, t0+6s
  ipb_->Ok(Close("C-1"));                                                    // ipb 8, t0+6s
  Sync();

  auto snap = Snap();
  auto trail = testing::Must(audit::BuildCaseTrail(*snap, "C-1"), "trail");
  struct Want {
    std::string origin;
    uint64_t index;
    Which kind;
  };
  const std::vector<Want> want = {
      {kOrigin, 2, Which::CASE_OPENED},        {kOrigin, 3, Which::EVIDENCE_REGISTERED},
      {kOrigin, 4, Which::CUSTODY_TRANSFERRED}, {kOrigin, 5, Which::CASE_REFERRED},
      {kPsb, 2, Which::CUSTODY_RECEIVED},      {kPsb, 3, Which::REFERRAL_ANSWERED},
      {kOrigin, 7, Which::CASE_DECIDED},       {kOrigin, 8, Which::CASE_CLOSED},
  };
  ASSERT_EQ(trail.entries.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(trail.entries[i].origin, want[i].origin) << i;
    EXPECT_EQ(trail.entries[i].index, want[i].index) << i;
    EXPECT_EQ(trail.entries[i].kind, want[i].kind) << i;
    EXPECT_EQ(trail.entries[i].leaf, merkle::LeafHash(trail.entries[i].entry)) << i;
  }
  EXPECT_EQ(trail.logs.size(), 3u);  // own log and both replicas, each with its checkpoint
}

TEST_F(AuditTest, TrailOfAnUnknownCaseIsEmptyAndABadIdIsRefused) {
  ipb_->Ok(Open("C-1"));
  Sync();
  auto snap = Snap();
  EXPECT_TRUE(testing::Must(audit::BuildCaseTrail(*snap, "C-404"), "trail").entries.empty());
  EXPECT_EQ(audit::BuildCaseTrail(*snap, "").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(audit::BuildCaseTrail(*snap, std::string(300, 'x')).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(AuditTest, TrailStopsAtTheSnapshotsCheckpoint) {
  ipb_->Ok(Open("C-1"));
  Sync();
  auto snap = Snap();  // taken before the decision is replicated
  ipb_->Ok(Decide("C-1"));
  Sync();
  EXPECT_EQ(testing::Must(audit::BuildCaseTrail(*snap, "C-1"), "trail").entries.size(), 1u);
  EXPECT_EQ(testing::Must(audit::BuildCaseTrail(*Snap(), "C-1"), "trail").entries.size(), 2u);
}

// ------------------------------------------------------------ referral audit

TEST_F(AuditTest, ReferralUnansweredPastItsDeadlineUntilPoliceAnswers) {
  const int64_t due = ipb_->now() + kDay;
  ipb_->Ok(Open("C-1"));
  Receipt referral = ipb_->Ok(Refer("C-1", kPsb, {}, true, due));
  ipb_->Ok(Open("C-2"));
  ipb_->Ok(Refer("C-2", kPsb, {}, false, 0));  // no deadline: never overdue
  Sync();

  EXPECT_TRUE(Of(Audit(due - 1), FindingKind::kReferralUnanswered).empty()) << "not due yet";
  auto report = Audit(due + 1);
  auto found = Of(report, FindingKind::kReferralUnanswered);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->case_id, "C-1");
  EXPECT_EQ(found[0]->deadline, due);
  ASSERT_EQ(found[0]->entries.size(), 1u);
  EXPECT_EQ(found[0]->entries[0].index, referral.index);
  EXPECT_EQ(found[0]->entries[0].leaf, referral.leaf_hash);
  EXPECT_NE(found[0]->detail.find("due an answer by " + FormatUtc(due)), std::string::npos) << found[0]->detail;

  psb_->Follow(*ipb_);
  psb_->Ok(Answer("C-1", ipb_->RefTo(referral)));
  Sync();
  EXPECT_TRUE(Of(Audit(due + 1), FindingKind::kReferralUnanswered).empty());
}

TEST_F(AuditTest, ReferralToALogNotHeldIsReportedAsUnseen) {
  const int64_t due = ipb_->now() + kDay;
  ipb_->Ok(Open("C-1"));
  ipb_->Ok(Refer("C-1", kWuxi, {}, false, due));
  pro_->Follow(*ipb_);
  auto found = Of(Audit(due + 1), FindingKind::kReferralUnanswered);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0]->detail.find("holds no log of " + std::string(kWuxi)), std::string::npos) << found[0]->detail;
}

TEST_F(AuditTest, SuspectedCrimeDecidedWithoutReferralToPublicSecurity) {
  ipb_->Ok(Open("C-FINE"));
  Receipt flag = ipb_->Ok(Refer("C-FINE", kWuxi, {}, true, 0));  // flagged, but sent to another bureau
  Receipt decided = ipb_->Ok(Decide("C-FINE"));
  Receipt closed = ipb_->Ok(Close("C-FINE"));
  ipb_->Ok(Open("C-OK"));
  ipb_->Ok(Refer("C-OK", kPsb, {}, true, 0));  // referred to police first: no finding
  ipb_->Ok(Decide("C-OK"));
  ipb_->Ok(Open("C-LATE"));
  ipb_->Ok(Refer("C-LATE", kWuxi, {}, true, 0));
  ipb_->Ok(Close("C-LATE"));
  ipb_->Ok(Refer("C-LATE", kPsb, {}, true, 0));  // after the closing: still a finding
  ipb_->Ok(Open("C-PLAIN"));
  ipb_->Ok(Refer("C-PLAIN", kWuxi, {}, false, 0));  // not flagged
  ipb_->Ok(Decide("C-PLAIN"));
  Sync();

  auto found = Of(Audit(ipb_->now()), FindingKind::kSuspectedCrimeNotReferred);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]->case_id, "C-FINE");
  EXPECT_EQ(found[1]->case_id, "C-LATE");
  ASSERT_EQ(found[0]->entries.size(), 3u);
  EXPECT_EQ(found[0]->entries[0].index, flag.index);
  EXPECT_EQ(found[0]->entries[1].index, decided.index);
  EXPECT_EQ(found[0]->entries[2].index, closed.index);
}

TEST_F(AuditTest, EvidenceSentWithAReferralThatNeverArrived) {
  ipb_->Ok(Open("C-1"));
  ipb_->Ok(Register("E1", "team", "C-1"));
  ipb_->Ok(Register("E2", "team", "C-1"));
  Receipt sent = ipb_->Ok(Transfer("E1", "team", "police", kPsb));
  Receipt referral = ipb_->Ok(Refer("C-1", kPsb, {"E1", "E2"}, true, 0));  // E2 never transferred
  Sync();

  auto found = Of(Audit(ipb_->now()), FindingKind::kEvidenceNotReceived);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]->subject, "E1");
  ASSERT_EQ(found[0]->entries.size(), 2u);
  EXPECT_EQ(found[0]->entries[0].index, sent.index);
  EXPECT_EQ(found[0]->entries[1].index, referral.index);
  EXPECT_EQ(found[1]->subject, "E2");
  EXPECT_NE(found[1]->detail.find("never transferred"), std::string::npos) << found[1]->detail;

  psb_->Follow(*ipb_);
  psb_->Ok(Receive("E1", ipb_->RefTo(sent), "police store"));
  Sync();
  found = Of(Audit(ipb_->now()), FindingKind::kEvidenceNotReceived);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->subject, "E2");
}

TEST_F(AuditTest, ListingPastItsPublicationEndNotDelisted) {
  const int64_t ends = ipb_->now() + kDay;
  Receipt lapsed = ipb_->Ok(List(ends, "C-1"));
  Receipt repaired = ipb_->Ok(List(ends, "C-2"));
  ipb_->Ok(Delist(ipb_->RefTo(repaired)));
  Sync();

  EXPECT_TRUE(Of(Audit(ends - 1), FindingKind::kListingLapsedNotDelisted).empty());
  auto found = Of(Audit(ends), FindingKind::kListingLapsedNotDelisted);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->case_id, "C-1");
  EXPECT_EQ(found[0]->deadline, ends);
  EXPECT_EQ(found[0]->entries.at(0).index, lapsed.index);
}

TEST_F(AuditTest, OnlyBureauLogsAreAuditedAndTheReportSaysWhatItCovered) {
  const int64_t ends = psb_->now() + kDay;
  psb_->Ok(List(ends, "C-9"));  // police's own listing: its log is not a bureau's
  ipb_->Ok(Open("C-1"));
  Sync();
  auto report = Audit(ends + 1);
  EXPECT_TRUE(report.findings.empty());
  ASSERT_EQ(report.audited.size(), 1u);
  EXPECT_EQ(report.audited[0].origin, kOrigin);
  EXPECT_EQ(report.audited[0].size, ipb_->log().size());
  EXPECT_EQ(report.consulted.size(), 2u);
  EXPECT_EQ(report.not_held, std::vector<std::string>{kWuxi});
  EXPECT_EQ(report.entries_scanned, ipb_->log().size());
  auto snap = Snap();
  EXPECT_EQ(audit::AuditReferrals(*snap, audit::AuditOptions{}).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(AuditTest, ProgressCountsEveryScannedEntry) {
  for (int i = 0; i < 20; ++i) ipb_->Ok(Open("C-" + std::to_string(i)));
  Sync();
  auto snap = Snap();
  audit::AuditOptions options;
  options.at = ipb_->now();
  options.bureaus = {kOrigin};
  uint64_t done = 0, total = 0;
  options.progress = [&](uint64_t d, uint64_t t) { done = d, total = t; };
  testing::Must(audit::AuditReferrals(*snap, options), "audit");
  EXPECT_EQ(total, ipb_->log().size());
  EXPECT_EQ(done, total);
}

}  // namespace
}  // namespace custos
