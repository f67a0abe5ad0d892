// Fault injection at the file-system seam (LogOptions::env), after LevelDB's
// own fault_injection_test: a leveldb::EnvWrapper that makes file creation,
// appends, syncs or renames fail from some point on — "No space left on
// device" (disk full) or "Input/output error" — and that can drop every byte
// not yet synced, as a power loss would.
//
// What must hold: a batch whose write fails returns IOError for every
// submission and leaves the log as it was; after the faults stop, the log
// reopens with every batch acknowledged before the fault, nothing of the
// failed batch (or, when only the sync failed and no power was lost, all of
// it: LevelDB cannot say), passes full verification, and takes appends again.
#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "ledger/log/log.h"
#include "ledger/log/verify.h"
#include "ledger/tlog/merkle.h"
#include "tests/ledger/log_test_util.h"

namespace custos {
namespace {

using custos::testing::AdminKey;
using custos::testing::OfficerKey;
using custos::testing::Sign;
using custos::testing::TestLog;
using Code = Status::Code;

// ------------------------------------------------------------ the faulty Env

class FaultEnv final : public leveldb::EnvWrapper {
 public:
  enum Op : unsigned { kNewFile = 1u << 0, kAppend = 1u << 1, kSync = 1u << 2, kRename = 1u << 3 };
  enum class Kind { kDiskFull, kIOError };

  FaultEnv() : EnvWrapper(leveldb::Env::Default()) {}

  // After `after` more operations of the kinds in `ops` succeed, every one
  // of them fails with `kind` until Heal().
  void FailFrom(unsigned ops, Kind kind, int after = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    ops_ = ops;
    kind_ = kind;
    pass_ = after;
  }
  void Heal() {
    std::lock_guard<std::mutex> lock(mu_);
    ops_ = 0;
  }
  int injected() {
    std::lock_guard<std::mutex> lock(mu_);
    return injected_;
  }

  // Power loss: cuts every file written through this Env back to the length
  // it had at its last successful Sync. Call with the database closed.
  // (Directory entries are not modelled: LevelDB syncs the directory when it
  // installs a new MANIFEST, and a log file's name matters only with data.)
  void DropUnsyncedData() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, state] : files_) {
      if (std::filesystem::exists(name) && std::filesystem::file_size(name) > state->synced) {
        std::filesystem::resize_file(name, state->synced);
      }
    }
  }

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** result) override {
    return Open(name, result, /*append=*/false);
  }
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** result) override {
    return Open(name, result, /*append=*/true);
  }
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override {
    leveldb::Status s = MaybeFail(kRename, from);
    if (s.ok()) s = target()->RenameFile(from, to);
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok() && files_.count(from)) {
      files_[to] = files_[from];
      files_.erase(from);
    }
    return s;
  }

 private:
  struct FileState {
    uint64_t size = 0;    // bytes handed to the OS
    uint64_t synced = 0;  // bytes known to be on the disk
  };

  // Passes each append straight to the OS (Append + Flush below), so that
  // what was "written" is exactly what reached the file and a failed append
  // leaves nothing behind in a buffer, as a failed write(2) does.
  class FaultFile final : public leveldb::WritableFile {
   public:
    FaultFile(FaultEnv* env, std::string name, leveldb::WritableFile* inner, std::shared_ptr<FileState> state)
        : env_(env), name_(std::move(name)), inner_(inner), state_(std::move(state)) {}
    leveldb::Status Append(const leveldb::Slice& data) override {
      leveldb::Status s = env_->MaybeFail(kAppend, name_);
      if (s.ok()) s = inner_->Append(data);
      if (s.ok()) s = inner_->Flush();
      if (s.ok()) env_->Grow(*state_, data.size());
      return s;
    }
    leveldb::Status Close() override { return inner_->Close(); }
    leveldb::Status Flush() override { return leveldb::Status::OK(); }
    leveldb::Status Sync() override {
      leveldb::Status s = env_->MaybeFail(kSync, name_);
      if (s.ok()) s = inner_->Sync();
      if (s.ok()) env_->MarkSynced(*state_);
      return s;
    }

   private:
    FaultEnv* env_;
    std::string name_;
    std::unique_ptr<leveldb::WritableFile> inner_;
    std::shared_ptr<FileState> state_;
  };

  leveldb::Status Open(const std::string& name, leveldb::WritableFile** result, bool append) {
    *result = nullptr;
    leveldb::Status s = MaybeFail(kNewFile, name);
    if (!s.ok()) return s;
    auto state = std::make_shared<FileState>();
    uint64_t existing = 0;
    if (append && target()->GetFileSize(name, &existing).ok()) state->size = state->synced = existing;
    leveldb::WritableFile* inner = nullptr;
    s = append ? target()->NewAppendableFile(name, &inner) : target()->NewWritableFile(name, &inner);
    if (!s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      files_[name] = state;
    }
    *result = new FaultFile(this, name, inner, state);
    return s;
  }

  leveldb::Status MaybeFail(Op op, const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    if ((ops_ & op) == 0) return leveldb::Status::OK();
    if (pass_ > 0) {
      --pass_;
      return leveldb::Status::OK();
    }
    ++injected_;
    return leveldb::Status::IOError(name, kind_ == Kind::kDiskFull ? "No space left on device" : "Input/output error");
  }
  void Grow(FileState& state, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    state.size += n;
  }
  void MarkSynced(FileState& state) {
    std::lock_guard<std::mutex> lock(mu_);
    state.synced = state.size;
  }

  std::mutex mu_;
  unsigned ops_ = 0;
  Kind kind_ = Kind::kDiskFull;
  int pass_ = 0;
  int injected_ = 0;
  std::map<std::string, std::shared_ptr<FileState>> files_;
};

const char* Reason(FaultEnv::Kind kind) {
  return kind == FaultEnv::Kind::kDiskFull ? "No space left on device" : "Input/output error";
}

// ------------------------------------------------------------ the fixture

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), "fault");
    t_ = std::make_unique<TestLog>(dir_, &env_, write_buffer_bytes_);
    Acknowledge({0}, t_->log());
    Acknowledge(t_->GrantOfficer());
  }
  void TearDown() override {
    t_.reset();
    std::filesystem::remove_all(dir_);
  }

  TestLog& t() { return *t_; }
  Log& log() { return t_->log(); }
  // LevelDB's write buffer for the log SetUp makes (0: the store's default).
  size_t write_buffer_bytes_ = 0;

  // `n` officer statements; `big` ones (about 1.5 KiB each, from
  // examples/evidence-registered.json) make a batch span several 32 KiB
  // blocks of LevelDB's write-ahead log.
  std::vector<Bytes> Batch(size_t n, bool big = false) {
    std::vector<Bytes> batch;
    for (size_t i = 0; i < n; ++i) {
      const std::string id = "fault-" + std::to_string(next_case_++);
      Bytes statement = big ? t().maker().EvidenceRegistered(id, t().now()) : t().maker().Clue(id, t().now());
      batch.push_back(Sign(statement, OfficerKey()));
    }
    return batch;
  }

  void Acknowledge(const Receipt& r) { acked_[r.index] = r.leaf_hash; }
  void Acknowledge(const std::vector<uint64_t>& indexes, const Log& log) {
    for (uint64_t i : indexes) acked_[i] = testing::LeafOf(log, i);
  }
  // Appends a batch that must be accepted whole, and remembers its receipts.
  void AppendAcknowledged(const std::vector<Bytes>& batch) {
    for (const Receipt& r : t().AppendOk(batch)) Acknowledge(r);
  }

  // Every result IOError naming `reason`.
  static void ExpectAllIOError(const std::vector<Result<Receipt>>& results, const std::string& reason) {
    for (size_t i = 0; i < results.size(); ++i) {
      ASSERT_FALSE(results[i].ok()) << "submission " << i << " was acknowledged";
      EXPECT_EQ(results[i].status().code(), Code::kIOError) << results[i].status().ToString();
      EXPECT_NE(results[i].status().message().find(reason), std::string::npos) << results[i].status().ToString();
    }
  }

  // Every acknowledged entry is there with its leaf hash.
  void ExpectAcknowledgedPresent() {
    ASSERT_FALSE(acked_.empty());
    EXPECT_GE(log().size(), acked_.rbegin()->first + 1);
    for (const auto& [index, leaf] : acked_) {
      auto entry = log().Entry(index);
      ASSERT_TRUE(entry.ok()) << "acknowledged entry " << index << ": " << entry.status().ToString();
      EXPECT_EQ(merkle::LeafHash(*entry), leaf) << "acknowledged entry " << index << " changed";
    }
  }

  // Closes the log, runs the full verification with the default Env, reopens.
  void ExpectVerifies() {
    t().Close();
    LogOptions options = t().options();
    options.env = nullptr;
    auto report = VerifyStoredLog(options, nullptr);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    t().Reopen(nullptr);
  }

  // After the faults: reopen with the default Env and check everything; the
  // failed batch must be absent, or (when `may_be_present`) present whole.
  // Then appending works again, and resubmitting the failed batch either
  // appends it or names where it already is.
  void ExpectRecovered(uint64_t size_before, const std::vector<Bytes>& failed, bool may_be_present) {
    t().Reopen(nullptr);
    ExpectAcknowledgedPresent();
    const uint64_t size = log().size();
    if (may_be_present) {
      EXPECT_TRUE(size == size_before || size == size_before + failed.size()) << size;
    } else {
      EXPECT_EQ(size, size_before) << "something of the failed batch is in the log";
    }
    std::cout << "after reopening, the failed batch is " << (size == size_before ? "absent" : "present, whole")
              << "\n";
    ExpectVerifies();
    auto retry = log().Append(failed, BatchMode::kAllOrNothing);
    for (size_t i = 0; i < retry.size(); ++i) {
      if (size == size_before) {
        ASSERT_TRUE(retry[i].ok()) << retry[i].status().ToString();
        EXPECT_EQ(retry[i]->index, size_before + i);
        Acknowledge(*retry[i]);
      } else {  // each one says where it already is
        EXPECT_EQ(retry[i].status().code(), Code::kAlreadyExists) << retry[i].status().ToString();
        EXPECT_NE(retry[i].status().message().find("at index " + std::to_string(size_before + i)), std::string::npos)
            << retry[i].status().ToString();
      }
    }
    AppendAcknowledged(Batch(7));
    ExpectAcknowledgedPresent();
    ExpectVerifies();
  }

  std::string dir_;
  FaultEnv env_;
  std::unique_ptr<TestLog> t_;
  std::map<uint64_t, Hash> acked_;
  int next_case_ = 0;
};

// ------------------------------------------------------------ a failed batch

struct WriteFault {
  const char* name;
  unsigned ops;
  FaultEnv::Kind kind;
  int after;        // operations that still succeed once the fault is armed
  bool power_loss;  // drop unsynced bytes before reopening
};

void PrintTo(const WriteFault& f, std::ostream* os) { *os << f.name; }

class BatchFaultTest : public FaultTest, public ::testing::WithParamInterface<WriteFault> {};

TEST_P(BatchFaultTest, TheBatchFailsAndTheLogIsUnharmed) {
  const WriteFault& fault = GetParam();
  AppendAcknowledged(Batch(5));
  AppendAcknowledged(Batch(17, /*big=*/true));
  AppendAcknowledged(Batch(1));
  const uint64_t size = log().size();
  const Hash root = log().root();
  const std::string checkpoint = log().checkpoint();

  std::vector<Bytes> failed = Batch(50, /*big=*/true);
  env_.FailFrom(fault.ops, fault.kind, fault.after);
  auto results = log().Append(failed, BatchMode::kAllOrNothing);
  ASSERT_GT(env_.injected(), 0) << "the fault was never reached";
  ExpectAllIOError(results, Reason(fault.kind));
  EXPECT_EQ(log().size(), size);
  EXPECT_EQ(log().root(), root);
  EXPECT_EQ(log().checkpoint(), checkpoint);
  // Reads still work while the disk is failing.
  EXPECT_TRUE(log().Entry(size - 1).ok());
  EXPECT_TRUE(log().InclusionProof(0, size).ok());

  env_.Heal();
  t().Close();
  if (fault.power_loss) env_.DropUnsyncedData();
  // Only a failed sync can leave the batch behind, and only if no power was
  // lost: its bytes reached the OS, so the outcome is unknown to the caller.
  bool may_be_present = (fault.ops & FaultEnv::kAppend) == 0 && !fault.power_loss;
  ExpectRecovered(size, failed, may_be_present);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, BatchFaultTest,
    ::testing::Values(
        WriteFault{"DiskFullAtTheFirstWrite", FaultEnv::kAppend, FaultEnv::Kind::kDiskFull, 0, false},
        WriteFault{"DiskFullAfterARecordHeader", FaultEnv::kAppend, FaultEnv::Kind::kDiskFull, 1, false},
        WriteFault{"DiskFullAfterTheFirstFragment", FaultEnv::kAppend, FaultEnv::Kind::kDiskFull, 2, false},
        WriteFault{"DiskFullMidBatchThenPowerLoss", FaultEnv::kAppend, FaultEnv::Kind::kDiskFull, 3, true},
        WriteFault{"IOErrorOnWrite", FaultEnv::kAppend, FaultEnv::Kind::kIOError, 0, false},
        WriteFault{"IOErrorOnSyncThenPowerLoss", FaultEnv::kSync, FaultEnv::Kind::kIOError, 0, true},
        WriteFault{"DiskFullOnSyncThenPowerLoss", FaultEnv::kSync, FaultEnv::Kind::kDiskFull, 0, true},
        WriteFault{"IOErrorOnSyncNoPowerLoss", FaultEnv::kSync, FaultEnv::Kind::kIOError, 0, false},
        WriteFault{"EverythingFailsMidBatch", FaultEnv::kAppend | FaultEnv::kSync | FaultEnv::kNewFile |
                                                  FaultEnv::kRename,
                   FaultEnv::Kind::kIOError, 2, true}),
    [](const ::testing::TestParamInfo<WriteFault>& p) { return std::string(p.param.name); });

// ------------------------------------------------------------ the same Log object

// After a failed batch, the caller may keep using the same Log object. Later
// appends may then be refused (LevelDB refuses every write after a failed
// sync, since it cannot tell whether the record reached its write-ahead log)
// or accepted; what must hold either way is that every batch the Log
// acknowledged — before and after the fault — is there after reopening, that
// nothing unacknowledged is (except, after a failed sync, the whole batch
// whose sync failed), and that the log verifies.
struct SameObjectFault {
  const char* name;
  unsigned ops;
  int after;
};

void PrintTo(const SameObjectFault& f, std::ostream* os) { *os << f.name; }

class SameObjectTest : public FaultTest, public ::testing::WithParamInterface<SameObjectFault> {};

TEST_P(SameObjectTest, LaterAppendsOnTheSameLogLoseNothingAcknowledged) {
  const SameObjectFault& fault = GetParam();
  const bool sync_failed = fault.ops == FaultEnv::kSync;
  AppendAcknowledged(Batch(20, /*big=*/true));
  const uint64_t size = log().size();
  env_.FailFrom(fault.ops, FaultEnv::Kind::kDiskFull, fault.after);
  ExpectAllIOError(log().Append(Batch(50, /*big=*/true), BatchMode::kAllOrNothing), "No space left on device");
  ASSERT_GT(env_.injected(), 0);
  env_.Heal();

  int accepted = 0, refused = 0;
  for (int round = 0; round < 5; ++round) {
    const uint64_t before = log().size();
    auto results = log().Append(Batch(round % 2 ? 3 : 40, /*big=*/true), BatchMode::kAllOrNothing);
    if (!results[0].ok()) {  // refused whole, and nothing changed
      ++refused;
      for (const auto& r : results) EXPECT_FALSE(r.ok()) << "round " << round << ": a batch was split";
      EXPECT_EQ(log().size(), before);
      std::cout << "round " << round << ": refused: " << results[0].status().ToString() << "\n";
      continue;
    }
    ++accepted;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << "round " << round << ": a batch was split: " << r.status().ToString();
      Acknowledge(*r);
    }
  }
  std::cout << "after the fault, the same Log accepted " << accepted << " and refused " << refused << " batches\n";
  if (sync_failed) {
    EXPECT_EQ(accepted, 0) << "LevelDB refuses writes after a failed sync until reopened";
  }

  t().Close();
  t().Reopen(nullptr);
  ExpectAcknowledgedPresent();
  ASSERT_GE(log().size(), acked_.rbegin()->first + 1);
  const uint64_t unacknowledged = log().size() - (acked_.rbegin()->first + 1);
  EXPECT_TRUE(unacknowledged == 0 || (sync_failed && unacknowledged == 50 && log().size() == size + 50))
      << unacknowledged << " unacknowledged entries after reopening";
  ExpectVerifies();
  AppendAcknowledged(Batch(5));
  ExpectAcknowledgedPresent();
  ExpectVerifies();
}

INSTANTIATE_TEST_SUITE_P(Faults, SameObjectTest,
                         ::testing::Values(SameObjectFault{"FailedSync", FaultEnv::kSync, 0},
                                           SameObjectFault{"FailedFirstWrite", FaultEnv::kAppend, 0},
                                           SameObjectFault{"FailedWriteAfterARecordHeader", FaultEnv::kAppend, 1},
                                           SameObjectFault{"FailedWriteMidRecord", FaultEnv::kAppend, 2}),
                         [](const ::testing::TestParamInfo<SameObjectFault>& p) { return std::string(p.param.name); });

// ------------------------------------------------------------ faults while opening

// Opening an existing database writes: a new write-ahead log file, a new
// MANIFEST, a CURRENT file renamed into place. Any of them failing makes
// Log::Open fail with IOError; once the disk is fine, the log opens whole.
class OpenFaultTest : public FaultTest, public ::testing::WithParamInterface<FaultEnv::Op> {};

TEST_P(OpenFaultTest, OpenFailsCleanlyAndALaterOpenFindsEverything) {
  AppendAcknowledged(Batch(9));
  t().Close();
  for (int after = 0; after < 3; ++after) {
    const int injected = env_.injected();
    env_.FailFrom(GetParam(), FaultEnv::Kind::kDiskFull, after);
    LogOptions options = t().options();
    options.env = &env_;
    auto opened = Log::Open(options, testing::NodeKey());
    if (env_.injected() == injected) {  // fewer than `after` such operations at open
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      continue;
    }
    EXPECT_EQ(opened.status().code(), Code::kIOError) << "after " << after << ": " << opened.status().ToString();
    EXPECT_NE(opened.status().message().find("No space left on device"), std::string::npos)
        << opened.status().ToString();
    env_.Heal();
  }
  env_.Heal();
  t().Reopen(nullptr);
  ExpectAcknowledgedPresent();
  ExpectVerifies();
  AppendAcknowledged(Batch(3));
  ExpectVerifies();
}

INSTANTIATE_TEST_SUITE_P(Faults, OpenFaultTest,
                         ::testing::Values(FaultEnv::kNewFile, FaultEnv::kAppend, FaultEnv::kSync, FaultEnv::kRename),
                         [](const ::testing::TestParamInfo<FaultEnv::Op>& p) {
                           switch (p.param) {
                             case FaultEnv::kNewFile: return "NewWritableFile";
                             case FaultEnv::kAppend: return "Append";
                             case FaultEnv::kSync: return "Sync";
                             case FaultEnv::kRename: return "Rename";
                           }
                           return "Unknown";
                         });

// ------------------------------------------------------------ a full write buffer

// A valid evidenceRegistered statement of about 40 KiB (64 officers with
// long names), so that LevelDB's 32 MiB write buffer fills in ~800 entries.
Bytes BigStatement(testing::StatementMaker& maker, int64_t time, int n) {
  return maker.Build(time, [&](schema::Statement::Builder s) {
    auto e = s.getBody().initEvidenceRegistered();
    std::string id = "BIG-" + std::to_string(n);
    e.setEvidenceId(capnp::Text::Reader(id.c_str(), id.size()));
    e.setCaseId("SZIPB-2024-0017");
    auto d = e.initDigests(1)[0];
    Bytes digest(32, static_cast<uint8_t>(n));
    d.setValue(capnp::Data::Reader(digest.data(), digest.size()));
    d.setSize(1);
    d.setMediaType("video/mp4");
    e.setMethod(schema::EvidenceMethod::SAMPLING);
    e.setPlace("warehouse");
    e.setHolder("bureau");
    std::string name(500, 'n');
    auto officers = e.initOfficers(64);
    for (auto o : officers) {
      o.setName(capnp::Text::Reader(name.c_str(), name.size()));
      o.setBadge("32050021017");
    }
  });
}

// When the write buffer is full LevelDB starts a new write-ahead log file
// (on the writer's thread) and writes the old buffer to a table (on a
// background thread). The disk filling up at either point fails appends with
// IOError; after the disk has room and the log is reopened, everything
// acknowledged is there and the log verifies.
// A 4 MiB buffer (the store's default is 64 MiB) fills after a few hundred
// big entries: the same two moments, a sixteenth of the writing.
class WriteBufferFaultTest : public FaultTest, public ::testing::WithParamInterface<int> {
 protected:
  WriteBufferFaultTest() { write_buffer_bytes_ = 4 << 20; }
};

TEST_P(WriteBufferFaultTest, DiskFullWhenTheWriteBufferFills) {
  const int after = GetParam();  // 0: the new log file fails; 1: the table file
  env_.FailFrom(FaultEnv::kNewFile, FaultEnv::Kind::kDiskFull, after);
  int n = 0;
  bool failed = false;
  for (int round = 0; round < 240 && !failed; ++round) {  // ~150 MB: far past the 4 MiB buffer
    std::vector<Bytes> batch;
    for (int i = 0; i < 20; ++i) batch.push_back(Sign(BigStatement(t().maker(), t().now(), n++), OfficerKey()));
    const uint64_t size = log().size();
    auto results = log().Append(batch, BatchMode::kAllOrNothing);
    if (results[0].ok()) {
      for (const auto& r : results) Acknowledge(*r);
      continue;
    }
    failed = true;
    ExpectAllIOError(results, "No space left on device");
    EXPECT_EQ(log().size(), size);
  }
  ASSERT_TRUE(failed) << "the write buffer never filled";
  std::cout << "the first failed append came after " << log().size() << " entries\n";
  env_.Heal();
  t().Close();
  t().Reopen(nullptr);
  ExpectAcknowledgedPresent();
  ExpectVerifies();
  AppendAcknowledged(Batch(3));
  ExpectVerifies();
}

INSTANTIATE_TEST_SUITE_P(Faults, WriteBufferFaultTest, ::testing::Values(0, 1),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return p.param == 0 ? "NewLogFile" : "CompactionOutput";
                         });

// ------------------------------------------------------------ a failed create

// Log::Create makes the database and then writes the genesis batch. If any
// write of it fails (or the process dies in between), nothing was
// acknowledged, and the directory must not be left in a state that is
// neither a log nor creatable: creating the log again must work, or (when a
// failed sync left the genesis on disk after all) opening it must.
TEST(CreateFaultTest, AFailedCreateCanBeRetried) {
  PublicKey admin = AdminKey().public_key();
  ManualClock clock(testing::kStartMillis);
  int failures = 0;
  for (int after = 0; after < 100; ++after) {
    FaultEnv env;
    const std::string dir = testing::FreshTempDir(::testing::TempDir(), "create-fault");
    LogOptions options;
    options.path = dir + "/db";
    options.clock = &clock;
    options.env = &env;
    env.FailFrom(FaultEnv::kNewFile | FaultEnv::kAppend | FaultEnv::kSync | FaultEnv::kRename,
                 FaultEnv::Kind::kDiskFull, after);
    auto created = Log::Create(options, testing::kOrigin, testing::NodeKey(), std::span<const PublicKey>(&admin, 1));
    if (created.ok()) {  // past the last write of Create
      std::filesystem::remove_all(dir);
      break;
    }
    ++failures;
    EXPECT_EQ(created.status().code(), Code::kIOError) << "after " << after << ": " << created.status().ToString();
    env.Heal();
    options.env = nullptr;
    auto retried =
        Log::Create(options, testing::kOrigin, testing::NodeKey(), std::span<const PublicKey>(&admin, 1));
    if (!retried.ok()) {
      auto opened = Log::Open(options);
      EXPECT_TRUE(opened.ok()) << "after " << after << " writes, a failed Create left a directory that is not a log ("
                               << opened.status().ToString() << ") and cannot be created again ("
                               << retried.status().ToString() << ")";
    } else {
      EXPECT_EQ((*retried)->size(), 1u);
    }
    retried = Status::Aborted("closed");
    if (!::testing::Test::HasFailure()) {
      auto report = VerifyStoredLog(options, nullptr);
      EXPECT_TRUE(report.ok()) << "after " << after << ": " << report.status().ToString();
    }
    std::filesystem::remove_all(dir);
  }
  EXPECT_GT(failures, 3) << "Create should have several writes to fail";
}

}  // namespace
}  // namespace custos
