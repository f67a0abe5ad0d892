// What the rules, audit and query tests share: statements of every family
// built in code (Fill), and Agency — one node on a real Store with a manual
// clock, its own log (the officer granted every role) and the replicas of the
// logs it follows. Free of GoogleTest; a failed setup step throws.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "ledger/listings/listings_map.h"
#include "ledger/listings/histories.h"
#include "ledger/listings/listings_state.h"
#include "ledger/log/log.h"
#include "ledger/log/replica.h"
#include "ledger/storage/store.h"
#include "tests/ledger/log_test_util.h"
#include "tests/ledger/replica_test_util.h"

namespace custos::agency_testing {

using custos::testing::AdminKey;
using custos::testing::DbContents;
using custos::testing::kOrigin;
using custos::testing::Must;
using custos::testing::OfficerKey;
using custos::testing::Sign;
using custos::testing::TestKey;

using Fill = std::function<void(schema::Statement::Builder)>;
using Which = schema::Statement::Body::Which;

inline constexpr char kPsb[] = "suzhou-psb.example/custos";
inline constexpr char kWuxi[] = "wuxi-ipb.example/custos";
inline constexpr char kCompany[] = "91320583MA1WR6T306";
inline constexpr int64_t kDay = 24 * 60 * 60 * 1000;

inline capnp::Text::Reader T(const std::string& s) { return {s.c_str(), s.size()}; }

inline NamedKey NodeKeyOf(const std::string& origin) {
  if (origin == kOrigin) return testing::NodeKey();
  return NamedKey{origin, TestKey("node/" + origin)};
}

// ------------------------------------------------------------ statements

struct Ref {
  std::string origin;
  uint64_t index = 0;
  Hash leaf;
};

inline void SetRef(schema::LogRef::Builder b, const Ref& r) {
  b.setOrigin(T(r.origin));
  b.setIndex(r.index);
  b.setLeafHash(capnp::Data::Reader(r.leaf.bytes.data(), r.leaf.bytes.size()));
}

inline Fill Register(std::string id, std::string holder, std::string case_id = "C-1") {
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

inline Fill Transfer(std::string id, std::string from, std::string to, std::string to_origin = "") {
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

inline Fill Receive(std::string id, Ref transfer, std::string holder) {
  return [=](schema::Statement::Builder s) {
    auto c = s.getBody().initCustodyReceived();
    c.setEvidenceId(T(id));
    SetRef(c.initTransfer(), transfer);
    c.setHolder(T(holder));
    c.setSealIntact(true);
  };
}

inline Fill Examine(std::string id) {
  return [=](schema::Statement::Builder s) {
    auto x = s.getBody().initEvidenceExamined();
    x.setEvidenceId(T(id));
    x.setExaminer("王晓燕");
    x.setFindings("as registered");
    x.setDigestsMatch(true);
  };
}

inline Fill Dispose(std::string id) {
  return [=](schema::Statement::Builder s) {
    auto d = s.getBody().initEvidenceDisposed();
    d.setEvidenceId(T(id));
    d.setDisposition(schema::Disposition::RETURNED);
    d.setReason("case closed");
    d.setRecipient("昆山鑫达五金制品有限公司");
  };
}

inline Fill Open(std::string case_id) {
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

inline Fill Decide(std::string case_id) {
  return [=](schema::Statement::Builder s) {
    auto d = s.getBody().initCaseDecided();
    d.setCaseId(T(case_id));
    d.setDecisionNumber("苏知执罚字〔2024〕第17号");
  };
}

inline Fill Close(std::string case_id) {
  return [=](schema::Statement::Builder s) {
    auto c = s.getBody().initCaseClosed();
    c.setCaseId(T(case_id));
    c.setReason("结案");
  };
}

inline Fill Refer(std::string case_id, std::string to_origin, std::vector<std::string> evidence = {},
                  bool crime_suspected = true, int64_t answer_by = testing::kStartMillis + 30 * kDay) {
  return [=](schema::Statement::Builder s) {
    auto r = s.getBody().initCaseReferred();
    r.setCaseId(T(case_id));
    r.setToOrigin(T(to_origin));
    r.setReason("涉嫌犯罪");
    r.setCrimeSuspected(crime_suspected);
    auto ids = r.initEvidenceIds(static_cast<unsigned>(evidence.size()));
    for (unsigned i = 0; i < evidence.size(); ++i) ids.set(i, T(evidence[i]));
    r.setAnswerBy(answer_by);
  };
}

inline Fill Answer(std::string case_id, Ref referral) {
  return [=](schema::Statement::Builder s) {
    auto a = s.getBody().initReferralAnswered();
    a.setCaseId(T(case_id));
    SetRef(a.initReferral(), referral);
    a.setAnswer(schema::ReferralAnswer::ACCEPTED);
  };
}

inline Fill List(int64_t publication_ends, std::string case_ref = "C-1") {
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

inline Fill Delist(Ref listing) {
  return [=](schema::Statement::Builder s) {
    auto d = s.getBody().initSubjectDelisted();
    SetRef(d.initListing(), listing);
    d.setReason(schema::DelistReason::CREDIT_REPAIR);
    d.setNote("信用修复");
  };
}

inline Hash SubjectKeyOf(const std::string& id) {
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
      KeyTable keys;
      if (Status st = keys.Load(log); !st.ok()) throw std::runtime_error(st.ToString());
      auto checked = Must(CheckSubmission(submission), "CheckSubmission");
      EntryBatch batch;
      BeginBatch(log, keys, batch);
      const int64_t time = now();
      Bytes entry = BuildEntry(log.NextIndex(batch.stored), batch.stored.last_leaf, time, checked.submission.get());
      AddEntry(log, batch, entry, merkle::LeafHash(entry), checked.statement_hash, checked.statement.get(), time,
               rules::RuleEffects());
      layout::LogHead head = log.Grow(batch.stored);
      Hash listings_root =
          Must(listings::LogListings(log).Apply(batch.listing_changes, batch.stored.writes), "LogListings::Apply");
      Checkpoint cp{origin_, head.size, head.root, {listings::ListingsLine(listings_root)}};
      const auto histories =
          Must(listings::LogHistories(log).Apply(batch.history_changes, batch.stored.writes), "LogHistories::Apply");
      for (std::string& line : listings::HistoryLines(histories)) cp.extensions.push_back(std::move(line));
      const NamedKey key = NodeKeyOf(origin_);
      head.checkpoint = Must(SignNote(cp.Format(), key.name, key.key), "SignNote");
      batch.stored.writes.Put(layout::CheckpointKey(layout::kOwnLog, head.size), head.checkpoint);
      if (Status st = log.Commit(batch.stored, head); !st.ok()) throw std::runtime_error(st.ToString());
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

}  // namespace custos::agency_testing
