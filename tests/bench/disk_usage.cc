#include "tests/bench/disk_usage.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>

#include <filesystem>
#include <memory>

#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"

namespace custos::bench {

namespace {
// The table options of Store::Open (ledger/storage/store.cc) with its default
// StoreOptions, so that compaction rewrites the tables as the ledger itself
// would: bloom filters, and no compression. (LevelDB's own default is
// Snappy; with it this figure once came out below the live bytes.)
struct LedgerDbOptions {
  std::unique_ptr<const leveldb::FilterPolicy> filter{leveldb::NewBloomFilterPolicy(10)};
  leveldb::Options options;
  LedgerDbOptions() {
    options.filter_policy = filter.get();
    options.max_file_size = 4 << 20;
    options.write_buffer_size = 64 << 20;
    options.compression = leveldb::kNoCompression;
  }
};

void Scan(leveldb::DB& db, KeySpace& space) {
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db.NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    PrefixStats& s = space[it->key()[0]];
    ++s.records;
    s.key_bytes += it->key().size();
    s.value_bytes += it->value().size();
  }
}
}  // namespace

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) total += f.file_size();
  }
  return total;
}

Result<KeySpace> CompactAndScan(const std::string& dir) {
  LedgerDbOptions o;
  KeySpace space;
  for (const std::string& path : {dir, Store::EntriesPath(dir)}) {
    leveldb::DB* raw = nullptr;
    leveldb::Status s = leveldb::DB::Open(o.options, path, &raw);
    if (!s.ok()) return Status::IOError("opening " + path + ": " + s.ToString());
    std::unique_ptr<leveldb::DB> db(raw);
    db->CompactRange(nullptr, nullptr);
    Scan(*db, space);
  }
  return space;
}

std::string PrefixName(char prefix) {
  switch (prefix) {
    case layout::kEntryPrefix: return "entries";
    case layout::kTilePrefix: return "tiles";
    case layout::kReplayPrefix: return "replay index";
    case layout::kCheckpointPrefix: return "checkpoints";
    case layout::kKeyPrefix: return "key table";
    case layout::kHeadPrefix: return "head";
    case layout::kOriginPrefix: return "origin";
    default:
      if (prefix == layout::kFormatKey[0]) return "format";
      return std::string("prefix '") + prefix + "'";
  }
}

}  // namespace custos::bench
