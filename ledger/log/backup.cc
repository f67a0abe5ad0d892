#include "ledger/log/backup.h"

#include <leveldb/iterator.h>

#include <map>

#include "ledger/storage/checked_reads.h"
#include "ledger/storage/layout.h"

namespace custos {

namespace {
constexpr size_t kBatchBytes = 4 << 20;

// Releases a LevelDB snapshot when it goes out of scope.
class SnapshotHolder {
 public:
  explicit SnapshotHolder(leveldb::DB& db) : db_(db), snapshot_(db.GetSnapshot()) {}
  ~SnapshotHolder() { db_.ReleaseSnapshot(snapshot_); }
  const leveldb::Snapshot* get() const { return snapshot_; }

 private:
  leveldb::DB& db_;
  const leveldb::Snapshot* snapshot_;
};

// Copies records into `to` in synced batches of about kBatchBytes.
class Copier {
 public:
  Copier(Store& to, uint64_t total_entries, const std::function<void(uint64_t, uint64_t)>& progress)
      : to_(to), total_entries_(total_entries), progress_(progress) {}
  Status Put(const leveldb::Slice& key, const leveldb::Slice& value, bool entry) {
    (entry ? entries_ : main_).Put(key, value);
    ++report_.records;
    if (entry) ++report_.entries;
    return main_.ApproximateSize() + entries_.ApproximateSize() >= kBatchBytes ? Flush() : Status::OK();
  }
  Status Flush() {
    CUSTOS_RETURN_IF_ERROR(to_.Write(main_, &entries_));
    main_.Clear();
    entries_.Clear();
    if (progress_) progress_(report_.entries, total_entries_);
    return Status::OK();
  }
  BackupReport& report() { return report_; }

 private:
  Store& to_;
  const uint64_t total_entries_;
  const std::function<void(uint64_t, uint64_t)>& progress_;
  leveldb::WriteBatch main_, entries_;
  BackupReport report_;
};

Status CopyMain(const Store& from, const leveldb::Snapshot* snapshot, Copier& copier) {
  leveldb::ReadOptions ro = CheckedReads(/*fill_cache=*/false);
  ro.snapshot = snapshot;
  std::unique_ptr<leveldb::Iterator> it(from.db().NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) CUSTOS_RETURN_IF_ERROR(copier.Put(it->key(), it->value(), false));
  return FromLevelDb(it->status(), "reading the database");
}

Status CopyEntries(const Store& from, const std::map<layout::LogNumber, layout::LogHead>& heads, Copier& copier) {
  std::unique_ptr<leveldb::Iterator> it(from.entries_db().NewIterator(CheckedReads(/*fill_cache=*/false)));
  for (const auto& [log, head] : heads) {
    const std::string end = layout::EntryKey(log, head.size);
    uint64_t copied = 0;
    for (it->Seek(layout::EntryKey(log, 0)); it->Valid() && it->key().compare(end) < 0; it->Next()) {
      CUSTOS_RETURN_IF_ERROR(copier.Put(it->key(), it->value(), true));
      ++copied;
    }
    CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading the entries database"));
    if (copied != head.size) {
      return Status::Corruption("log " + std::to_string(log) + ": the head names " + std::to_string(head.size) +
                                " entries, the entries database holds " + std::to_string(copied) + " below it");
    }
  }
  return Status::OK();
}
}  // namespace

Result<BackupReport> BackupStore(const Store& from, const std::string& path,
                                 const std::function<void(uint64_t done, uint64_t total)>& progress) {
  StoreOptions options;
  options.path = path;
  options.verify_threads = 1;
  CUSTOS_ASSIGN_OR_RETURN(auto to, Store::Open(options, OpenMode::kCreateNew));
  SnapshotHolder snapshot(from.db());
  CUSTOS_ASSIGN_OR_RETURN(auto heads, from.Heads(snapshot.get()));
  uint64_t total_entries = 0;
  for (const auto& [log, head] : heads) total_entries += head.size;
  Copier copier(*to, total_entries, progress);
  CUSTOS_RETURN_IF_ERROR(CopyMain(from, snapshot.get(), copier));
  CUSTOS_RETURN_IF_ERROR(CopyEntries(from, heads, copier));
  CUSTOS_RETURN_IF_ERROR(copier.Flush());
  if (auto own = heads.find(layout::kOwnLog); own != heads.end()) {
    copier.report().own_size = own->second.size;
    CUSTOS_RETURN_IF_ERROR(to->RecordSigned(own->second.size, own->second.checkpoint));
  }
  return copier.report();
}

Result<CheckedBackup> BackupAndVerify(const Store& from, const std::string& path,
                                      const std::vector<NoteVerifier>& replicas, const LogProgressFn& progress) {
  CheckedBackup out;
  CUSTOS_ASSIGN_OR_RETURN(out.copied, BackupStore(from, path, [&](uint64_t done, uint64_t total) {
    if (progress) progress("copying", done, total);
  }));
  LogOptions options;
  options.path = path;
  auto logs = VerifyStoredLogs(options, replicas, [&](const std::string& log, uint64_t done, uint64_t total) {
    if (progress) progress("verifying " + log, done, total);
  });
  if (!logs.ok()) return logs.status().WithContext("the copy does not verify");
  out.logs = std::move(logs).value();
  return out;
}

}  // namespace custos
