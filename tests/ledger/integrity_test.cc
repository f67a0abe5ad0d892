// A store under damage: what it acknowledged stays, unchanged, or opening it
// says loudly that it cannot (docs/operations.md). The damaged stores are
// images of a live log copied while its writer held it open, as a kill -9
// leaves it: the newest batches are in LevelDB's write-ahead logs, older ones
// in tables.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "ledger/log/backup.h"
#include "ledger/log/log.h"
#include "ledger/log/repair.h"
#include "ledger/log/verify.h"
#include "ledger/storage/signed_mark.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/merkle.h"
#include "tests/ledger/log_test_util.h"

namespace custos {
namespace {

namespace fs = std::filesystem;
using testing::FreshTempDir;
using testing::Must;
using testing::NodeKey;
using testing::OfficerKey;
using testing::TestLog;

// Every file under `dir` (path relative to it -> bytes).
std::map<std::string, std::string> ReadTree(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[fs::relative(e.path(), dir).string()] = bytes.str();
  }
  return files;
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The largest file of `dir` (not recursive) whose name ends with `suffix`.
fs::path Largest(const fs::path& dir, const std::string& suffix) {
  fs::path best;
  uintmax_t best_size = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || !name.ends_with(suffix)) continue;
    if (e.file_size() > best_size) best = e.path(), best_size = e.file_size();
  }
  if (best.empty()) throw std::runtime_error("no " + suffix + " file with bytes in " + dir.string());
  return best;
}

LogOptions OptionsAt(const std::string& path, bool read_only) {
  LogOptions o;
  o.path = path;
  o.read_only = read_only;
  o.verify_threads = 1;
  return o;
}

class IntegrityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTempDir(::testing::TempDir(), "integrity");
    TestLog log(dir_);
    log.GrantOfficer();
    AppendCases(log, "table", 3);
    log.Close();  // flushes: these entries go to tables
    log.Reopen();
    AppendCases(log, "wal", 3);  // these stay in the write-ahead logs
    image_ = dir_ + "/image";
    fs::copy(log.path(), image_, fs::copy_options::recursive);
    for (uint64_t i = 0; i < log.log().size(); ++i) acknowledged_.push_back(Must(log.log().Entry(i), "entry"));
  }

  static void AppendCases(TestLog& log, const std::string& label, int batches) {
    for (int b = 0; b < batches; ++b) {
      log.AppendOk({log.SignedCase(OfficerKey(), label + "-" + std::to_string(b) + "-a"),
                    log.SignedCase(OfficerKey(), label + "-" + std::to_string(b) + "-b")});
    }
  }

  // Every acknowledged entry's bytes, read from the entries database alone.
  void ExpectEveryEntryStored() {
    auto store = Must(Store::Open(OptionsAt(image_, true), OpenMode::kOpenExisting), "read-only open");
    for (uint64_t i = 0; i < acknowledged_.size(); ++i) {
      auto raw = Must(store->Get(layout::EntryKey(layout::kOwnLog, i)), "reading an entry");
      ASSERT_TRUE(raw.has_value()) << "entry " << i << " is gone";
      EXPECT_EQ(Bytes(raw->begin(), raw->end()), acknowledged_[i]) << "entry " << i;
    }
  }

  fs::path MainDb() const { return image_; }
  fs::path EntriesDb() const { return Store::EntriesPath(image_); }

  std::string dir_, image_;
  std::vector<Bytes> acknowledged_;
};

TEST_F(IntegrityTest, AReadOnlyOpenChangesNoFile) {
  ASSERT_GT(fs::file_size(Largest(MainDb(), ".log")), 0u) << "the image must hold batches in a write-ahead log";
  const auto before = ReadTree(image_);
  {
    auto log = Must(Log::Open(OptionsAt(image_, true)), "read-only open");
    EXPECT_EQ(log->size(), acknowledged_.size());
    for (uint64_t i = 0; i < log->size(); ++i) EXPECT_EQ(Must(log->Entry(i), "entry"), acknowledged_[i]);
  }
  auto report = VerifyStoredLog(OptionsAt(image_, false), nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->size, acknowledged_.size());
  EXPECT_EQ(ReadTree(image_), before);
}

TEST_F(IntegrityTest, AReadOnlyOpenReadsBesideTheWriterAndWritesNothing) {
  auto writer = Must(Log::Open(OptionsAt(image_, false), NodeKey()), "writer open");
  auto reader = Must(Log::Open(OptionsAt(image_, true)), "read-only open beside the writer");
  EXPECT_EQ(reader->size(), writer->size());
  EXPECT_EQ(reader->checkpoint(), writer->checkpoint());
  leveldb::WriteBatch batch;
  batch.Put("z", "z");
  EXPECT_EQ(reader->store().Write(batch).code(), Status::Code::kFailedPrecondition);
}

// The attack: the newest write-ahead log cut short. LevelDB reads
// a record cut at the end of its log as the end of the log, so the head comes
// back older than what the node signed; without the signed mark the node
// would sign a second, different checkpoint of the same size.
TEST_F(IntegrityTest, AWriteAheadLogCutShortIsRefusedNotRolledBack) {
  const fs::path wal = Largest(MainDb(), ".log");
  fs::resize_file(wal, fs::file_size(wal) - 10);
  for (bool read_only : {true, false}) {
    auto opened = read_only ? Log::Open(OptionsAt(image_, true)) : Log::Open(OptionsAt(image_, false), NodeKey());
    ASSERT_FALSE(opened.ok()) << (read_only ? "read-only" : "writer") << " open of a rolled-back log";
    EXPECT_EQ(opened.status().code(), Status::Code::kCorruption);
    EXPECT_NE(opened.status().message().find("signed a checkpoint of size " + std::to_string(acknowledged_.size())),
              std::string::npos)
        << opened.status().ToString();
    EXPECT_NE(opened.status().message().find("custos log repair"), std::string::npos);
  }
  ExpectEveryEntryStored();
}

TEST_F(IntegrityTest, AFlippedByteInAWriteAheadLogIsRefusedAndTheRefusalChangesNothing) {
  const fs::path wal = Largest(MainDb(), ".log");
  const std::string original = ReadBytes(wal);
  std::string damaged = original;
  damaged[damaged.size() / 2] ^= 0x20;
  WriteBytes(wal, damaged);
  const auto before = ReadTree(image_);
  auto opened = Log::Open(OptionsAt(image_, false), NodeKey());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kCorruption) << opened.status().ToString();
  EXPECT_EQ(ReadTree(image_), before);
  WriteBytes(wal, original);  // the byte put back: nothing was lost
  auto report = VerifyStoredLog(OptionsAt(image_, false), nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->size, acknowledged_.size());
}

TEST_F(IntegrityTest, AFlippedByteInAnEntryTableIsNeverServedAsOtherBytes) {
  const fs::path table = Largest(EntriesDb(), ".ldb");
  std::string bytes = ReadBytes(table);
  bytes[bytes.size() / 3] ^= 0x01;
  WriteBytes(table, bytes);
  auto log = Log::Open(OptionsAt(image_, true));
  size_t refused = 0;
  if (log.ok()) {
    for (uint64_t i = 0; i < acknowledged_.size(); ++i) {
      auto entry = (*log)->Entry(i);
      if (!entry.ok()) {
        EXPECT_EQ(entry.status().code(), Status::Code::kCorruption) << entry.status().ToString();
        ++refused;
        continue;
      }
      EXPECT_EQ(*entry, acknowledged_[i]) << "entry " << i << " served altered";
    }
  }
  EXPECT_TRUE(!log.ok() || refused > 0);
  EXPECT_FALSE(VerifyStoredLog(OptionsAt(image_, false), nullptr).ok());
}

TEST_F(IntegrityTest, AScrubReadsEveryBlockAndFindsADamagedOne) {
  {
    auto store = Must(Store::Open(OptionsAt(image_, true), OpenMode::kOpenExisting), "read-only open");
    EXPECT_TRUE(store->Scrub().ok());
  }
  const fs::path table = Largest(EntriesDb(), ".ldb");
  std::string bytes = ReadBytes(table);
  bytes[bytes.size() / 3] ^= 0x01;
  WriteBytes(table, bytes);
  auto store = Must(Store::Open(OptionsAt(image_, true), OpenMode::kOpenExisting), "read-only open");
  Status scrubbed = store->Scrub();
  EXPECT_EQ(scrubbed.code(), Status::Code::kCorruption) << scrubbed.ToString();
  EXPECT_NE(scrubbed.message().find("custos log repair"), std::string::npos) << scrubbed.ToString();
}

TEST_F(IntegrityTest, AStoreMarkedDamagedAppendsAndWritesNothing) {
  ManualClock clock(testing::kStartMillis);
  LogOptions options = OptionsAt(image_, false);
  options.clock = &clock;
  auto log = Must(Log::Open(options, NodeKey()), "writer open");
  log->store().MarkDamaged(Status::Corruption("the store is damaged: a test"));
  testing::StatementMaker maker;
  auto results = log->Append(std::vector<Bytes>{testing::Sign(maker.Clue("refused", testing::kStartMillis), OfficerKey())},
                             BatchMode::kAllOrNothing);
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().message(), "the store is damaged: a test");
  leveldb::WriteBatch batch;
  batch.Put("z", "z");
  EXPECT_EQ(log->store().Write(batch).code(), Status::Code::kCorruption);
  EXPECT_EQ(log->size(), acknowledged_.size());
}

// ------------------------------------------------------------ repair

// A peer's replica, as a repair sees it: the acknowledged entries, or some
// of them, or altered ones.
class VectorSource final : public EntrySource {
 public:
  explicit VectorSource(std::vector<Bytes> entries) : entries_(std::move(entries)) {}
  Result<std::vector<Bytes>> Entries(const std::string& origin, uint64_t start, uint32_t count) override {
    if (origin != testing::kOrigin) return std::vector<Bytes>();
    std::vector<Bytes> out;
    for (uint64_t i = start; i < entries_.size() && i < start + count; ++i) out.push_back(entries_[i]);
    ++calls_;
    return out;
  }
  std::vector<Bytes>& entries() { return entries_; }
  int calls() const { return calls_; }

 private:
  std::vector<Bytes> entries_;
  int calls_ = 0;
};

NoteVerifier NodeVerifier() { return NoteVerifier::ForKey(testing::kOrigin, NodeKey().key.public_key()); }

// After a repair the writer opens at the acknowledged head, the next batch
// extends the checkpoint it signed (no second checkpoint of a signed size),
// and the whole log verifies.
void ExpectRepairedAndGoingOn(const std::string& image, const std::vector<Bytes>& acknowledged) {
  ManualClock clock(testing::kStartMillis);  // the statements' time
  LogOptions options = OptionsAt(image, false);
  options.clock = &clock;
  auto log = Must(Log::Open(options, NodeKey()), "writer open after the repair");
  ASSERT_EQ(log->size(), acknowledged.size());
  for (uint64_t i = 0; i < acknowledged.size(); ++i) EXPECT_EQ(Must(log->Entry(i), "entry"), acknowledged[i]) << i;
  const std::string signed_before = Must(log->CheckpointAt(acknowledged.size()), "checkpoint at the mark");
  testing::StatementMaker maker;
  auto receipt = log->Append(std::vector<Bytes>{testing::Sign(maker.Clue("after-repair", testing::kStartMillis),
                                                              OfficerKey())},
                             BatchMode::kAllOrNothing);
  ASSERT_TRUE(receipt[0].ok()) << receipt[0].status().ToString();
  EXPECT_EQ(receipt[0]->index, acknowledged.size());
  EXPECT_EQ(Must(log->CheckpointAt(acknowledged.size()), "checkpoint at the mark"), signed_before);
  auto proof = Must(log->ConsistencyProof(acknowledged.size(), log->size()), "consistency");
  EXPECT_TRUE(merkle::VerifyConsistency(acknowledged.size(), log->size(), Must(log->RootAt(acknowledged.size()), "root"),
                                        log->root(), proof)
                  .ok());
  log.reset();
  auto report = VerifyStoredLog(OptionsAt(image, true), nullptr);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
}

TEST_F(IntegrityTest, RepairReappliesTheBatchesACutWriteAheadLogLost) {
  const fs::path wal = Largest(MainDb(), ".log");
  fs::resize_file(wal, fs::file_size(wal) / 2);
  ASSERT_FALSE(Log::Open(OptionsAt(image_, false), NodeKey()).ok());
  VectorSource peer(acknowledged_);
  auto report = RepairOwnLog(OptionsAt(image_, false), NodeVerifier(), peer, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GT(report->reapplied, 0u);
  EXPECT_EQ(report->size, acknowledged_.size());
  ExpectRepairedAndGoingOn(image_, acknowledged_);
}

TEST_F(IntegrityTest, RepairTakesLostEntriesFromThePeerAndChecksThemAgainstTheTree) {
  fs::remove(Largest(EntriesDb(), ".log"));  // the newest entries are gone from this store
  ASSERT_FALSE(Log::Open(OptionsAt(image_, false), NodeKey()).ok());
  VectorSource peer(acknowledged_);
  auto report = RepairOwnLog(OptionsAt(image_, false), NodeVerifier(), peer, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GT(report->from_source, 0u);
  ExpectRepairedAndGoingOn(image_, acknowledged_);
}

TEST_F(IntegrityTest, RepairSalvagesADatabaseLevelDbRefusesAndChecksWhatItKept) {
  const fs::path table = Largest(EntriesDb(), ".ldb");
  std::string bytes = ReadBytes(table);
  bytes[bytes.size() / 3] ^= 0x01;
  WriteBytes(table, bytes);
  VectorSource peer(acknowledged_);
  auto report = RepairOwnLog(OptionsAt(image_, false), NodeVerifier(), peer, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GT(report->from_source, 0u);
  ExpectRepairedAndGoingOn(image_, acknowledged_);
}

TEST_F(IntegrityTest, RepairRefusesAPeerEntryThatIsNotTheOneSigned) {
  fs::remove(Largest(EntriesDb(), ".log"));
  const fs::path wal = Largest(MainDb(), ".log");
  VectorSource peer(acknowledged_);
  peer.entries().back().back() ^= 0x01;  // the peer serves an altered last entry
  fs::resize_file(wal, fs::file_size(wal) / 2);
  auto report = RepairOwnLog(OptionsAt(image_, false), NodeVerifier(), peer, nullptr);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kCorruption) << report.status().ToString();
  EXPECT_FALSE(Log::Open(OptionsAt(image_, false), NodeKey()).ok()) << "a failed repair must leave the log refused";
}

TEST_F(IntegrityTest, RepairOfAnUndamagedLogChangesNothingItServes) {
  VectorSource peer(acknowledged_);
  auto report = RepairOwnLog(OptionsAt(image_, false), NodeVerifier(), peer, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->replaced + report->reapplied + report->from_source, 0u);
  EXPECT_EQ(peer.calls(), 0);
  ExpectRepairedAndGoingOn(image_, acknowledged_);
}

// ------------------------------------------------------------ backup

TEST_F(IntegrityTest, ABackupOfALiveStoreOpensAtItsHeadAndVerifies) {
  auto writer = Must(Log::Open(OptionsAt(image_, false), NodeKey()), "writer open");
  const std::string copy = dir_ + "/backup";
  {
    auto view = Must(Store::Open(OptionsAt(image_, true), OpenMode::kOpenExisting), "read-only view beside the writer");
    auto report = BackupStore(*view, copy, nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->own_size, acknowledged_.size());
    EXPECT_EQ(report->entries, acknowledged_.size());
  }
  auto verified = VerifyStoredLog(OptionsAt(copy, true), nullptr);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->checkpoint, writer->checkpoint());
  auto restored = Must(Log::Open(OptionsAt(copy, false), NodeKey()), "a writer opens the copy");
  EXPECT_EQ(restored->size(), acknowledged_.size());
  for (uint64_t i = 0; i < acknowledged_.size(); ++i) EXPECT_EQ(Must(restored->Entry(i), "entry"), acknowledged_[i]);
  EXPECT_EQ(Must(Store::Open(OptionsAt(copy, true), OpenMode::kOpenExisting), "copy")->signed_mark().latest()->size,
            acknowledged_.size());
  restored.reset();
  EXPECT_EQ(BackupStore(writer->store(), copy, nullptr).status().code(), Status::Code::kAlreadyExists);
}

// ------------------------------------------------------------ the matrix

// One way to damage one file of the image.
struct Damage {
  fs::path file;  // relative to the image
  std::string kind;
  std::function<void(const fs::path&)> apply;
};

std::vector<Damage> EveryDamage(const std::string& image) {
  std::vector<Damage> out;
  for (const auto& e : fs::recursive_directory_iterator(image)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || name == "LOCK" || name.starts_with("LOG")) continue;  // no data in them
    const fs::path rel = fs::relative(e.path(), image);
    const uintmax_t size = e.file_size();
    std::set<uintmax_t> offsets;
    for (uintmax_t part = 0; part < 8 && size > 0; ++part) offsets.insert(size * part / 8);
    if (size > 0) offsets.insert(size - 1);
    for (uintmax_t at : offsets) {
      out.push_back({rel, "flip@" + std::to_string(at), [at](const fs::path& p) {
                       std::string bytes = ReadBytes(p);
                       bytes[at] ^= 0x10;
                       WriteBytes(p, bytes);
                     }});
    }
    if (size > 0) {
      out.push_back({rel, "cut to half", [size](const fs::path& p) { fs::resize_file(p, size / 2); }});
      out.push_back({rel, "cut by 1", [size](const fs::path& p) { fs::resize_file(p, size - 1); }});
    }
    out.push_back({rel, "delete", [](const fs::path& p) { fs::remove(p); }});
  }
  return out;
}

enum class Outcome { kRefused, kAsBefore, kAltered };

// For every damage: a read-only open, reading every entry and a full
// verification; then the writer's open. Each must refuse (with a message) or
// serve exactly what was acknowledged; a refused writer's open must have
// changed nothing that putting the damaged bytes back would not undo.
TEST_F(IntegrityTest, EveryDamageIsRefusedOrServedAsBeforeNeverAltered) {
  const std::string pristine = dir_ + "/pristine";
  fs::rename(image_, pristine);
  const std::string acknowledged_note = [&] {
    fs::copy(pristine, image_, fs::copy_options::recursive);
    auto log = Must(Log::Open(OptionsAt(image_, true)), "pristine open");
    return log->checkpoint();
  }();
  std::map<std::string, int> counts;
  int altered = 0, cases = 0;
  for (const Damage& damage : EveryDamage(pristine)) {
    ++cases;
    const std::string what = damage.file.string() + " " + damage.kind;
    fs::remove_all(image_);
    fs::copy(pristine, image_, fs::copy_options::recursive);
    damage.apply(fs::path(image_) / damage.file);

    Outcome reader = Outcome::kAsBefore;
    auto log = Log::Open(OptionsAt(image_, true));
    if (!log.ok()) {
      EXPECT_FALSE(log.status().message().empty()) << what;
      reader = Outcome::kRefused;
    } else {
      if ((*log)->size() != acknowledged_.size() || (*log)->checkpoint() != acknowledged_note) reader = Outcome::kAltered;
      for (uint64_t i = 0; i < acknowledged_.size() && reader != Outcome::kAltered; ++i) {
        auto entry = (*log)->Entry(i);
        if (!entry.ok()) reader = Outcome::kRefused;
        else if (*entry != acknowledged_[i]) reader = Outcome::kAltered;
      }
      log->reset();  // closed before verifying
      if (reader == Outcome::kAsBefore && !VerifyStoredLog(OptionsAt(image_, true), nullptr).ok()) {
        reader = Outcome::kRefused;
      }
    }
    EXPECT_NE(reader, Outcome::kAltered) << what << ": served altered, or rolled back, with no error";

    auto writer = Log::Open(OptionsAt(image_, false), NodeKey());
    const bool writer_refused = !writer.ok();
    if (!writer_refused && ((*writer)->size() != acknowledged_.size() || (*writer)->checkpoint() != acknowledged_note)) {
      ADD_FAILURE() << what << ": the writer opened at size " << (*writer)->size() << ", not at the acknowledged head";
      ++altered;
    }
    if (writer.ok()) writer->reset();
    if (reader == Outcome::kAltered) ++altered;
    ++counts[std::string(reader == Outcome::kRefused ? "refused" : "served as before") +
             (writer_refused ? ", writer refused" : ", writer opened at the acknowledged head")];

    // A byte put back: nothing acknowledged may be gone.
    if (damage.kind.starts_with("flip")) {
      fs::copy_file(fs::path(pristine) / damage.file, fs::path(image_) / damage.file,
                    fs::copy_options::overwrite_existing);
      auto report = VerifyStoredLog(OptionsAt(image_, true), nullptr);
      EXPECT_TRUE(report.ok()) << what << ", put back: " << report.status().ToString();
      if (report.ok()) {
        EXPECT_EQ(report->size, acknowledged_.size()) << what << ", put back";
      }
    }
  }
  std::cout << "corruption matrix: " << cases << " cases, " << altered << " altered\n";
  for (const auto& [outcome, n] : counts) std::cout << "  " << n << " " << outcome << "\n";
  EXPECT_EQ(altered, 0);
  EXPECT_GT(cases, 50);
}

// ------------------------------------------------------------ SignedMark

class SignedMarkTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = FreshTempDir(::testing::TempDir(), "mark") + "/" + SignedMark::kFileName; }
  std::unique_ptr<SignedMark> Open(bool read_only = false) {
    return Must(SignedMark::Open(leveldb::Env::Default(), path_, read_only), "SignedMark::Open");
  }
  std::string path_;
};

TEST_F(SignedMarkTest, KeepsTheLargestSizeAcrossOpens) {
  {
    auto mark = Open();
    EXPECT_FALSE(mark->latest().has_value());
    ASSERT_TRUE(mark->Record(5, "note five\n").ok());
    ASSERT_TRUE(mark->Record(9, "note nine\n").ok());
  }
  auto mark = Open(/*read_only=*/true);
  ASSERT_TRUE(mark->latest().has_value());
  EXPECT_EQ(mark->latest()->size, 9u);
  EXPECT_EQ(mark->latest()->note, "note nine\n");
  EXPECT_EQ(mark->Record(10, "x").code(), Status::Code::kFailedPrecondition);
}

TEST_F(SignedMarkTest, ATornRecordIsIgnoredAndAWriterKeepsLaterRecordsReadable) {
  {
    auto mark = Open();
    ASSERT_TRUE(mark->Record(3, "three\n").ok());
    ASSERT_TRUE(mark->Record(4, "four\n").ok());
  }
  fs::resize_file(path_, fs::file_size(path_) - 2);  // the write of 4 was cut
  {
    auto mark = Open();
    EXPECT_EQ(mark->latest()->size, 3u);
    ASSERT_TRUE(mark->Record(4, "four again\n").ok());
  }
  EXPECT_EQ(Open(true)->latest()->note, "four again\n");
}

TEST_F(SignedMarkTest, ADamagedRecordIsNotTakenForAnother) {
  {
    auto mark = Open();
    ASSERT_TRUE(mark->Record(7, "seven\n").ok());
  }
  std::string bytes = ReadBytes(path_);
  bytes[bytes.size() - 3] ^= 0x04;
  WriteBytes(path_, bytes);
  EXPECT_FALSE(Open(true)->latest().has_value());
}

TEST_F(SignedMarkTest, ADamagedOldRecordDoesNotHideTheNewerOnes) {
  {
    auto mark = Open();
    ASSERT_TRUE(mark->Record(3, "three\n").ok());
    ASSERT_TRUE(mark->Record(8, "eight\n").ok());
  }
  std::string bytes = ReadBytes(path_);
  bytes[20 + 2] ^= 0x01;  // inside the first record's note: its digest fails
  WriteBytes(path_, bytes);
  auto before = Open(true)->latest();
  ASSERT_TRUE(before.has_value());  // before the fix: the damaged first record ended the reading
  EXPECT_EQ(before->size, 8u);
  Open();  // a writer rewrites the file without the damaged record
  EXPECT_EQ(Open(true)->latest()->note, "eight\n");
  EXPECT_LT(fs::file_size(path_), bytes.size());
}

TEST_F(SignedMarkTest, TheFileIsRewrittenWithItsLatestRecordWhenLarge) {
  const std::string note(8000, 'n');
  {
    auto mark = Open();
    for (uint64_t size = 1; size <= 150; ++size) ASSERT_TRUE(mark->Record(size, note + std::to_string(size)).ok());
  }
  EXPECT_LT(fs::file_size(path_), 300u * 1024);
  auto mark = Open(true);
  EXPECT_EQ(mark->latest()->size, 150u);
  EXPECT_EQ(mark->latest()->note, note + "150");
}

}  // namespace
}  // namespace custos
