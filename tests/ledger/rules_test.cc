// The rules per statement family (ledger/rules.h, docs/rules.md), each
// accepted and refused through the real Log::Append path on a real LevelDB,
// the database unchanged byte for byte after every refusal; the same broken
// entries forged past Append and refused by Replica::Apply and by full
// verification, naming the entry and the rule; the query indexes after a
// reopen; references to other logs held, not held and held with another hash.
#include "ledger/rules.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <set>

#include "crypto/sha256.h"
#include "ledger/listings_map.h"
#include "ledger/log.h"
#include "ledger/replica.h"
#include "ledger/store.h"
#include "ledger/verify.h"
#include "tests/ledger/log_test_util.h"
#include "tests/ledger/replica_test_util.h"

namespace custos {
namespace {

using custos::testing::AdminKey;
using custos::testing::DbContents;
using custos::testing::kOrigin;
using custos::testing::Must;
using custos::testing::OfficerKey;
using custos::testing::Sign;
using custos::testing::TestKey;
using Code = Status::Code;
using Fill = std::function<void(schema::Statement::Builder)>;
using Which = schema::Statement::Body::Which;

constexpr char kPsb[] = "suzhou-psb.example/custos";
constexpr char kWuxi[] = "wuxi-ipb.example/custos";
constexpr char kCompany[] = "91320583MA1WR6T306";
constexpr int64_t kDay = 24 * 60 * 60 * 1000;

capnp::Text::Reader T(const std::string& s) { return {s.c_str(), s.size()}; }

NamedKey NodeKeyOf(const std::string& origin) {
  if (origin == kOrigin) return testing::NodeKey();
  return NamedKey{origin, TestKey("node/" + origin)};
}

// ------------------------------------------------------------ statements

struct Ref {
  std::string origin;
  uint64_t index = 0;
  Hash leaf;
};

void SetRef(schema::LogRef::Builder b, const Ref& r) {
  b.setOrigin(T(r.origin));
  b.setIndex(r.index);
  b.setLeafHash(capnp::Data::Reader(r.leaf.bytes.data(), r.leaf.bytes.size()));
}

Fill Register(std::string id, std::string holder, std::string case_id = "C-1") {
  return [=](schema::Statement::Builder s) {
    auto r = s.getBody().initEvidenceRegistered();
    r.setEvidenceId(T(id));
    r.setCaseId(T(case_id));
    auto d = r.initDigests(1)[0];
    d.setAlgorithm(schema::DigestAlgorithm::SHA256);
    Hash h = Sha256::Digest("content of " + id);
    d.setValue(capnp::Data::Reader(h.bytes.data(), h.bytes.size()));
    d.setSize(1000);
    d.setMediaType("video/mp4");
    r.setMethod(schema::EvidenceMethod::SAMPLING);
    r.setPlace("仓库");
    auto o = r.initOfficers(1)[0];
    o.setName("张明");
    o.setBadge("32050021017");
    r.setHolder(T(holder));
  };
}

Fill Transfer(std::string id, std::string from, std::string to, std::string to_origin = "") {
  return [=](schema::Statement::Builder s) {
    auto t = s.getBody().initCustodyTransferred();
    t.setEvidenceId(T(id));
    t.setFromHolder(T(from));
    t.setToHolder(T(to));
    t.setToOrigin(T(to_origin));
    t.setReason("移交");
    t.setSealNumber("SEAL-1");
  };
}

Fill Receive(std::string id, Ref transfer, std::string holder) {
  return [=](schema::Statement::Builder s) {
    auto c = s.getBody().initCustodyReceived();
    c.setEvidenceId(T(id));
    SetRef(c.initTransfer(), transfer);
    c.setHolder(T(holder));
    c.setSealIntact(true);
  };
}

Fill Examine(std::string id) {
  return [=](schema::Statement::Builder s) {
    auto x = s.getBody().initEvidenceExamined();
    x.setEvidenceId(T(id));
    x.setExaminer("王晓燕");
    x.setFindings("as registered");
    x.setDigestsMatch(true);
  };
}

Fill Dispose(std::string id) {
  return [=](schema::Statement::Builder s) {
    auto d = s.getBody().initEvidenceDisposed();
    d.setEvidenceId(T(id));
    d.setDisposition(schema::Disposition::RETURNED);
    d.setReason("case closed");
    d.setRecipient("昆山鑫达五金制品有限公司");
  };
}

Fill Open(std::string case_id) {
  return [=](schema::Statement::Builder s) {
    auto c = s.getBody().initCaseOpened();
    c.setCaseId(T(case_id));
    c.setCaseType(schema::CaseType::PASSING_OFF);
    c.setPatentNumber("ZL202120587341.9");
    auto p = c.initParties(1)[0];
    p.setKind(schema::PartyKind::UNIFIED_SOCIAL_CREDIT_CODE);
    p.setId(kCompany);
    p.setName("昆山鑫达五金制品有限公司");
    c.setRegion("320583");
  };
}

Fill Decide(std::string case_id) {
  return [=](schema::Statement::Builder s) {
    auto d = s.getBody().initCaseDecided();
    d.setCaseId(T(case_id));
    d.setDecisionNumber("苏知执罚字〔2024〕第17号");
  };
}

Fill Close(std::string case_id) {
  return [=](schema::Statement::Builder s) {
    auto c = s.getBody().initCaseClosed();
    c.setCaseId(T(case_id));
    c.setReason("结案");
  };
}

Fill Refer(std::string case_id, std::string to_origin, std::vector<std::string> evidence = {}) {
  return [=](schema::Statement::Builder s) {
    auto r = s.getBody().initCaseReferred();
    r.setCaseId(T(case_id));
    r.setToOrigin(T(to_origin));
    r.setReason("涉嫌犯罪");
    r.setCrimeSuspected(true);
    auto ids = r.initEvidenceIds(static_cast<unsigned>(evidence.size()));
    for (unsigned i = 0; i < evidence.size(); ++i) ids.set(i, T(evidence[i]));
    r.setAnswerBy(testing::kStartMillis + 30 * kDay);
  };
}

Fill Answer(std::string case_id, Ref referral) {
  return [=](schema::Statement::Builder s) {
    auto a = s.getBody().initReferralAnswered();
    a.setCaseId(T(case_id));
    SetRef(a.initReferral(), referral);
    a.setAnswer(schema::ReferralAnswer::ACCEPTED);
  };
}

Fill List(int64_t publication_ends, std::string case_ref = "C-1") {
  return [=](schema::Statement::Builder s) {
    auto l = s.getBody().initSubjectListed();
    l.setSubjectKind(schema::PartyKind::UNIFIED_SOCIAL_CREDIT_CODE);
    l.setSubjectId(kCompany);
    l.setSubjectName("昆山鑫达五金制品有限公司");
    l.setCause("假冒专利");
    l.setLegalBasis("《知识产权信用管理规定》");
    l.setDecidingAgency("苏州市知识产权局");
    l.setDecisionNumber("苏知信列字〔2024〕第5号");
    l.setCaseRef(T(case_ref));
    l.setListedFrom(testing::kStartMillis - kDay);
    l.setPublicationEnds(publication_ends);
  };
}

Fill Delist(Ref listing) {
  return [=](schema::Statement::Builder s) {
    auto d = s.getBody().initSubjectDelisted();
    SetRef(d.initListing(), listing);
    d.setReason(schema::DelistReason::CREDIT_REPAIR);
    d.setNote("信用修复");
  };
}

Hash SubjectKeyOf(const std::string& id) {
  return Hash{listings::DeriveSubjectKey(listings::SubjectKind::kUnifiedSocialCreditCode, id).bytes};
}

// ------------------------------------------------------------ an agency

// One node: a Store with a manual clock, its own log (the officer granted
// every role) and the replicas of the logs it follows.
class Agency {
 public:
  Agency(const std::string& dir, std::string origin, std::set<std::string> known_origins = {}, uint64_t stream = 0)
      : origin_(std::move(origin)), maker_(stream) {
    std::filesystem::create_directories(dir);
    options_.path = dir + "/db";
    options_.clock = &clock_;
    options_.verify_threads = 2;
    options_.known_origins = std::move(known_origins);
    store_ = Must(Store::Open(options_, OpenMode::kCreateNew), "Store::Open");
    PublicKey admin = AdminKey().public_key();
    log_ = Must(Log::Create(*store_, origin_, NodeKeyOf(origin_), std::span<const PublicKey>(&admin, 1)), "Log::Create");
    Ok(Sign(maker_.Build(
                now(),
                [&](schema::Statement::Builder s) {
                  auto g = s.getBody().initKeyGrant();
                  auto officer = OfficerKey().public_key();
                  g.setKey(capnp::Data::Reader(officer.bytes.data(), officer.bytes.size()));
                  g.setHolder("张明");
                  g.setPost("officer");
                  auto roles = g.initRoles(3);
                  roles.set(0, schema::Role::EVIDENCE);
                  roles.set(1, schema::Role::CASE);
                  roles.set(2, schema::Role::LISTING);
                },
                origin_),
            AdminKey()));
  }

  const std::string& origin() const { return origin_; }
  Log& log() { return *log_; }
  Store& store() { return *store_; }
  ManualClock& clock() { return clock_; }
  int64_t now() { return clock_.NowMillis(); }
  const StoreOptions& options() const { return options_; }

  // The officer's submission of a statement for this log.
  Bytes Make(const Fill& fill) { return Sign(maker_.Build(now(), fill, origin_), OfficerKey()); }
  Result<Receipt> Append(const Bytes& submission) {
    return log_->Append(std::span<const Bytes>(&submission, 1), BatchMode::kAllOrNothing).at(0);
  }
  Receipt Ok(const Bytes& submission) { return Must(Append(submission), "append"); }
  Receipt Ok(const Fill& fill) { return Ok(Make(fill)); }
  Ref RefTo(const Receipt& r) const { return Ref{origin_, r.index, r.leaf_hash}; }

  // Replicates `other`'s log up to its current size.
  void Follow(Agency& other) {
    auto& replica = replicas_[other.origin()];
    if (!replica) replica = Must(Replica::Open(*store_, VerifierOf(other.origin())), "Replica::Open");
    Status st = replica->Apply(testing::Fetch(other.log(), replica->size(), other.log().size()), other.log().checkpoint(), {});
    if (!st.ok()) throw std::runtime_error("Apply: " + st.ToString());
  }
  Replica& replica(const std::string& origin) { return *replicas_.at(origin); }

  void Close() {
    for (auto& [origin, replica] : replicas_) replica.reset();
    log_.reset();
    store_.reset();
  }
  void Reopen() {
    store_ = Must(Store::Open(options_, OpenMode::kOpenExisting), "Store::Open");
    log_ = Must(Log::Open(*store_, NodeKeyOf(origin_)), "Log::Open");
    for (auto& [origin, replica] : replicas_) {
      replica = Must(Replica::Open(*store_, VerifierOf(origin), false), "Replica::Open");
    }
  }
  DbContents Snapshot() {
    Close();
    DbContents contents = testing::ReadAllKeys(options_.path);
    Reopen();
    return contents;
  }

  // Appends `submission` past Append's checks, as a node that breaks the
  // rules would: a valid entry, chained and signed, under a new checkpoint.
  void Forge(const Bytes& submission) {
    Close();
    {
      auto store = Must(Store::Open(options_, OpenMode::kOpenExisting), "Store::Open");
      StoredLog log(*store, layout::kOwnLog);
      if (Status st = log.Load(); !st.ok()) throw std::runtime_error(st.ToString());
      auto checked = Must(CheckSubmission(submission), "CheckSubmission");
      StoredLog::Batch batch;
      log.Begin(&batch);
      const int64_t time = now();
      Bytes entry = BuildEntry(log.NextIndex(batch), batch.last_leaf, time, checked.submission.get());
      log.AddEntry(batch, entry, merkle::LeafHash(entry), checked.statement_hash, checked.statement.get(), time);
      layout::LogHead head = log.Grow(batch);
      Hash listings_root = Must(log.ApplyListings(batch), "ApplyListings");
      Checkpoint cp{origin_, head.size, head.root, {listings::ListingsLine(listings_root)}};
      const NamedKey key = NodeKeyOf(origin_);
      head.checkpoint = Must(SignNote(cp.Format(), key.name, key.key), "SignNote");
      batch.writes.Put(layout::CheckpointKey(layout::kOwnLog, head.size), head.checkpoint);
      if (Status st = log.Commit(batch, head); !st.ok()) throw std::runtime_error(st.ToString());
    }
    Reopen();
  }

  static NoteVerifier VerifierOf(const std::string& origin) {
    return NoteVerifier::ForKey(origin, NodeKeyOf(origin).key.public_key());
  }

 private:
  std::string origin_;
  ManualClock clock_{testing::kStartMillis};
  testing::StatementMaker maker_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Log> log_;
  std::map<std::string, std::unique_ptr<Replica>> replicas_;
};

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
  auto e = Must(ipb().log().stored().EvidenceOf("SZIPB-2024-0017-E01"), "EvidenceOf");
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
  auto e = Must(psb().log().stored().EvidenceOf("E1"), "EvidenceOf");
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
  EXPECT_EQ(Must(psb().log().stored().UsedBy(kOrigin, referral.index), "UsedBy"), std::optional<uint64_t>(answered));
  auto target = Must(ipb().log().stored().TargetAt(referral.index), "TargetAt");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->kind, rules::TargetKind::kReferral);
  EXPECT_EQ(target->to_origin, kPsb);
  ExpectVerifies(ipb());
  ExpectVerifies(psb());
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
  auto states = Must(ipb().log().stored().ListingsOf(SubjectKeyOf(kCompany), ipb().now()), "ListingsOf");
  ASSERT_EQ(states.size(), 1u);
  EXPECT_TRUE(states[0].live);
  const uint64_t delisted = ipb().Ok(Delist(ipb().RefTo(listing))).index;
  ExpectRefused(ipb(), Delist(ipb().RefTo(listing)), Code::kFailedPrecondition,
                "was already delisted (entry " + std::to_string(delisted) + ")");
  states = Must(ipb().log().stored().ListingsOf(SubjectKeyOf(kCompany), ipb().now()), "ListingsOf");
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].live);
  EXPECT_EQ(states[0].delisted_by, std::optional<uint64_t>(delisted));
  ExpectVerifies(ipb());
}

TEST_F(RulesTest, AListingLapsesByItselfAtItsPublicationEnd) {
  const int64_t ends = ipb().now() + kDay;
  const Receipt listing = ipb().Ok(List(ends));
  ipb().clock().Advance(kDay);
  auto states = Must(ipb().log().stored().ListingsOf(SubjectKeyOf(kCompany), ipb().now()), "ListingsOf");
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

  auto by_case = Must(psb().store().EntriesByCase("C-1"), "EntriesByCase");
  std::vector<std::pair<layout::LogNumber, uint64_t>> where;
  for (const auto& hit : by_case) where.emplace_back(hit.entry.log, hit.entry.index);
  const layout::LogNumber ipb_log = *Must(psb().store().FindLog(kOrigin), "FindLog");
  // The police's own log (0) first, then the replica, each in index order.
  std::vector<std::pair<layout::LogNumber, uint64_t>> want = {
      {0, 2}, {0, 3}, {ipb_log, 2}, {ipb_log, 3}, {ipb_log, 5}, {ipb_log, 6}};
  EXPECT_EQ(where, want);
  EXPECT_EQ(by_case[0].value, rules::EncodeKind(Which::REFERRAL_ANSWERED));

  auto by_evidence = Must(psb().store().EntriesByEvidence("E1"), "EntriesByEvidence");
  ASSERT_EQ(by_evidence.size(), 3u);  // registered, examined, referred (named twice: one record)
  EXPECT_EQ(by_evidence[2].value, rules::EncodeKind(Which::CASE_REFERRED));

  auto by_digest = Must(psb().store().EvidenceByDigest(0, Sha256::Digest(std::string_view("content of E1"))), "digest");
  ASSERT_EQ(by_digest.size(), 1u);
  EXPECT_EQ(by_digest[0].entry, (layout::IndexedEntry{ipb_log, registered.index}));
  EXPECT_EQ(by_digest[0].value, "E1");

  auto listed = Must(psb().store().ListingsBySubject(SubjectKeyOf(kCompany)), "ListingsBySubject");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].entry.index, 6u);

  auto evidence = Must(psb().replica(kOrigin).stored().EvidenceOf("E1"), "EvidenceOf");
  ASSERT_TRUE(evidence);
  EXPECT_EQ(evidence->holder, "A");
  auto opened = Must(psb().log().stored().CaseOf("C-1"), "CaseOf");
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
