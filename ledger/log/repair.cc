#include "ledger/log/repair.h"

#include <leveldb/db.h>

#include <filesystem>
#include <map>
#include <utility>

#include "ledger/log/replica.h"
#include "ledger/log/verify.h"
#include "ledger/storage/checked_reads.h"
#include "ledger/storage/tile_store.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"

namespace custos {

namespace {
constexpr uint32_t kEntriesPerFetch = 1000;

std::string Damaged(const std::string& what) {
  return what + "; this repair cannot mend that: restore a backup (docs/operations.md), then repair it";
}

// Opens the store for the repair. A database LevelDB refuses to open as
// corrupt (a damaged write-ahead log or MANIFEST) is salvaged first with
// leveldb::RepairDB, which keeps every record it can read: what it keeps is
// checked like everything else.
Result<std::unique_ptr<Store>> OpenForRepair(const StoreOptions& options, bool* salvaged) {
  StoreOptions o = options;
  o.allow_damaged = true;
  auto opened = Store::Open(o, OpenMode::kOpenExisting);
  if (opened.ok() || opened.status().code() != Status::Code::kCorruption) return opened;
  leveldb::Options lo;
  if (options.env) lo.env = options.env;
  for (const std::string& path : {options.path, Store::EntriesPath(options.path)}) {
    CUSTOS_RETURN_IF_ERROR(FromLevelDb(leveldb::RepairDB(path, lo), "salvaging " + path));
  }
  *salvaged = true;
  return Store::Open(o, OpenMode::kOpenExisting);
}

// True if every record of the entries database reads with its checksum.
Result<bool> EntriesReadWhole(const Store& store) {
  std::unique_ptr<leveldb::Iterator> it(store.entries_db().NewIterator(CheckedReads(/*fill_cache=*/false)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  if (it->status().IsCorruption()) return false;
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading the entries database"));
  return true;
}

// The checkpoint in `note`, which must verify with the node's key.
Result<Checkpoint> OpenSigned(const std::string& note, const NoteVerifier& node_key, const std::string& what) {
  auto opened = OpenNote(note, node_key);
  if (!opened.ok()) return Status::Corruption(what + ": " + opened.status().message());
  auto cp = Checkpoint::Parse(opened->text);
  if (!cp.ok()) return Status::Corruption(what + ": " + cp.status().message());
  return cp;
}

// Entries [start, end) from the source, every one of them.
Result<std::vector<Bytes>> Fetch(EntrySource& source, const std::string& origin, uint64_t start, uint64_t end) {
  std::vector<Bytes> out;
  while (start + out.size() < end) {
    const uint64_t at = start + out.size();
    CUSTOS_ASSIGN_OR_RETURN(auto got,
                            source.Entries(origin, at, static_cast<uint32_t>(std::min<uint64_t>(kEntriesPerFetch, end - at))));
    if (got.empty()) {
      return Status::FailedPrecondition("the source holds no entry " + std::to_string(at) + " of " + origin +
                                        " (its copy is shorter); try another peer");
    }
    for (auto& e : got) out.push_back(std::move(e));
  }
  out.resize(end - start);
  return out;
}

class Repairer {
 public:
  Repairer(const StoreOptions& options, std::unique_ptr<Store> store, const NoteVerifier& node_key,
           EntrySource& source, const std::function<void(const std::string&)>& progress)
      : options_(options), store_(std::move(store)), node_key_(node_key), source_(source), progress_(progress) {}

  Status Run(RepairReport& report) {
    const auto mark = store_->signed_mark().latest();
    if (!mark) {
      return Status::FailedPrecondition("the store records no signed checkpoint (" + std::string(SignedMark::kFileName) +
                                        "): there is nothing to repair against");
    }
    CUSTOS_ASSIGN_OR_RETURN(Checkpoint signed_cp, OpenSigned(mark->note, node_key_, "the signed mark"));
    if (signed_cp.size != mark->size) return Status::Corruption("the signed mark: its record and its note disagree on the size");
    CUSTOS_ASSIGN_OR_RETURN(auto logs, HeldLogs());
    const uint64_t held = logs.count(layout::kOwnLog) ? logs[layout::kOwnLog].head.size : 0;
    if (held > 0) CUSTOS_RETURN_IF_ERROR(CheckOwnHeadSigned(logs[layout::kOwnLog].head));
    Say("checking every stored entry against its log's tree");
    CUSTOS_RETURN_IF_ERROR(MendEntries(logs, report));
    if (held < signed_cp.size) {
      Say("re-applying entries " + std::to_string(held) + ".." + std::to_string(signed_cp.size - 1) +
          " against the checkpoint this node signed");
      CUSTOS_RETURN_IF_ERROR(Reapply(held, mark->note, signed_cp.size, report));
    }
    CUSTOS_RETURN_IF_ERROR(store_->CheckSignedMark());
    Say("verifying the whole log");
    CUSTOS_ASSIGN_OR_RETURN(auto log, Log::Open(*store_));
    CUSTOS_ASSIGN_OR_RETURN(auto verified, log->VerifyAll(nullptr));
    report.size = verified.size;
    return Status::OK();
  }

 private:
  struct HeldLog {
    std::string origin;
    layout::LogHead head;
  };

  void Say(const std::string& step) {
    if (progress_) progress_(step);
  }

  // Every log with a head, by number, with its origin.
  Result<std::map<layout::LogNumber, HeldLog>> HeldLogs() {
    CUSTOS_ASSIGN_OR_RETURN(auto directory, store_->Logs());
    CUSTOS_ASSIGN_OR_RETURN(auto heads, store_->Heads());
    std::map<layout::LogNumber, HeldLog> logs;
    for (const auto& [origin, number] : directory) {
      if (auto h = heads.find(number); h != heads.end()) logs[number] = HeldLog{origin, h->second};
    }
    return logs;
  }

  // The own log's head must be named by a checkpoint the node signed at its
  // size: then the stored tree (whose root is checked next) is what it signed.
  Status CheckOwnHeadSigned(const layout::LogHead& head) {
    CUSTOS_ASSIGN_OR_RETURN(auto note, store_->Get(layout::CheckpointKey(layout::kOwnLog, head.size)));
    if (!note) return Status::Corruption(Damaged("no checkpoint is stored at the head's size"));
    CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, OpenSigned(*note, node_key_, "checkpoint " + std::to_string(head.size)));
    if (cp.size != head.size || cp.root != head.root) {
      return Status::Corruption(Damaged("the checkpoint stored at the head's size does not name its root"));
    }
    return Status::OK();
  }

  // The leaves of a log's stored tree, which must give its head's root.
  Result<std::vector<Hash>> Leaves(layout::LogNumber number, const HeldLog& log) {
    LevelDbTileSource tiles(&store_->db(), number, 64);
    auto root = merkle::TreeRoot(tiles, log.head.size);
    if (!root.ok() || *root != log.head.root) {
      return Status::Corruption(Damaged("the stored tree of " + log.origin + " does not give its head's root"));
    }
    std::vector<Hash> leaves(log.head.size);
    for (uint64_t i = 0; i < leaves.size(); ++i) {
      auto leaf = merkle::ReadStoredHash(tiles, 0, i);
      if (!leaf.ok()) return Status::Corruption(Damaged("the stored tree of " + log.origin + ": " + leaf.status().message()));
      leaves[i] = *leaf;
    }
    return leaves;
  }

  // Entry `index` of `log`: the stored one if it reads and is the tree's
  // leaf, else the source's, which must be.
  Result<Bytes> GoodEntry(layout::LogNumber number, const HeldLog& log, uint64_t index, const Hash& leaf,
                          bool* replaced) {
    auto local = store_->Get(layout::EntryKey(number, index));
    if (local.ok() && local->has_value() && merkle::LeafHash(AsBytes(**local)) == leaf) {
      *replaced = false;
      return Bytes((*local)->begin(), (*local)->end());
    }
    CUSTOS_ASSIGN_OR_RETURN(Bytes got, FromSource(log, index));
    if (merkle::LeafHash(got) != leaf) {
      return Status::Corruption(log.origin + " entry " + std::to_string(index) +
                                ": the source's entry is not the one the stored tree holds");
    }
    *replaced = true;
    return got;
  }

  // Entry `index` of `log` from the source, which is asked for up to kEntriesPerFetch
  // entries at a time: what a store loses is usually a run of entries.
  Result<Bytes> FromSource(const HeldLog& log, uint64_t index) {
    if (fetched_origin_ != log.origin || !fetched_.count(index)) {
      fetched_.clear();
      fetched_origin_ = log.origin;
      const uint64_t count = std::min<uint64_t>(kEntriesPerFetch, log.head.size - index);
      CUSTOS_ASSIGN_OR_RETURN(auto got, source_.Entries(log.origin, index, static_cast<uint32_t>(std::max<uint64_t>(count, 1))));
      for (uint64_t i = 0; i < got.size() && i < count; ++i) fetched_[index + i] = std::move(got[i]);
    }
    auto it = fetched_.find(index);
    if (it == fetched_.end()) {
      return Status::FailedPrecondition("the source holds no entry " + std::to_string(index) + " of " + log.origin +
                                        " (its copy is shorter); try another peer");
    }
    return it->second;
  }

  // Every entry below every head must read and be its tree's leaf; the others
  // come from the source. Where blocks of the entries database do not read at
  // all, LevelDB cannot write past them: the database is set aside (kept as
  // entries.damaged) and written anew from the good entries.
  Status MendEntries(const std::map<layout::LogNumber, HeldLog>& logs, RepairReport& report) {
    CUSTOS_ASSIGN_OR_RETURN(bool whole, EntriesReadWhole(*store_));
    leveldb::WriteBatch none, out;
    std::vector<leveldb::WriteBatch> rebuilt;
    for (const auto& [number, log] : logs) {
      CUSTOS_ASSIGN_OR_RETURN(auto leaves, Leaves(number, log));
      for (uint64_t i = 0; i < leaves.size(); ++i) {
        bool replaced = false;
        CUSTOS_ASSIGN_OR_RETURN(Bytes entry, GoodEntry(number, log, i, leaves[i], &replaced));
        if (replaced) ++report.replaced;
        if (!replaced && whole) continue;
        out.Put(layout::EntryKey(number, i), leveldb::Slice(reinterpret_cast<const char*>(entry.data()), entry.size()));
        if (out.ApproximateSize() > (4 << 20)) rebuilt.push_back(std::exchange(out, leveldb::WriteBatch()));
      }
    }
    rebuilt.push_back(std::move(out));
    report.from_source += report.replaced;
    if (!whole) CUSTOS_RETURN_IF_ERROR(NewEntriesDatabase());
    for (auto& batch : rebuilt) CUSTOS_RETURN_IF_ERROR(store_->Write(none, &batch));
    return Status::OK();
  }

  Status NewEntriesDatabase() {
    Say("the entries database has unreadable blocks: writing it anew, the damaged one kept aside");
    store_.reset();
    const std::string path = Store::EntriesPath(options_.path);
    std::error_code ec;
    std::string aside = path + ".damaged";
    for (int n = 2; std::filesystem::exists(aside, ec); ++n) aside = path + ".damaged-" + std::to_string(n);
    std::filesystem::rename(path, aside, ec);
    if (ec) return Status::IOError("setting " + path + " aside: " + ec.message());
    StoreOptions o = options_;
    o.allow_damaged = true;
    CUSTOS_ASSIGN_OR_RETURN(store_, Store::Open(o, OpenMode::kOpenExisting));
    return Status::OK();
  }

  // The entries [held, size) go through a follower's Apply against the note
  // the node signed at `size`: every check, and the root must be that note's.
  // Local copies are tried first; if they do not check, the source's.
  Status Reapply(uint64_t held, const std::string& note, uint64_t size, RepairReport& report) {
    std::vector<Bytes> entries;
    uint64_t from_source = 0;
    for (uint64_t i = held; i < size; ++i) {
      auto local = store_->Get(layout::EntryKey(layout::kOwnLog, i));
      if (local.ok() && local->has_value()) {
        entries.emplace_back((*local)->begin(), (*local)->end());
        continue;
      }
      CUSTOS_ASSIGN_OR_RETURN(auto rest, Fetch(source_, node_key_.name, i, size));  // the rest, in one go
      from_source = rest.size();
      for (auto& e : rest) entries.push_back(std::move(e));
      break;
    }
    CUSTOS_ASSIGN_OR_RETURN(auto own, Replica::OpenOwnLogForRepair(*store_, node_key_));
    Status applied = own->Apply(entries, note, {});
    if (!applied.ok() && applied.code() == Status::Code::kCorruption && from_source < entries.size()) {
      Say("the local entries do not check (" + applied.message() + "); taking them all from the source");
      CUSTOS_ASSIGN_OR_RETURN(entries, Fetch(source_, node_key_.name, held, size));
      from_source = entries.size();
      applied = own->Apply(entries, note, {});
    }
    if (!applied.ok()) return applied.WithContext("re-applying entries " + std::to_string(held) + "..");
    report.reapplied = entries.size();
    report.from_source += from_source;
    return Status::OK();
  }

  const StoreOptions options_;
  std::unique_ptr<Store> store_;
  const NoteVerifier& node_key_;
  EntrySource& source_;
  const std::function<void(const std::string&)>& progress_;
  std::string fetched_origin_;         // FromSource's last answer: of which log,
  std::map<uint64_t, Bytes> fetched_;  // and its entries by index
};
}  // namespace

Result<RepairReport> RepairOwnLog(const StoreOptions& options, const NoteVerifier& node_key, EntrySource& source,
                                  const std::function<void(const std::string& step)>& progress) {
  RepairReport report;
  CUSTOS_ASSIGN_OR_RETURN(auto store, OpenForRepair(options, &report.salvaged_leveldb));
  Repairer repairer(options, std::move(store), node_key, source, progress);
  CUSTOS_RETURN_IF_ERROR(repairer.Run(report));
  return report;
}

}  // namespace custos
