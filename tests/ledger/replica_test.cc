// Replication: a peer's log copied into another store with Replica::Apply,
// entry for entry checked as full verification checks the origin's own log.
//
// Every refusal is checked to leave the replica's LevelDB unchanged byte for
// byte (all keys and values, read with the store closed), and every test
// that replicates ends with the replica's full verification passing.
#include "ledger/log/replica.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <filesystem>

#include "crypto/cosignature.h"
#include "ledger/log/verify.h"
#include "tests/ledger/replica_test_util.h"

namespace custos {
namespace {

using custos::testing::AdminKey;
using custos::testing::DbContents;
using custos::testing::Fetch;
using custos::testing::kOrigin;
using custos::testing::kStartMillis;
using custos::testing::Must;
using custos::testing::NodeKey;
using custos::testing::OfficerKey;
using custos::testing::OriginVerifier;
using custos::testing::RawLog;
using custos::testing::ReplicaHolder;
using custos::testing::Sign;
using custos::testing::TestKey;
using custos::testing::TestLog;
using Code = Status::Code;

std::string CaseId(uint64_t n) { return "R-" + std::to_string(100000 + n); }

// The canonical SignedSubmission inside canonical LogEntry bytes.
Bytes SubmissionOf(const Bytes& entry) {
  auto e = Must(schema::ReadCanonical<schema::LogEntry>(entry, schema::kMaxEntryBytes, "entry"), "entry");
  return schema::Canonicalize(e.get().getSubmission());
}

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ + "/origin");
    std::filesystem::create_directories(dir_ + "/replica");
    origin_ = std::make_unique<TestLog>(dir_ + "/origin");
    origin_->GrantOfficer();
    holder_ = std::make_unique<ReplicaHolder>(dir_ + "/replica");
  }
  void TearDown() override {
    holder_.reset();
    origin_.reset();
    std::filesystem::remove_all(dir_);
  }

  Log& origin() { return origin_->log(); }
  Replica& replica() { return holder_->replica(); }

  // Appends batches of `batch` cases to the origin until it holds `size` entries.
  void GrowOrigin(uint64_t size, uint64_t batch = 37) {
    while (origin().size() < size) {
      std::vector<Bytes> subs;
      for (uint64_t i = 0; i < batch && origin().size() + i < size; ++i) {
        subs.push_back(origin_->SignedCase(OfficerKey(), CaseId(origin().size() + i)));
      }
      origin_->AppendOk(subs);
      origin_->clock().Advance(1000);
    }
  }

  // Entries, roots, proofs and checkpoints of the replica equal the origin's.
  void ExpectSameAsOrigin() {
    ASSERT_EQ(replica().size(), origin().size());
    EXPECT_EQ(replica().root(), origin().root());
    EXPECT_EQ(replica().checkpoint(), origin().checkpoint());
    const uint64_t n = origin().size();
    for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(*replica().Entry(i), *origin().Entry(i)) << "entry " << i;
    for (uint64_t size : {uint64_t{1}, n / 3, n / 2 + 1, n}) {
      EXPECT_EQ(*replica().RootAt(size), *origin().RootAt(size)) << "size " << size;
      EXPECT_EQ(*replica().InclusionProof(size - 1, n), *origin().InclusionProof(size - 1, n));
      EXPECT_EQ(*replica().ConsistencyProof(size, n), *origin().ConsistencyProof(size, n));
    }
    EXPECT_EQ(replica().KeyStateOf(OfficerKey().public_key()), origin().KeyStateOf(OfficerKey().public_key()));
    ExpectVerifies();
  }

  void ExpectVerifies() {
    auto report = replica().VerifyAll(nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->size, replica().size());
    EXPECT_EQ(report->root, replica().root());
  }

  // Apply must refuse with `code` and a message containing every part, and
  // leave the replica unchanged, in memory and on disk.
  void ExpectRefused(std::span<const Bytes> entries, const std::string& note, std::span<const Hash> proof, Code code,
                     std::initializer_list<std::string> parts) {
    const uint64_t size = replica().size();
    const Hash root = replica().root();
    DbContents before = holder_->Snapshot();
    Status st = replica().Apply(entries, note, proof);
    ASSERT_FALSE(st.ok()) << "accepted";
    EXPECT_EQ(st.code(), code) << st.ToString();
    for (const auto& part : parts) {
      EXPECT_NE(st.message().find(part), std::string::npos) << "\"" << st.message() << "\" lacks \"" << part << "\"";
    }
    EXPECT_EQ(replica().size(), size);
    EXPECT_EQ(replica().root(), root);
    DbContents after = holder_->Snapshot();
    EXPECT_EQ(before, after) << testing::DescribeDifference(before, after);
  }

  // The origin's first `n` entries, replicated; and a RawLog continuing them.
  RawLog ReplicatedPrefix(uint64_t n) {
    GrowOrigin(n);
    holder_->CatchUp(origin(), 1000);
    return RawLog(origin(), n);
  }

  std::string dir_;
  std::unique_ptr<TestLog> origin_;
  std::unique_ptr<ReplicaHolder> holder_;
};

TEST_F(ReplicaTest, ReplicatesInChunksAndMatchesTheOrigin) {
  GrowOrigin(600);  // crosses two full tiles
  const std::string note = origin().checkpoint();
  const uint64_t target = origin().size();
  uint64_t from = 0;
  for (uint64_t chunk : {1, 7, 100, 150, 256, 1000}) {
    const uint64_t to = std::min(target, from + chunk);
    auto proof = Must(origin().ConsistencyProof(to, target), "proof");
    ASSERT_TRUE(replica().Apply(Fetch(origin(), from, to), note, proof).ok()) << "[" << from << ", " << to << ")";
    EXPECT_EQ(replica().size(), to);
    EXPECT_EQ(replica().root(), *origin().RootAt(to));
    // The note is kept only once the replica reaches its size.
    EXPECT_EQ(replica().checkpoint().empty(), to < target);
    from = to;
  }
  ExpectSameAsOrigin();
  EXPECT_EQ(*replica().CheckpointAt(target), note);
  EXPECT_TRUE(VerifyStoredReplica(holder_->store(), OriginVerifier(), nullptr).ok());
}

TEST_F(ReplicaTest, FollowsTheOriginBatchByBatch) {
  for (int round = 0; round < 5; ++round) {
    GrowOrigin(origin().size() + 20, 9);
    holder_->CatchUp(origin(), 13);
    ASSERT_EQ(replica().size(), origin().size());
    EXPECT_EQ(replica().checkpoint(), origin().checkpoint());
  }
  ExpectSameAsOrigin();
}

TEST_F(ReplicaTest, ResumesAfterReopeningTheStore) {
  GrowOrigin(300);
  const std::string note = origin().checkpoint();
  const uint64_t half = 140;
  ASSERT_TRUE(replica().Apply(Fetch(origin(), 0, half), note, *origin().ConsistencyProof(half, origin().size())).ok());
  holder_->Reopen();
  EXPECT_EQ(replica().size(), half);
  EXPECT_EQ(replica().root(), *origin().RootAt(half));
  holder_->CatchUp(origin(), 64);
  holder_->Reopen();
  ExpectSameAsOrigin();
}

TEST_F(ReplicaTest, ANoteAtTheHeldSizeIsStoredWithoutEntries) {
  GrowOrigin(50, 50);
  const uint64_t first_batch_end = 2;  // genesis, then the officer's grant
  const std::string early = *origin().CheckpointAt(first_batch_end);
  ASSERT_TRUE(replica().Apply(Fetch(origin(), 0, first_batch_end), origin().checkpoint(),
                              *origin().ConsistencyProof(first_batch_end, origin().size()))
                  .ok());
  EXPECT_EQ(replica().checkpoint(), "");
  ASSERT_TRUE(replica().Apply({}, early, {}).ok());
  EXPECT_EQ(replica().checkpoint(), early);
  EXPECT_EQ(*replica().CheckpointAt(first_batch_end), early);
  ExpectVerifies();
}

TEST_F(ReplicaTest, TheGenesisMustNameTheFederationKey) {
  // An origin whose genesis names one key, vouched for by a note of the key
  // the federation file gives: the entries are not that origin's log.
  const NamedKey federation_key{kOrigin, TestKey("federation")};
  std::filesystem::create_directories(dir_ + "/other");
  ReplicaHolder other(dir_ + "/other", OriginVerifier(federation_key));
  RawLog raw;
  testing::StatementMaker maker(9);
  raw.Add(Sign(maker.Genesis(NodeKey().key.public_key(), AdminKey().public_key(), kStartMillis), NodeKey().key),
          kStartMillis);
  Status st = other.replica().Apply(raw.entries(), raw.Note(federation_key), {});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("entry 0: genesis"), std::string::npos) << st.message();
  EXPECT_EQ(other.replica().size(), 0u);

  // The same genesis signed by the federation key is accepted.
  RawLog good;
  good.Add(Sign(maker.Genesis(federation_key.key.public_key(), AdminKey().public_key(), kStartMillis),
                federation_key.key),
           kStartMillis);
  // Genesis names kOrigin as origin; the federation key is named kOrigin too.
  EXPECT_TRUE(other.replica().Apply(good.entries(), good.Note(federation_key), {}).ok());
}

TEST_F(ReplicaTest, EntryZeroMustBeTheGenesis) {
  RawLog raw;
  testing::StatementMaker maker(9);
  raw.Add(Sign(maker.Clue("R-1", kStartMillis), OfficerKey()), kStartMillis);
  ExpectRefused(raw.entries(), raw.Note(), {}, Code::kCorruption, {"entry 0: "});
}

// ------------------------------------------------------------ bad input

TEST_F(ReplicaTest, ATamperedEntryByteIsRefused) {
  RawLog raw = ReplicatedPrefix(30);
  for (int i = 0; i < 3; ++i) raw.Add(origin_->SignedCase(OfficerKey(), CaseId(900 + i)), raw.LastTime());
  Bytes& victim = raw.entries()[31];
  const std::string id = CaseId(901);
  auto at = std::search(victim.begin(), victim.end(), id.begin(), id.end());
  ASSERT_NE(at, victim.end());
  at[3] ^= 0x01;  // the statement changes under its author's signature
  // The checkpoint covers the tampered bytes: only the entry check can object.
  ExpectRefused(raw.From(30), raw.Note(), {}, Code::kCorruption, {"entry 31: ", "signature"});
}

TEST_F(ReplicaTest, ABrokenPrevHashChainIsRefused) {
  RawLog raw = ReplicatedPrefix(30);
  raw.Add(origin_->SignedCase(OfficerKey(), CaseId(900)), raw.LastTime());
  raw.Add(origin_->SignedCase(OfficerKey(), CaseId(901)), raw.LastTime(), Hash{});
  ExpectRefused(raw.From(30), raw.Note(), {}, Code::kCorruption, {"entry 31: ", "prevHash"});
}

TEST_F(ReplicaTest, AnEntryByAnUnauthorisedKeyIsRefused) {
  RawLog raw = ReplicatedPrefix(30);
  raw.Add(origin_->SignedCase(OfficerKey(), CaseId(900)), raw.LastTime());
  raw.Add(origin_->SignedCase(TestKey("stranger"), CaseId(901)), raw.LastTime());
  ExpectRefused(raw.From(30), raw.Note(), {}, Code::kCorruption, {"entry 31: ", "not known to this log"});
}

TEST_F(ReplicaTest, AnEntryByAKeyWithoutTheRoleIsRefused) {
  // The admin may grant keys, not close cases: authority is replayed from the
  // replica's own genesis and key table, not taken on the origin's word.
  RawLog raw = ReplicatedPrefix(30);
  raw.Add(origin_->SignedCase(AdminKey(), CaseId(900)), raw.LastTime());
  ExpectRefused(raw.From(30), raw.Note(), {}, Code::kCorruption, {"entry 30: ", "role"});
}

TEST_F(ReplicaTest, AStatementFarFromItsLogTimeIsRefused) {
  RawLog raw = ReplicatedPrefix(30);
  raw.Add(origin_->SignedCase(OfficerKey(), CaseId(900)), raw.LastTime() + 3 * 60 * 60 * 1000);
  ExpectRefused(raw.From(30), raw.Note(), {}, Code::kCorruption, {"entry 30: ", "time"});
}

TEST_F(ReplicaTest, LogTimeGoingBackwardsIsRefused) {
  RawLog raw = ReplicatedPrefix(30);
  raw.Add(origin_->SignedCase(OfficerKey(), CaseId(900)), raw.LastTime() - 1000);
  ExpectRefused(raw.From(30), raw.Note(), {}, Code::kCorruption, {"entry 30: ", "logTime"});
}

TEST_F(ReplicaTest, AReplayedStatementIsRefused) {
  RawLog raw = ReplicatedPrefix(30);
  const Bytes sub = origin_->SignedCase(OfficerKey(), CaseId(900));
  raw.Add(sub, raw.LastTime());
  raw.Add(sub, raw.LastTime());
  ExpectRefused(raw.From(30), raw.Note(), {}, Code::kCorruption, {"entry 31: ", "replay"});
  // …and one the replica already holds.
  RawLog again(origin(), 30);
  again.Add(SubmissionOf(*origin().Entry(20)), again.LastTime());
  ExpectRefused(again.From(30), again.Note(), {}, Code::kCorruption, {"entry 30: ", "replay", "entry 20"});
}

TEST_F(ReplicaTest, EntriesOutOfOrderAreRefused) {
  GrowOrigin(60);
  holder_->CatchUp(origin(), 1000);
  GrowOrigin(80);
  const std::string note = origin().checkpoint();
  // Swapped: entry 61 comes first.
  std::vector<Bytes> swapped = Fetch(origin(), 60, 80);
  std::swap(swapped[0], swapped[1]);
  ExpectRefused(swapped, note, {}, Code::kCorruption, {"entry 60: ", "carries index 61"});
  // Starting one entry late.
  std::vector<Bytes> late = Fetch(origin(), 61, 80);
  ExpectRefused(late, note, *origin().ConsistencyProof(79, 80), Code::kCorruption, {"entry 60: ", "carries index 61"});
  // Entries the replica holds already.
  std::vector<Bytes> old = Fetch(origin(), 40, 60);
  ExpectRefused(old, note, *origin().ConsistencyProof(80, 80), Code::kCorruption, {"entry 60: ", "carries index 40"});
  holder_->CatchUp(origin(), 1000);
  ExpectSameAsOrigin();
}

TEST_F(ReplicaTest, ACheckpointSignedByAnotherKeyIsRefused) {
  RawLog raw = ReplicatedPrefix(30);
  raw.Add(origin_->SignedCase(OfficerKey(), CaseId(900)), raw.LastTime());
  ExpectRefused(raw.From(30), raw.Note(NamedKey{kOrigin, TestKey("impostor")}), {}, Code::kCorruption,
                {"checkpoint: "});
  // A note for another origin, even by the right key, is refused too.
  ExpectRefused(raw.From(30), raw.Note(NodeKey(), "elsewhere.example/custos"), {}, Code::kInvalidArgument,
                {"checkpoint: origin"});
  // The good note is accepted after all that.
  EXPECT_TRUE(replica().Apply(raw.From(30), raw.Note(), {}).ok());
}

TEST_F(ReplicaTest, ARootMismatchIsRefused) {
  RawLog raw = ReplicatedPrefix(30);
  RawLog other = raw;
  raw.Add(origin_->SignedCase(OfficerKey(), CaseId(900)), raw.LastTime());
  other.Add(origin_->SignedCase(OfficerKey(), CaseId(901)), other.LastTime());
  ExpectRefused(raw.From(30), other.Note(), {}, Code::kCorruption, {"checkpoint: root does not match the entries"});
}

TEST_F(ReplicaTest, ABadConsistencyProofIsRefused) {
  GrowOrigin(100);
  const std::string note = origin().checkpoint();
  const uint64_t n = origin().size();
  ASSERT_TRUE(replica().Apply(Fetch(origin(), 0, 30), note, *origin().ConsistencyProof(30, n)).ok());
  auto proof = *origin().ConsistencyProof(45, n);
  auto tampered = proof;
  tampered[1].bytes[0] ^= 0x01;
  ExpectRefused(Fetch(origin(), 30, 45), note, tampered, Code::kCorruption, {"checkpoint: consistency proof"});
  ExpectRefused(Fetch(origin(), 30, 45), note, *origin().ConsistencyProof(46, n), Code::kCorruption,
                {"checkpoint: consistency proof"});
  ExpectRefused(Fetch(origin(), 30, 45), note, {}, Code::kCorruption, {"checkpoint: consistency proof"});
  EXPECT_TRUE(replica().Apply(Fetch(origin(), 30, 45), note, proof).ok());
}

TEST_F(ReplicaTest, ACheckpointBelowTheEntriesIsRefused) {
  GrowOrigin(40, 20);
  const std::string early = *origin().CheckpointAt(2);
  ExpectRefused(Fetch(origin(), 0, 10), early, {}, Code::kInvalidArgument, {"checkpoint: size 2"});
}

// ------------------------------------------------------------ one store, many logs

TEST_F(ReplicaTest, TheOwnLogAndReplicasShareOneStore) {
  GrowOrigin(50);
  const std::string own_origin = "changzhou-ipb.example/custos";
  const NamedKey own_key{own_origin, TestKey("changzhou-node")};
  const PublicKey admin = AdminKey().public_key();
  auto own = Must(Log::Create(holder_->store(), own_origin, own_key, std::span<const PublicKey>(&admin, 1)), "Create");
  holder_->CatchUp(origin(), 20);
  EXPECT_EQ(replica().number(), layout::kFirstReplica);
  auto logs = *holder_->store().Logs();
  EXPECT_EQ(logs.at(own_origin), layout::kOwnLog);
  EXPECT_EQ(logs.at(kOrigin), layout::kFirstReplica);
  EXPECT_EQ(Replica::Open(holder_->store(), NoteVerifier::ForKey(own_origin, own_key.key.public_key())).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Log::Create(holder_->store(), own_origin, own_key, std::span<const PublicKey>(&admin, 1)).status().code(),
            Code::kAlreadyExists);
  ASSERT_TRUE(own->VerifyAll(nullptr).ok());
  own.reset();
  holder_->Reopen();
  auto reopened = Must(Log::Open(holder_->store(), own_key), "Open");
  EXPECT_EQ(reopened->size(), 1u);
  EXPECT_TRUE(reopened->VerifyAll(nullptr).ok());
  ExpectSameAsOrigin();
}

TEST_F(ReplicaTest, AReplicaOpenedWithAnotherKeyIsRefused) {
  holder_->CatchUp(origin(), 100);
  holder_->Close();
  auto owned = Must(Store::Open(holder_->options(), OpenMode::kOpenExisting), "Store::Open");
  Store& store = *owned;
  auto other = Replica::Open(store, NoteVerifier::ForKey(kOrigin, TestKey("rotated").public_key()));
  EXPECT_EQ(other.status().code(), Code::kFailedPrecondition) << other.status().ToString();
  EXPECT_EQ(Replica::Open(store, NoteVerifier::ForKey("unknown.example", TestKey("x").public_key()), false)
                .status()
                .code(),
            Code::kNotFound);
}

// ------------------------------------------------------------ verification

// Full verification covers a replica as it covers the own log: a byte changed
// behind the replica's back is found, naming the entry.
TEST_F(ReplicaTest, FullVerificationCoversReplicas) {
  GrowOrigin(120);
  holder_->CatchUp(origin(), 50);
  const layout::LogNumber number = replica().number();
  holder_->Close();
  {
    testing::RawDatabases dbs(holder_->options().path);
    leveldb::DB* db = &dbs.entries();
    std::string value;
    ASSERT_TRUE(db->Get(leveldb::ReadOptions(), layout::EntryKey(number, 60), &value).ok());
    const std::string id = CaseId(60);
    size_t at = value.find(id);
    ASSERT_NE(at, std::string::npos);
    value[at + 3] ^= 0x01;
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), layout::EntryKey(number, 60), value).ok());
  }
  auto store = Must(Store::Open(holder_->options(), OpenMode::kOpenExisting), "Store::Open");
  auto report = VerifyStoredReplica(*store, OriginVerifier(), nullptr);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kCorruption);
  EXPECT_NE(report.status().message().find("entry 60: "), std::string::npos) << report.status().ToString();
  // An origin the store holds no replica of has nothing to verify.
  EXPECT_EQ(VerifyStoredReplica(*store, NoteVerifier::ForKey("nobody.example", TestKey("n").public_key()), nullptr)
                .status()
                .code(),
            Code::kNotFound);
}

// ------------------------------------------------------------ cosignatures gathered

TEST_F(ReplicaTest, TheOriginServesTheCosignaturesItGathered) {
  GrowOrigin(20);
  const NamedKey w1{"witness-one.example", TestKey("w1")}, w2{"witness-two.example", TestKey("w2")};
  const NoteVerifier v1 = NoteVerifier::ForKey(w1.name, w1.key.public_key(), kAlgCosignatureV1);
  const NoteVerifier v2 = NoteVerifier::ForKey(w2.name, w2.key.public_key(), kAlgCosignatureV1);
  const std::string note = origin().checkpoint();
  const std::string text = Must(Note::Parse(note), "parse").text;
  const std::string line1 = Cosign(text, w1.name, w1.key, 1'720'000'100).ToLine();
  const std::string line2 = Cosign(text, w2.name, w2.key, 1'720'000'200).ToLine();
  EXPECT_FALSE(*origin().LatestCosignedSize());
  // Asked between the writes, each answer has the lines written so far (the
  // assembled note is cached between writes).
  auto signatures = [&] { return Must(Note::Parse(*origin().CosignedCheckpointAt(origin().size())), "Parse").signatures.size(); };
  EXPECT_EQ(signatures(), 1u);
  ASSERT_TRUE(origin().AddCosignature(note, line1, v1).ok());
  EXPECT_EQ(signatures(), 2u);
  ASSERT_TRUE(origin().AddCosignature(note, line2, v2).ok());
  EXPECT_EQ(signatures(), 3u);
  ASSERT_TRUE(origin().AddCosignature(note, line1, v1).ok());  // again: replaces, not duplicates
  // A line by another witness than claimed, a forged line, another checkpoint's line.
  EXPECT_EQ(origin().AddCosignature(note, line1, v2).code(), Code::kInvalidArgument);
  std::string forged = line2;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(origin().AddCosignature(note, forged, v2).ok());
  const std::string early = *origin().CheckpointAt(2);
  EXPECT_EQ(origin().AddCosignature(early, line1, v1).code(), Code::kCorruption);

  const std::string cosigned = *origin().CosignedCheckpoint();
  EXPECT_EQ(*origin().LatestCosignedSize(), origin().size());
  auto opened = Must(OpenNote(cosigned, OriginVerifier()), "OpenNote");
  EXPECT_EQ(opened.signatures.size(), 3u);
  EXPECT_EQ(*VerifyNoteCosignature(opened, v1), 1'720'000'100u);
  EXPECT_EQ(*VerifyNoteCosignature(opened, v2), 1'720'000'200u);
  EXPECT_EQ(cosigned, *origin().CosignedCheckpointAt(origin().size()));
  EXPECT_TRUE(origin().VerifyAll(nullptr).ok());
}

}  // namespace
}  // namespace custos
