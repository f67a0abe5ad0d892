// The log through its real Append path: create/open, checkpoints, authority,
// bad input, proofs, and full verification catching tampered storage.
//
// Every refusal is checked to leave the LevelDB unchanged byte for byte (all
// keys and values, read with the log closed), and every test that appends
// ends with VerifyStoredLog passing.
//
// Random tests print their seed; rerun one with CUSTOS_TEST_SEED=<seed>.
#include "ledger/log/log.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/log/verify.h"
#include "ledger/storage/layout.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"
#include "tests/crypto/test_seed.h"
#include "tests/ledger/log_test_util.h"

namespace custos {
namespace {

using custos::testing::AdminKey;
using custos::testing::DbContents;
using custos::testing::kOrigin;
using custos::testing::LeafOf;
using custos::testing::NodeKey;
using custos::testing::OfficerKey;
using custos::testing::OpenCheckpoint;
using custos::testing::Sign;
using custos::testing::TestKey;
using custos::testing::TestLog;
using Code = Status::Code;

constexpr char kGoodCode[] = "91320583MA1WR6T306";  // a unified social credit code with its check character
constexpr char kGoodPatent[] = "ZL202120587341.9";  // a utility model patent number with its check digit

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;

std::string CaseId(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "T-%06llu", static_cast<unsigned long long>(n));
  return buf;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(),
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    t_ = std::make_unique<TestLog>(dir_);
  }
  void TearDown() override {
    t_.reset();
    std::filesystem::remove_all(dir_);
  }

  TestLog& t() { return *t_; }
  Log& log() { return t_->log(); }
  int64_t now() { return t_->now(); }
  testing::StatementMaker& maker() { return t_->maker(); }

  // Appends `batch`, which must be refused as a whole: submission
  // `refused_at` with `code` and a message containing `message_part`, the
  // others (if any) Aborted. The log must be unchanged, in memory and on disk.
  void ExpectBatchRefused(const std::vector<Bytes>& batch, size_t refused_at, Code code,
                          const std::string& message_part) {
    const uint64_t size = log().size();
    const Hash root = log().root();
    const std::string checkpoint = log().checkpoint();
    DbContents before = t().Snapshot();
    auto results = log().Append(batch, BatchMode::kAllOrNothing);
    ASSERT_EQ(results.size(), batch.size());
    for (size_t i = 0; i < results.size(); ++i) {
      ASSERT_FALSE(results[i].ok()) << "submission " << i << " was accepted";
      if (i == refused_at) {
        EXPECT_EQ(results[i].status().code(), code) << results[i].status().ToString();
        EXPECT_NE(results[i].status().message().find(message_part), std::string::npos)
            << "message \"" << results[i].status().message() << "\" should contain \"" << message_part << "\"";
      } else if (results[refused_at].status().code() == code) {
        EXPECT_EQ(results[i].status().code(), Code::kAborted) << results[i].status().ToString();
      }
    }
    EXPECT_EQ(log().size(), size);
    EXPECT_EQ(log().root(), root);
    EXPECT_EQ(log().checkpoint(), checkpoint);
    DbContents after = t().Snapshot();
    EXPECT_TRUE(before == after) << "the refusal changed the database:\n" << testing::DescribeDifference(before, after);
  }
  void ExpectRefused(const Bytes& submission, Code code, const std::string& message_part) {
    ExpectBatchRefused({submission}, 0, code, message_part);
  }

  Receipt AppendOk(const Bytes& submission) { return t().AppendOk({submission}).at(0); }

  // Closes the log, runs the full verification and reopens it.
  void ExpectVerifies() {
    uint64_t size = log().size();
    Hash root = log().root();
    t().Close();
    auto report = VerifyStoredLog(t().options(), nullptr);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (report.ok()) {
      EXPECT_EQ(report->size, size);
      EXPECT_EQ(report->root, root);
    }
    t().Reopen();
  }

  std::string dir_;
  std::unique_ptr<TestLog> t_;
};

// ------------------------------------------------------------ create and open

TEST_F(LogTest, GenesisIsEntryZero) {
  ASSERT_EQ(log().size(), 1u);
  EXPECT_EQ(log().origin(), kOrigin);
  EXPECT_EQ(log().node_key(), NodeKey().key.public_key());
  Bytes bytes = testing::Must(log().Entry(0), "Entry(0)");
  auto entry = testing::Must(schema::ReadCanonical<schema::LogEntry>(bytes, schema::kMaxEntryBytes, "entry"), "entry");
  EXPECT_EQ(entry.get().getIndex(), 0u);
  EXPECT_EQ(entry.get().getLogTime(), testing::kStartMillis);
  auto prev = entry.get().getPrevHash();
  EXPECT_EQ(Bytes(prev.begin(), prev.end()), Bytes(32, 0));
  auto sub = entry.get().getSubmission();
  auto statement = testing::Must(schema::ReadCanonical<schema::Statement>(
      ByteSpan(sub.getStatement().begin(), sub.getStatement().size()), schema::kMaxStatementBytes, "statement"), "st");
  ASSERT_TRUE(statement.get().getBody().isGenesis());
  auto g = statement.get().getBody().getGenesis();
  EXPECT_EQ(std::string(g.getOrigin().cStr()), kOrigin);
  auto admin = AdminKey().public_key();
  ASSERT_EQ(g.getAdminKeys().size(), 1u);
  EXPECT_EQ(Bytes(g.getAdminKeys()[0].begin(), g.getAdminKeys()[0].end()), Bytes(admin.bytes.begin(), admin.bytes.end()));
  EXPECT_EQ(log().root(), merkle::LeafHash(bytes));
  EXPECT_EQ(log().Entry(1).status().code(), Code::kNotFound);
}

TEST_F(LogTest, CheckpointVerifiesWithTheNodeVerifierKey) {
  t().GrantOfficer();
  Checkpoint cp = OpenCheckpoint(log().checkpoint(), log().VerifierKey());
  EXPECT_EQ(cp.origin, kOrigin);
  EXPECT_EQ(cp.size, log().size());
  EXPECT_EQ(cp.root, log().root());
  EXPECT_EQ(log().VerifierKey(), NoteVerifier::ForKey(kOrigin, NodeKey().key.public_key()).ToString());
  // Another key with the same name does not verify it.
  auto impostor = NoteVerifier::ForKey(kOrigin, TestKey("impostor").public_key());
  EXPECT_EQ(OpenNote(log().checkpoint(), impostor).status().code(), Code::kCorruption);
}

TEST_F(LogTest, StatePersistsAcrossReopen) {
  t().GrantOfficer();
  std::vector<uint64_t> batch_ends = {1, 2};
  std::vector<Hash> leaves = {LeafOf(log(), 0), LeafOf(log(), 1)};
  for (size_t batch : {3u, 1u, 7u}) {
    std::vector<Bytes> subs;
    for (size_t i = 0; i < batch; ++i) subs.push_back(t().SignedCase(OfficerKey(), CaseId(log().size() + i)));
    for (const Receipt& r : t().AppendOk(subs)) leaves.push_back(r.leaf_hash);
    batch_ends.push_back(log().size());
  }
  const uint64_t size = log().size();
  const Hash root = log().root();
  const std::string checkpoint = log().checkpoint();
  ASSERT_EQ(size, 13u);
  EXPECT_EQ(root, merkle::RootFromLeafHashes(leaves));

  t().Reopen();
  EXPECT_EQ(log().size(), size);
  EXPECT_EQ(log().root(), root);
  EXPECT_EQ(log().checkpoint(), checkpoint);
  EXPECT_EQ(log().origin(), kOrigin);
  for (uint64_t i = 0; i < size; ++i) EXPECT_EQ(LeafOf(log(), i), leaves[i]) << "entry " << i;
  for (uint64_t end : batch_ends) {
    auto note = log().CheckpointAt(end);
    ASSERT_TRUE(note.ok()) << "size " << end << ": " << note.status().ToString();
    Checkpoint cp = OpenCheckpoint(*note, log().VerifierKey());
    EXPECT_EQ(cp.origin, kOrigin);
    EXPECT_EQ(cp.size, end);
    EXPECT_EQ(cp.root, merkle::RootFromLeafHashes(std::span<const Hash>(leaves).first(end)));
    EXPECT_EQ(cp.root, testing::Must(log().RootAt(end), "RootAt"));
  }
  EXPECT_EQ(*log().CheckpointAt(size), checkpoint);
  for (uint64_t not_an_end : {0u, 3u, 4u, 12u, 14u}) {
    EXPECT_EQ(log().CheckpointAt(not_an_end).status().code(), Code::kNotFound) << not_an_end;
  }
  // The reopened log appends where it stopped.
  Receipt next = AppendOk(t().SignedCase(OfficerKey(), "after-reopen"));
  EXPECT_EQ(next.index, size);
  ExpectVerifies();
}

// A batch's entries are written (and synced) to their own database before
// the head that names them: a crash between the two leaves entries past the
// head, never acknowledged. Opening drops them, for every log number, and
// the log appends over them and verifies.
TEST_F(LogTest, EntriesPastTheHeadAreDroppedAtOpen) {
  t().GrantOfficer();
  t().AppendOk({t().SignedCase(OfficerKey(), "before-crash-1"), t().SignedCase(OfficerKey(), "before-crash-2")});
  const uint64_t size = log().size();
  const Hash root = log().root();
  t().Close();
  const layout::LogNumber headless = 7;  // a replica whose first batch never got its head
  {
    testing::RawDatabases dbs(t().options().path);
    for (const std::string& key : {layout::EntryKey(layout::kOwnLog, size), layout::EntryKey(layout::kOwnLog, size + 1),
                                   layout::EntryKey(headless, 0)}) {
      ASSERT_TRUE(dbs.entries().Put(leveldb::WriteOptions(), key, "unacknowledged").ok());
    }
  }
  t().Reopen();
  EXPECT_EQ(log().size(), size);
  EXPECT_EQ(log().root(), root);
  EXPECT_EQ(log().Entry(size).status().code(), Code::kNotFound);
  Receipt next = AppendOk(t().SignedCase(OfficerKey(), "after-crash"));
  EXPECT_EQ(next.index, size);
  EXPECT_EQ(LeafOf(log(), size), next.leaf_hash);
  ExpectVerifies();
  t().Close();
  DbContents stored = testing::ReadAllKeys(t().options().path);
  EXPECT_EQ(stored.count(layout::EntryKey(layout::kOwnLog, size + 1)), 0u);
  EXPECT_EQ(stored.count(layout::EntryKey(headless, 0)), 0u);
  ASSERT_EQ(stored.count(layout::EntryKey(layout::kOwnLog, size)), 1u);
  EXPECT_NE(stored.at(layout::EntryKey(layout::kOwnLog, size)), "unacknowledged");
  t().Reopen();
}

TEST_F(LogTest, CreateAndOpenRefuseTheWrongPlaceOrKey) {
  PublicKey admin = AdminKey().public_key();
  // While the log is open, its directory is locked.
  auto locked = Log::Open(t().options());
  EXPECT_EQ(locked.status().code(), Code::kIOError) << locked.status().ToString();
  t().Close();
  auto again = Log::Create(t().options(), kOrigin, NodeKey(), std::span<const PublicKey>(&admin, 1));
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists) << again.status().ToString();
  t().Reopen();

  LogOptions nowhere = t().options();
  nowhere.path = dir_ + "/no-such-log";
  EXPECT_EQ(Log::Open(nowhere).status().code(), Code::kNotFound);

  LogOptions other = t().options();
  other.path = dir_ + "/other";
  auto misnamed = Log::Create(other, "other.example/log", NodeKey(), std::span<const PublicKey>(&admin, 1));
  EXPECT_EQ(misnamed.status().code(), Code::kInvalidArgument) << misnamed.status().ToString();

  t().Close();
  auto wrong_key = Log::Open(t().options(), NamedKey{kOrigin, TestKey("impostor")});
  EXPECT_EQ(wrong_key.status().code(), Code::kInvalidArgument) << wrong_key.status().ToString();
  // Opened without its node key, a log reads but does not append.
  auto read_only = testing::Must(Log::Open(t().options()), "Log::Open");
  Bytes grant = Sign(maker().FromExample("key-grant", now()), AdminKey());
  auto results = read_only->Append(std::span<const Bytes>(&grant, 1), BatchMode::kAllOrNothing);
  EXPECT_EQ(results.at(0).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(read_only->size(), 1u);
  read_only.reset();
  t().Reopen();
}

// ------------------------------------------------------------ authority

TEST_F(LogTest, RefusesAnUnknownKey) {
  t().GrantOfficer();
  ExpectRefused(t().SignedCase(TestKey("stranger"), "x"), Code::kUnauthorized, "is not known to this log");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesARevokedKey) {
  t().GrantOfficer();
  AppendOk(t().SignedCase(OfficerKey(), "before-revoke"));
  AppendOk(Sign(maker().KeyRevoke(OfficerKey().public_key(), now()), AdminKey()));
  ExpectRefused(t().SignedCase(OfficerKey(), "after-revoke"), Code::kUnauthorized, "has been revoked");
  // A new grant makes the key usable again.
  t().GrantOfficer();
  AppendOk(t().SignedCase(OfficerKey(), "after-regrant"));
  ExpectVerifies();
}

TEST_F(LogTest, RefusesAKeyWithoutTheRole) {
  SigningKey clerk = TestKey("evidence-clerk");
  AppendOk(Sign(maker().KeyGrant(clerk.public_key(), {schema::Role::EVIDENCE}, now()), AdminKey()));
  AppendOk(Sign(maker().FromExample("evidence-registered", now()), clerk));
  ExpectRefused(Sign(maker().FromExample("subject-listed", now()), clerk), Code::kUnauthorized,
                "does not hold the role \"listing\"");
  ExpectRefused(Sign(maker().FromExample("case-opened", now()), clerk), Code::kUnauthorized,
                "does not hold the role \"case\"");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesAKeyOutsideItsValidityWindow) {
  SigningKey temp = TestKey("temporary");
  const int64_t from = now() + kHour, until = now() + 2 * kHour;
  AppendOk(Sign(maker().KeyGrant(temp.public_key(), {schema::Role::CASE}, now(), from, until), AdminKey()));
  ExpectRefused(t().SignedCase(temp, "too-early"), Code::kUnauthorized, "is not valid until");
  t().clock().Set(from);
  AppendOk(t().SignedCase(temp, "in-window"));
  t().clock().Set(until - 1);
  AppendOk(t().SignedCase(temp, "last-millisecond"));
  t().clock().Set(until);
  ExpectRefused(t().SignedCase(temp, "too-late"), Code::kUnauthorized, "expired");
  t().clock().Advance(kHour);
  ExpectRefused(t().SignedCase(temp, "much-too-late"), Code::kUnauthorized, "expired");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesAStatementForAnotherOrigin) {
  t().GrantOfficer();
  Bytes statement = maker().Clue("elsewhere", now(), "wuxi-ipb.example/custos");
  ExpectRefused(Sign(statement, OfficerKey()), Code::kUnauthorized, "origin");
  ExpectVerifies();
}

TEST_F(LogTest, OnlyAdminsGrantAndRevoke) {
  t().GrantOfficer();
  Bytes grant = maker().KeyGrant(TestKey("friend").public_key(), {schema::Role::ADMIN}, now());
  ExpectRefused(Sign(grant, OfficerKey()), Code::kUnauthorized, "does not hold the role \"admin\"");
  Bytes revoke = maker().KeyRevoke(AdminKey().public_key(), now());
  ExpectRefused(Sign(revoke, OfficerKey()), Code::kUnauthorized, "does not hold the role \"admin\"");
  // Nor does the node key: it signs the genesis and checkpoints, nothing else.
  ExpectRefused(Sign(grant, NodeKey().key), Code::kUnauthorized, "is not known to this log");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesASecondGenesis) {
  Bytes genesis = maker().Genesis(NodeKey().key.public_key(), AdminKey().public_key(), now());
  ExpectRefused(Sign(genesis, NodeKey().key), Code::kUnauthorized, "only entry 0 can be a genesis");
  ExpectRefused(Sign(genesis, AdminKey()), Code::kUnauthorized, "only entry 0 can be a genesis");
  ExpectVerifies();
}

TEST_F(LogTest, AKeyGrantedInABatchIsUsableLaterInThatBatch) {
  std::vector<Bytes> batch = {
      Sign(maker().FromExample("key-grant", now()), AdminKey()),
      Sign(maker().FromExample("subject-listed", now()), OfficerKey()),
      Sign(maker().FromExample("case-opened", now()), OfficerKey()),
  };
  auto receipts = t().AppendOk(batch);
  EXPECT_EQ(receipts.back().index, 3u);
  ExpectVerifies();
}

TEST_F(LogTest, AKeyIsNotUsableBeforeItsGrantInTheSameBatch) {
  Bytes use = Sign(maker().FromExample("case-opened", now()), OfficerKey());
  Bytes grant = Sign(maker().FromExample("key-grant", now()), AdminKey());
  ExpectBatchRefused({use, grant}, 0, Code::kUnauthorized, "is not known to this log");
  auto results = log().Append(std::vector<Bytes>{use, grant}, BatchMode::kIndependent);
  EXPECT_EQ(results[0].status().code(), Code::kUnauthorized);
  ASSERT_TRUE(results[1].ok()) << results[1].status().ToString();
  EXPECT_EQ(results[1]->index, 1u);
  // Now the very same submission is accepted: a refusal is not recorded as a replay.
  EXPECT_EQ(AppendOk(use).index, 2u);
  ExpectVerifies();
}

// In the walkthrough order of examples/README.md, at the indexes it gives,
// each reference set to the real leaf hash of the entry it names. (The
// answer to the referral is the police's, in their own log: rules_test.)
TEST_F(LogTest, EveryExampleIsAcceptedFromTheOfficer) {
  t().GrantOfficer();
  const std::map<std::string, uint64_t> refers_to = {{"custody-received", 4}, {"subject-delisted", 12}};
  uint64_t want_index = 2;
  for (const char* kind : {"case-opened", "evidence-registered", "custody-transferred", "custody-received",
                           "evidence-examined", "case-referred", "clue-shared", "case-decided", "evidence-disposed",
                           "case-closed", "subject-listed", "subject-delisted"}) {
    auto ref = refers_to.find(kind);
    Bytes statement = ref == refers_to.end() ? maker().FromExample(kind, now())
                                             : maker().FromExampleReferring(kind, LeafOf(log(), ref->second), now());
    auto r = t().AppendOne(Sign(statement, OfficerKey()));
    EXPECT_TRUE(r.ok()) << kind << ": " << r.status().ToString();
    if (r.ok()) {
      EXPECT_EQ(r->index, want_index) << kind;
    }
    ++want_index;
  }
  auto revoke = t().AppendOne(Sign(maker().FromExample("key-revoke", now()), AdminKey()));
  EXPECT_TRUE(revoke.ok()) << revoke.status().ToString();
  ExpectVerifies();
}

// ------------------------------------------------------------ bad input

TEST_F(LogTest, RefusesTruncatedSubmissions) {
  t().GrantOfficer();
  Bytes good = t().SignedCase(OfficerKey(), "truncated");
  ExpectRefused(Bytes(good.begin(), good.end() - 8), Code::kInvalidArgument, "submission");
  ExpectRefused(Bytes(good.begin(), good.end() - 3), Code::kInvalidArgument, "submission: truncated");
  ExpectRefused(Bytes(good.begin(), good.begin() + 8), Code::kInvalidArgument, "submission");
  ExpectRefused(Bytes{}, Code::kInvalidArgument, "submission: empty");
  EXPECT_EQ(AppendOk(good).index, 2u);  // the whole one is fine
  ExpectVerifies();
}

// A statement of a little over kMaxStatementBytes whose submission is still
// under the submission limit, so that the statement's own limit refuses it.
Bytes OversizedStatement(testing::StatementMaker& maker, int64_t time, size_t at_least) {
  for (size_t len = at_least - 256;; len += 8) {
    Bytes s = maker.Build(time, [&](schema::Statement::Builder b) {
      auto c = b.getBody().initCaseClosed();
      c.setCaseId("huge");
      std::string reason(len, 'x');
      c.setReason(capnp::Text::Reader(reason.c_str(), reason.size()));
    });
    if (s.size() > at_least) return s;
  }
}

TEST_F(LogTest, RefusesOversizedStatements) {
  t().GrantOfficer();
  Bytes just_over = OversizedStatement(maker(), now(), schema::kMaxStatementBytes);
  ASSERT_LE(just_over.size(), schema::kMaxStatementBytes + 64);
  ExpectRefused(Sign(just_over, OfficerKey()), Code::kInvalidArgument,
                "statement: " + std::to_string(just_over.size()) + " bytes is over the limit of 65536");
  Bytes far_over = OversizedStatement(maker(), now(), 1 << 20);
  ExpectRefused(Sign(far_over, OfficerKey()), Code::kInvalidArgument, "submission: ");
  ExpectRefused(Sign(far_over, OfficerKey()), Code::kInvalidArgument, "is over the limit");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesNonCanonicalBytes) {
  t().GrantOfficer();
  Bytes good = t().SignedCase(OfficerKey(), "canonical");
  Bytes padded = good;
  padded.resize(good.size() + 8, 0);  // a trailing zero word: well-formed, not canonical
  ExpectRefused(padded, Code::kInvalidArgument, "submission: not in canonical form");
  // A properly signed statement that is not canonical itself.
  Bytes statement = maker().Clue("padded-statement", now());
  statement.resize(statement.size() + 8, 0);
  ExpectRefused(Sign(statement, OfficerKey()), Code::kInvalidArgument, "statement: not in canonical form");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesGarbage) {
  uint64_t seed = testing::TestSeed("LogTest.RefusesGarbage", 20240611);
  std::mt19937_64 rng(seed);
  t().GrantOfficer();
  for (size_t len : {8u, 24u, 64u, 1000u, 4096u}) {
    Bytes garbage(len);
    for (auto& b : garbage) b = static_cast<uint8_t>(rng());
    ExpectRefused(garbage, Code::kInvalidArgument, "submission");
  }
  ExpectRefused(Bytes(64, 0xff), Code::kInvalidArgument, "submission");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesABadSignature) {
  t().GrantOfficer();
  Bytes sub = t().SignedCase(OfficerKey(), "bad-signature");
  sub.back() ^= 0x01;  // the signature is the last field in canonical order
  ExpectRefused(sub, Code::kCorruption, "signature: does not verify");
  // A valid signature by a key other than the one the submission names.
  Bytes statement = maker().Clue("someone-else", now());
  Bytes by_admin = Sign(statement, AdminKey());
  Bytes by_officer = Sign(statement, OfficerKey());
  ASSERT_EQ(by_admin.size(), by_officer.size());
  std::copy(by_admin.end() - 64, by_admin.end(), by_officer.end() - 64);
  ExpectRefused(by_officer, Code::kCorruption, "signature: does not verify");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesInvalidIdentifiersNamingTheField) {
  t().GrantOfficer();
  AppendOk(Sign(maker().CaseOpened("ids-ok", kGoodCode, kGoodPatent, now()), OfficerKey()));
  ExpectRefused(Sign(maker().CaseOpened("bad-code", "91320583MA1WR6T307", kGoodPatent, now()), OfficerKey()),
                Code::kInvalidArgument, "body.caseOpened.parties[0].id: ");
  ExpectRefused(Sign(maker().CaseOpened("bad-patent", kGoodCode, "ZL202120587341.8", now()), OfficerKey()),
                Code::kInvalidArgument, "body.caseOpened.patentNumber: ");
  ExpectRefused(Sign(maker().CaseOpened("bad-format", kGoodCode, "ZL-not-a-patent", now()), OfficerKey()),
                Code::kInvalidArgument, "body.caseOpened.patentNumber: ");
  std::string listed = testing::ReadTextFile(testing::ExamplePath("subject-listed"));
  listed.replace(listed.find(kGoodCode), 18, "91320583MA1WR6T30Z");
  ExpectRefused(Sign(maker().FromJson(listed, now()), OfficerKey()), Code::kInvalidArgument,
                "body.subjectListed.subjectId: ");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesAStatementTimeFarFromTheClock) {
  t().GrantOfficer();
  const int64_t skew = LogOptions().max_clock_skew_ms;
  ExpectRefused(Sign(maker().Clue("future", now() + skew + kMinute), OfficerKey()), Code::kInvalidArgument,
                "time: ");
  ExpectRefused(Sign(maker().Clue("past", now() - skew - kMinute), OfficerKey()), Code::kInvalidArgument,
                "time: ");
  AppendOk(Sign(maker().Clue("near-future", now() + skew - kMinute), OfficerKey()));
  AppendOk(Sign(maker().Clue("near-past", now() - skew + kMinute), OfficerKey()));
  // A statement signed long ago is refused once the clock has moved on.
  Bytes old = t().SignedCase(OfficerKey(), "stale");
  t().clock().Advance(skew + 1);
  ExpectRefused(old, Code::kInvalidArgument, "time: ");
  ExpectVerifies();
}

TEST_F(LogTest, RefusesAReplayedSubmission) {
  t().GrantOfficer();
  SigningKey colleague = TestKey("colleague");
  AppendOk(Sign(maker().KeyGrant(colleague.public_key(), {schema::Role::CASE}, now()), AdminKey()));
  Bytes statement = maker().Clue("once", now());
  Bytes sub = Sign(statement, OfficerKey());
  Receipt first = AppendOk(sub);
  const std::string at = "already in the log at index " + std::to_string(first.index);
  ExpectRefused(sub, Code::kAlreadyExists, at);
  t().Reopen();  // the replay index is on disk, not only in memory
  ExpectRefused(sub, Code::kAlreadyExists, at);
  // The same statement signed by another authorised key is still a replay.
  ExpectRefused(Sign(statement, colleague), Code::kAlreadyExists, at);
  ExpectVerifies();
}

TEST_F(LogTest, RefusesTheSameSubmissionTwiceInOneBatch) {
  t().GrantOfficer();
  Bytes a = t().SignedCase(OfficerKey(), "twice-a");
  ExpectBatchRefused({a, a}, 1, Code::kAlreadyExists, "appears twice in this batch");
  auto results = log().Append(std::vector<Bytes>{a, a}, BatchMode::kIndependent);
  ASSERT_TRUE(results[0].ok()) << results[0].status().ToString();
  EXPECT_EQ(results[1].status().code(), Code::kAlreadyExists);
  EXPECT_EQ(log().size(), results[0]->index + 1);
  ExpectVerifies();
}

// Append checks a batch without the lock first, against the committed state,
// and decides under it. Batches committed in between (here by the hook) must
// count: what they registered, opened or appended is seen by the later batch.
// After one batch, Append catches its checks up from the batches it remembers;
// after `fillers` more than it remembers, it redoes the reads.
void ExpectBatchCommittedMeanwhileCounts(TestLog& t, size_t fillers) {
  t.GrantOfficer();
  const Bytes replayed = t.SignedCase(OfficerKey(), "appended-twice");
  const Bytes open = Sign(t.maker().CaseOpened("opened-meanwhile", kGoodCode, kGoodPatent, t.now()), OfficerKey());
  const Bytes first_registration = Sign(t.maker().EvidenceRegistered("EV-MEANWHILE", t.now()), OfficerKey());
  uint64_t replayed_at = 0;
  t.log().SetBeforeLockHookForTesting([&] {
    replayed_at = t.log().size();
    t.AppendOk({replayed, open, first_registration});
    for (size_t i = 0; i < fillers; ++i) t.AppendOk({t.SignedCase(OfficerKey(), "filler-" + std::to_string(i))});
  });
  const std::vector<Bytes> later = {
      replayed,                                                                  // already appended
      Sign(t.maker().CaseClosed("opened-meanwhile", t.now()), OfficerKey()),     // needs the open case
      Sign(t.maker().EvidenceRegistered("EV-MEANWHILE", t.now()), OfficerKey()),  // the id is taken
  };
  auto results = t.log().Append(later, BatchMode::kIndependent);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_GT(replayed_at, 0u) << "the hook did not run";
  const uint64_t meanwhile_end = replayed_at + 3 + fillers;
  EXPECT_FALSE(results[0].ok()) << "a replay was appended";
  EXPECT_EQ(results[0].status().code(), Code::kAlreadyExists) << results[0].status().ToString();
  EXPECT_NE(results[0].status().message().find("at index " + std::to_string(replayed_at)), std::string::npos)
      << results[0].status().ToString();
  ASSERT_TRUE(results[1].ok()) << results[1].status().ToString();
  EXPECT_EQ(results[1]->index, meanwhile_end);
  EXPECT_FALSE(results[2].ok()) << "an evidence id was registered twice";
  EXPECT_EQ(results[2].status().code(), Code::kFailedPrecondition) << results[2].status().ToString();
  EXPECT_NE(results[2].status().message().find("EV-MEANWHILE"), std::string::npos) << results[2].status().ToString();
  EXPECT_EQ(t.log().size(), meanwhile_end + 1);
}

TEST_F(LogTest, ABatchCommittedWhileAnotherWasCheckedCounts) {
  ExpectBatchCommittedMeanwhileCounts(t(), 0);
  ExpectVerifies();
}

TEST_F(LogTest, ManyBatchesCommittedWhileAnotherWasCheckedCount) {
  ExpectBatchCommittedMeanwhileCounts(t(), 12);
  ExpectVerifies();
}

// A reference to one of this log's entries that a batch committed meanwhile
// is checked against that entry: the unlocked checks found it absent, which
// must not stand. (The leaf hash named is wrong on purpose: it is checked
// only once the entry is found, so the refusal says which of the two
// happened.)
TEST_F(LogTest, AReferenceToAnEntryCommittedMeanwhileIsChecked) {
  t().GrantOfficer();
  while (log().size() < 12) AppendOk(t().SignedCase(OfficerKey(), "filler-" + std::to_string(log().size())));
  const Bytes listing = Sign(maker().FromExample("subject-listed", now()), OfficerKey());
  // subject-delisted.json refers to entry 12; second in its batch, it was
  // checked without the lock as entry 13, and read entry 12 then.
  const std::vector<Bytes> later = {
      t().SignedCase(OfficerKey(), "later-filler"),
      Sign(maker().FromExampleReferring("subject-delisted", Sha256::Digest("not the listing"), now()), OfficerKey()),
  };
  log().SetBeforeLockHookForTesting([&] { EXPECT_EQ(AppendOk(listing).index, 12u); });
  auto results = log().Append(later, BatchMode::kIndependent);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok()) << results[0].status().ToString();
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].status().code(), Code::kInvalidArgument) << results[1].status().ToString();
  EXPECT_NE(results[1].status().message().find("is not the leaf hash of entry 12"), std::string::npos)
      << results[1].status().ToString();
}

TEST_F(LogTest, AllOrNothingLeavesTheLogUnchangedWhenOneIsBad) {
  t().GrantOfficer();
  std::vector<Bytes> batch = {t().SignedCase(OfficerKey(), "good-1"), t().SignedCase(OfficerKey(), "good-2"),
                              t().SignedCase(TestKey("stranger"), "bad"), t().SignedCase(OfficerKey(), "good-3")};
  ExpectBatchRefused(batch, 2, Code::kUnauthorized, "is not known to this log");
  auto results = log().Append(batch, BatchMode::kAllOrNothing);
  EXPECT_NE(results[0].status().message().find("submission 3 of the batch was refused"), std::string::npos)
      << results[0].status().ToString();
  ExpectVerifies();
}

TEST_F(LogTest, IndependentAppendsTheGoodOnesAndRefusesTheBad) {
  t().GrantOfficer();
  SigningKey stranger = TestKey("stranger");
  Bytes bad = t().SignedCase(stranger, "bad");
  std::vector<Bytes> batch = {t().SignedCase(OfficerKey(), "good-1"), t().SignedCase(OfficerKey(), "good-2"), bad,
                              Bytes{1, 2, 3}, t().SignedCase(OfficerKey(), "good-3")};
  auto results = log().Append(batch, BatchMode::kIndependent);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[2].status().code(), Code::kUnauthorized);
  EXPECT_EQ(results[3].status().code(), Code::kInvalidArgument);
  uint64_t expected = 2;
  for (size_t i : {0u, 1u, 4u}) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
    EXPECT_EQ(results[i]->index, expected++);
    EXPECT_EQ(results[i]->leaf_hash, LeafOf(log(), results[i]->index));
  }
  EXPECT_EQ(log().size(), 5u);
  EXPECT_TRUE(log().CheckpointAt(5).ok());  // one checkpoint for the batch
  EXPECT_FALSE(log().CheckpointAt(3).ok());
  // The refused one was not recorded: once the key is granted, it goes in.
  AppendOk(Sign(maker().KeyGrant(stranger.public_key(), {schema::Role::CASE}, now()), AdminKey()));
  EXPECT_EQ(AppendOk(bad).index, 6u);
  ExpectVerifies();
}

// A batch with nothing acceptable writes nothing, in either mode.
TEST_F(LogTest, ABatchWithNothingAcceptableWritesNothing) {
  DbContents before = t().Snapshot();
  auto results = log().Append(std::vector<Bytes>{Bytes{}, Bytes(16, 7)}, BatchMode::kIndependent);
  EXPECT_FALSE(results[0].ok());
  EXPECT_FALSE(results[1].ok());
  auto none = log().Append(std::vector<Bytes>{}, BatchMode::kIndependent);
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(before == t().Snapshot());
  EXPECT_EQ(log().size(), 1u);
}

// ------------------------------------------------------------ proofs

// Every inclusion proof of every index against every checkpointed size
// above it, and every consistency proof between two checkpointed sizes,
// checked with the RFC 9162 verifier against the roots the signed
// checkpoints state (themselves checked against roots hashed from scratch).
void CheckProofs(const Log& log, const std::vector<uint64_t>& sizes, const std::vector<Hash>& leaves) {
  std::map<uint64_t, Hash> roots;
  for (uint64_t n : sizes) {
    Checkpoint cp = OpenCheckpoint(testing::Must(log.CheckpointAt(n), "CheckpointAt"), log.VerifierKey());
    ASSERT_EQ(cp.size, n);
    ASSERT_EQ(cp.root, merkle::RootFromLeafHashes(std::span<const Hash>(leaves).first(n))) << "size " << n;
    roots[n] = cp.root;
  }
  size_t checked = 0, failed = 0;
  for (uint64_t i = 0; i < log.size(); ++i) {
    ASSERT_EQ(LeafOf(log, i), leaves[i]) << "entry " << i;
    for (uint64_t n : sizes) {
      if (n <= i) continue;
      auto proof = testing::Must(log.InclusionProof(i, n), "InclusionProof");
      Status st = merkle::VerifyInclusion(leaves[i], i, n, proof, roots[n]);
      ++checked;
      if (!st.ok() && failed++ < 5) ADD_FAILURE() << "inclusion " << i << " in " << n << ": " << st.ToString();
      if (!proof.empty() && i == n / 2) {  // a tampered proof must fail
        proof[0].bytes[0] ^= 1;
        EXPECT_FALSE(merkle::VerifyInclusion(leaves[i], i, n, proof, roots[n]).ok());
      }
    }
  }
  for (uint64_t m : sizes) {
    for (uint64_t n : sizes) {
      if (m > n) continue;
      auto proof = testing::Must(log.ConsistencyProof(m, n), "ConsistencyProof");
      Status st = merkle::VerifyConsistency(m, n, roots[m], roots[n], proof);
      ++checked;
      if (!st.ok() && failed++ < 5) ADD_FAILURE() << "consistency " << m << " -> " << n << ": " << st.ToString();
    }
  }
  EXPECT_EQ(failed, 0u) << "of " << checked << " proofs";
  EXPECT_EQ(log.InclusionProof(0, log.size() + 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log.ConsistencyProof(1, log.size() + 1).status().code(), Code::kInvalidArgument);
}

TEST_F(LogTest, ProofsVerifyForEveryIndexAndEveryCheckpointedSize) {
  uint64_t seed = testing::TestSeed("LogTest.ProofsVerifyForEveryIndexAndEveryCheckpointedSize", 6962);
  std::mt19937_64 rng(seed);
  t().GrantOfficer();
  std::vector<uint64_t> sizes = {1, 2};
  std::vector<Hash> leaves = {LeafOf(log(), 0), LeafOf(log(), 1)};
  while (log().size() < 300) {
    size_t n = rng() % 4 == 0 ? 1 : 1 + rng() % 40;
    std::vector<Bytes> batch;
    for (size_t i = 0; i < n; ++i) batch.push_back(t().SignedCase(OfficerKey(), CaseId(log().size() + i)));
    for (const Receipt& r : t().AppendOk(batch)) leaves.push_back(r.leaf_hash);
    sizes.push_back(log().size());
    t().clock().Advance(static_cast<int64_t>(rng() % 1000));
  }
  std::cout << "batch ends:";
  for (uint64_t n : sizes) std::cout << " " << n;
  std::cout << "\n";
  CheckProofs(log(), sizes, leaves);
  t().Reopen();
  CheckProofs(log(), sizes, leaves);
  ExpectVerifies();
}

}  // namespace
}  // namespace custos
