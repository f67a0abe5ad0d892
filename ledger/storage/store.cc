#include "ledger/storage/store.h"

#include <leveldb/cache.h>
#include <leveldb/filter_policy.h>

#include <algorithm>
#include <limits>

#include "crypto/cosignature.h"
#include "ledger/storage/read_only_env.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"
#include "schema/text.h"

namespace custos {

namespace {
leveldb::Slice SliceOf(ByteSpan b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
std::string_view ViewOf(const leveldb::Slice& s) { return {s.data(), s.size()}; }

bool IsEmpty(const leveldb::WriteBatch& batch) {
  static const size_t kHeader = leveldb::WriteBatch().ApproximateSize();
  return batch.ApproximateSize() <= kHeader;
}

// The first key after every key that starts with `prefix` ("" if none is).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}
}  // namespace

Status FromLevelDb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(what);
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

// ------------------------------------------------------------ Store

Store::~Store() {
  // A compaction of an empty range that no table overlaps flushes the
  // memtable and nothing else. A failure leaves the write-ahead log, which the
  // next open replays. A read-only view has nothing of its own to flush.
  if (!write_failed_.load() && !options_.read_only) {
    const leveldb::Slice none;
    for (leveldb::DB* db : {entries_db_.get(), db_.get()}) {
      if (db != nullptr) db->CompactRange(&none, &none);
    }
  }
  entries_db_.reset();  // before the cache and filter policy they use
  db_.reset();
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options, OpenMode mode) {
  if (options.read_only && mode != OpenMode::kOpenExisting) {
    return Status::InvalidArgument("a read-only store can only open an existing database");
  }
  // A writer's open changes the files (LevelDB replays its write-ahead logs
  // into new tables and deletes them; the entries past a head are dropped).
  // A damaged store is first looked at read-only, and refused untouched, so
  // that what a repair needs is still there.
  if (!options.read_only && !options.allow_damaged && mode != OpenMode::kCreateNew) {
    StoreOptions view_options = options;
    view_options.read_only = true;
    view_options.block_cache_bytes = 1 << 20;
    view_options.verify_threads = 1;
    auto view = Open(view_options, OpenMode::kOpenExisting);
    if (view.ok()) {
      CUSTOS_RETURN_IF_ERROR((*view)->CheckSignedMark());
    } else if (view.status().code() != Status::Code::kNotFound) {
      return view.status();
    }
  }
  std::unique_ptr<Store> store(new Store());
  store->options_ = options;
  if (options.clock == nullptr) store->owned_clock_ = std::make_unique<SystemClock>();
  store->clock_ = options.clock ? options.clock : store->owned_clock_.get();
  store->block_cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));
  store->filter_policy_.reset(leveldb::NewBloomFilterPolicy(10));
  leveldb::Options db_options;
  db_options.create_if_missing = mode != OpenMode::kOpenExisting;
  db_options.error_if_exists = mode == OpenMode::kCreateNew;
  db_options.block_cache = store->block_cache_.get();
  db_options.filter_policy = store->filter_policy_.get();
  // Small tables keep compactions narrow; large memtables halve what
  // compactions write. Memory grows as they fill, so a small log does not pay
  // for them; the destructor flushes them, so that a clean reopen replays no
  // write-ahead log. The measurements behind both: docs/performance.md.
  db_options.max_file_size = 4 << 20;
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.compression = options.compress ? leveldb::kSnappyCompression : leveldb::kNoCompression;
  // A damaged write-ahead log record, MANIFEST or table block is an error
  // at open or at the read, never dropped or read as other bytes: dropping
  // the newest records of the write-ahead log would roll the log back below
  // what the node acknowledged.
  db_options.paranoid_checks = true;
  if (options.env) db_options.env = options.env;
  if (options.read_only) {
    store->read_only_env_ = NewReadOnlyEnv(db_options.env);
    db_options.env = store->read_only_env_.get();
  }
  // The mark is read before the databases: a live node records a checkpoint
  // only after its batch is durable, so a view of its store opened after the
  // mark is never behind it.
  CUSTOS_ASSIGN_OR_RETURN(store->signed_mark_, SignedMark::Open(db_options.env, options.path + "/" + SignedMark::kFileName,
                                                               options.read_only));
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(db_options, options.path, &db);
  if (!s.ok()) {
    if (s.IsInvalidArgument() && mode == OpenMode::kCreateNew) {
      return Status::AlreadyExists("a database already exists at " + options.path);
    }
    if (s.IsInvalidArgument() && mode == OpenMode::kOpenExisting) {
      return Status::NotFound("no database at " + options.path);
    }
    return FromLevelDb(s, "opening " + options.path);
  }
  store->db_.reset(db);
  CUSTOS_ASSIGN_OR_RETURN(auto format, store->Get(layout::kFormatKey));
  if (format && *format != layout::kFormatVersion) {
    return Status::FailedPrecondition("the log at " + options.path + " has storage format " + *format +
                                      "; this build reads format " + layout::kFormatVersion);
  }
  // LevelDB ignores the subdirectory: it is no file name of its own. A
  // memtable of new entries is one table of keys past every stored one:
  // LevelDB writes it once and moves it down the levels without rewriting it
  // (over a 1M-entry build, flushes and compactions wrote 2.1 GB in all, 0.9
  // of it the entries' flushes, against 3.8 GB in one database).
  const std::string entries_path = EntriesPath(options.path);
  db_options.error_if_exists = false;
  // Without the format marker the database holds no log yet (a create that
  // stopped early): the entries database may be missing too.
  // A repair that set a damaged entries database aside makes a new one.
  db_options.create_if_missing = mode != OpenMode::kOpenExisting || !format || options.allow_damaged;
  s = leveldb::DB::Open(db_options, entries_path, &db);
  if (!s.ok()) {
    if (s.IsInvalidArgument()) return Status::Corruption("the entries database is missing: " + entries_path);
    return FromLevelDb(s, "opening " + entries_path);
  }
  store->entries_db_.reset(db);
  // A repair drops nothing either: it reads what it can, and the writer's next
  // open drops what is still past a head.
  if (!options.read_only && !options.allow_damaged) CUSTOS_RETURN_IF_ERROR(store->DropUnacknowledgedEntries());
  store->pool_ = std::make_unique<WorkerPool>(options.verify_threads);
  return store;
}

void Store::ForEach(size_t n, const std::function<void(size_t)>& fn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_->ForEach(n, fn);
}

Status Store::Scrub(const std::atomic<bool>* stop) const {
  for (leveldb::DB* db : {entries_db_.get(), db_.get()}) {
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(CheckedReads(/*fill_cache=*/false)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) return Status::OK();
    }
    const std::string what = db == db_.get() ? options_.path : EntriesPath(options_.path);
    if (it->status().IsCorruption()) {
      return Status::Corruption("the store is damaged: " + what + ": " + it->status().ToString() +
                                "; repair it from a peer's replica (custos log repair) or restore a backup");
    }
    CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading " + what));
  }
  return Status::OK();
}

Status Store::CompactErased(const std::vector<std::string>& deleted_keys) {
  if (deleted_keys.empty()) return Status::OK();
  const auto [lo, hi] = std::minmax_element(deleted_keys.begin(), deleted_keys.end());
  const leveldb::Slice begin(*lo), end(*hi);
  db_->CompactRange(&begin, &end);
  leveldb::WriteBatch again;
  for (const auto& key : deleted_keys) again.Delete(key);
  CUSTOS_RETURN_IF_ERROR(Write(again));
  db_->CompactRange(&begin, &end);
  return Status::OK();
}

void Store::MarkDamaged(const Status& why) {
  std::lock_guard<std::mutex> lock(damage_mu_);
  if (damage_.ok()) damage_ = why;
}

Status Store::damage() const {
  std::lock_guard<std::mutex> lock(damage_mu_);
  return damage_;
}

Status Store::Write(leveldb::WriteBatch& batch, leveldb::WriteBatch* entries) {
  if (options_.read_only) return Status::FailedPrecondition("the log was opened read-only");
  if (Status damaged = damage(); !damaged.ok()) return damaged;
  if (write_failed_.load()) {
    return Status::IOError("an earlier write failed; reopen the log before appending");
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  if (entries != nullptr && !IsEmpty(*entries)) {
    leveldb::Status s = entries_db_->Write(wo, entries);
    if (!s.ok()) {
      write_failed_.store(true);
      return FromLevelDb(s, "writing the batch's entries");
    }
  }
  leveldb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) {
    write_failed_.store(true);
    return FromLevelDb(s, "writing the batch");
  }
  return Status::OK();
}

// The own log's head must reach the last checkpoint the node signed, and hold
// that very checkpoint: a head behind it lost acknowledged entries (a damaged
// or cut LevelDB file), and appending from there would sign a second
// checkpoint of a size the node already signed.
Status Store::CheckSignedMark() const {
  const auto mark = signed_mark_->latest();
  if (!mark) return Status::OK();
  CUSTOS_ASSIGN_OR_RETURN(auto head_bytes, Get(layout::HeadKey(layout::kOwnLog)));
  std::optional<layout::LogHead> head;
  if (head_bytes) head = layout::LogHead::Decode(*head_bytes);
  if (head_bytes && !head) return Status::Corruption("log head: malformed record");
  const uint64_t size = head ? head->size : 0;
  const std::string repair = "; the store at " + options_.path +
                             " is damaged: repair it from a peer's replica (custos log repair) or restore a backup, "
                             "and append nothing to it before";
  if (size < mark->size) {
    return Status::Corruption("log head: the store holds " + std::to_string(size) +
                              " entries, but this node signed a checkpoint of size " + std::to_string(mark->size) +
                              " (recorded in " + SignedMark::kFileName + ")" + repair);
  }
  CUSTOS_ASSIGN_OR_RETURN(auto stored, Get(layout::CheckpointKey(layout::kOwnLog, mark->size)));
  if (!stored || *stored != mark->note) {
    return Status::Corruption("checkpoint " + std::to_string(mark->size) +
                              ": the store does not hold the checkpoint this node signed at that size" + repair);
  }
  return Status::OK();
}

Status Store::RecordSigned(uint64_t size, std::string_view note) {
  if (options_.read_only) return Status::FailedPrecondition("the log was opened read-only");
  Status st = signed_mark_->Record(size, note);
  if (!st.ok()) write_failed_.store(true);
  return st;
}

leveldb::DB& Store::DbFor(std::string_view key) const {
  return !key.empty() && key[0] == layout::kEntryPrefix ? *entries_db_ : *db_;
}

Status Store::DropUnacknowledgedEntries() {
  leveldb::WriteBatch drop;
  std::unique_ptr<leveldb::Iterator> it(entries_db_->NewIterator(CheckedReads()));
  // One seek per log: to its first entry, then past its head.
  for (it->Seek(std::string(1, layout::kEntryPrefix)); it->Valid();) {
    const std::string_view key = ViewOf(it->key());
    if (key.size() != layout::EntryKey(0, 0).size() || key[0] != layout::kEntryPrefix) {
      return Status::Corruption("entries database: malformed key");
    }
    const layout::LogNumber log = GetBigEndian32(reinterpret_cast<const uint8_t*>(key.data()) + 1);
    CUSTOS_ASSIGN_OR_RETURN(auto head_bytes, Get(layout::HeadKey(log)));
    uint64_t size = 0;
    if (head_bytes) {
      auto head = layout::LogHead::Decode(*head_bytes);
      if (!head) return Status::Corruption("head of log " + std::to_string(log) + ": malformed record");
      size = head->size;
    }
    // Entries a signed checkpoint covers are never dropped: a head behind the
    // mark is damage (StoredLog::Load refuses it), and they are what a repair
    // keeps.
    const auto mark = signed_mark_->latest();
    const bool damaged = log == layout::kOwnLog && mark && size < mark->size;
    const std::string prefix = layout::LogPrefix(layout::kEntryPrefix, log);
    for (it->Seek(layout::EntryKey(log, size)); !damaged && it->Valid() && it->key().starts_with(prefix); it->Next()) {
      drop.Delete(it->key());
    }
    if (log == std::numeric_limits<layout::LogNumber>::max()) break;
    it->Seek(layout::EntryKey(log + 1, 0));
  }
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading the entries database"));
  if (IsEmpty(drop)) return Status::OK();
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(entries_db_->Write(wo, &drop), "deleting entries past the head");
}

Result<std::optional<std::string>> Store::Get(std::string_view key) const {
  std::string value;
  leveldb::Status s = DbFor(key).Get(CheckedReads(), leveldb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(s, "reading the database"));
  return std::optional<std::string>(std::move(value));
}

Result<bool> Store::Empty() const {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedReads()));
  it->SeekToFirst();
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading the database"));
  return !it->Valid();
}

Result<std::optional<layout::LogNumber>> Store::FindLog(std::string_view origin) const {
  CUSTOS_ASSIGN_OR_RETURN(auto value, Get(layout::OriginKey(origin)));
  if (!value) return std::optional<layout::LogNumber>();
  if (value->size() != 4) return Status::Corruption("log directory: malformed record for \"" + std::string(origin) + "\"");
  return std::optional<layout::LogNumber>(GetBigEndian32(reinterpret_cast<const uint8_t*>(value->data())));
}

Result<std::map<std::string, layout::LogNumber>> Store::Logs() const {
  std::map<std::string, layout::LogNumber> logs;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedReads()));
  const std::string prefix(1, layout::kOriginPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->value().size() != 4) return Status::Corruption("log directory: malformed record");
    logs[std::string(ViewOf(it->key()).substr(1))] =
        GetBigEndian32(reinterpret_cast<const uint8_t*>(it->value().data()));
  }
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading the log directory"));
  return logs;
}

Result<layout::LogNumber> Store::AddLog(std::string_view origin) {
  std::lock_guard<std::mutex> lock(directory_mu_);
  CUSTOS_ASSIGN_OR_RETURN(auto logs, Logs());
  if (logs.count(std::string(origin))) {
    return Status::AlreadyExists("origin \"" + std::string(origin) + "\": the store already holds its log");
  }
  layout::LogNumber next = layout::kFirstReplica;
  for (const auto& [name, number] : logs) {
    if (number >= next) next = number + 1;
  }
  if (next == 0) return Status::FailedPrecondition("log directory: no log number left");
  leveldb::WriteBatch batch;
  PutLogRecord(batch, origin, next);
  CUSTOS_RETURN_IF_ERROR(Write(batch));
  return next;
}

Status Store::ScanPrefix(std::string_view prefix,
                         const std::function<Status(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<leveldb::Iterator> it(DbFor(prefix).NewIterator(CheckedReads(/*fill_cache=*/false)));
  const leveldb::Slice start(prefix.data(), prefix.size());
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    CUSTOS_RETURN_IF_ERROR(fn(ViewOf(it->key()), ViewOf(it->value())));
  }
  return FromLevelDb(it->status(), "reading an index");
}

Result<std::map<layout::LogNumber, layout::LogHead>> Store::Heads(const leveldb::Snapshot* snapshot) const {
  leveldb::ReadOptions ro = CheckedReads(/*fill_cache=*/false);
  ro.snapshot = snapshot;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  std::map<layout::LogNumber, layout::LogHead> heads;
  const std::string prefix(1, layout::kHeadPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 4) return Status::Corruption("log head: malformed key");
    auto head = layout::LogHead::Decode(it->value().ToString());
    if (!head) return Status::Corruption("log head: malformed record");
    heads[GetBigEndian32(reinterpret_cast<const uint8_t*>(it->key().data()) + 1)] = *head;
  }
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading the log heads"));
  return heads;
}

void Store::PutLogRecord(leveldb::WriteBatch& batch, std::string_view origin, layout::LogNumber number) {
  batch.Put(layout::kFormatKey, layout::kFormatVersion);
  std::string value;
  PutBigEndian32(&value, number);
  batch.Put(layout::OriginKey(origin), value);
}

// ------------------------------------------------------------ StoredLog: loading

StoredLog::StoredLog(Store& store, layout::LogNumber number)
    : store_(store),
      number_(number),
      tiles_(std::make_unique<LevelDbTileSource>(&store.db(), number, store.options().tile_cache_tiles)) {}

void StoredLog::SetIdentity(std::string origin, const PublicKey& node_key) {
  origin_ = std::move(origin);
  node_key_ = node_key;
  last_time_ = 0;
  tree_.emplace(merkle::TreeAppender::Load(*tiles_, 0).value());  // an empty tree reads no tile
  std::lock_guard<std::mutex> lock(head_mu_);
  head_ = layout::LogHead();
  head_.root = merkle::EmptyRoot();
}

Status StoredLog::Load() {
  CUSTOS_ASSIGN_OR_RETURN(auto value, store_.Get(layout::HeadKey(number_)));
  if (!value) {
    if (number_ == layout::kOwnLog) {
      return Status::NotFound("no Custos log at " + store_.options().path + " (no head record)");
    }
    return Status::NotFound("log " + std::to_string(number_) + ": no head record");
  }
  auto head = layout::LogHead::Decode(*value);
  if (!head || head->size == 0) return Status::Corruption("log head: malformed");
  {
    std::lock_guard<std::mutex> lock(head_mu_);
    head_ = *head;
  }
  if (number_ == layout::kOwnLog && !store_.options().allow_damaged) CUSTOS_RETURN_IF_ERROR(store_.CheckSignedMark());
  CUSTOS_RETURN_IF_ERROR(LoadGenesis());
  CUSTOS_RETURN_IF_ERROR(CheckHeadAgainstEntries());
  CUSTOS_ASSIGN_OR_RETURN(auto appender, merkle::TreeAppender::Load(*tiles_, head->size));
  if (appender.Root() != head->root) return Status::Corruption("log head: root does not match the stored tree");
  tree_.emplace(std::move(appender));
  return Status::OK();
}

// The origin and node key come from the genesis entry, never from elsewhere.
Status StoredLog::LoadGenesis() {
  auto genesis_read = Entry(0);
  if (genesis_read.status().code() == Status::Code::kNotFound) return Status::Corruption("entry 0: missing from storage");
  CUSTOS_ASSIGN_OR_RETURN(Bytes genesis_bytes, std::move(genesis_read));
  CUSTOS_ASSIGN_OR_RETURN(auto genesis, schema::AsCorruption(schema::ReadCanonical<schema::LogEntry>(
                                            genesis_bytes, schema::kMaxEntryBytes, "entry 0")));
  CUSTOS_ASSIGN_OR_RETURN(auto statement, schema::AsCorruption(schema::ReadCanonical<schema::Statement>(
                                              Span(genesis.get().getSubmission().getStatement()),
                                              schema::kMaxStatementBytes, "entry 0 statement")));
  if (!statement.get().getBody().isGenesis()) return Status::Corruption("entry 0 is not a genesis");
  auto g = statement.get().getBody().getGenesis();
  origin_ = g.getOrigin();
  auto nk = PublicKey::FromSpan(Span(g.getNodeKey()));
  if (!nk) return Status::Corruption("genesis: node key is not 32 bytes");
  node_key_ = *nk;
  return Status::OK();
}

// The head must name the last stored entry, and nothing may follow it: a
// cheap check that the batch that wrote the head was written whole.
Status StoredLog::CheckHeadAgainstEntries() {
  const layout::LogHead h = head();
  auto last_read = Entry(h.size - 1);
  if (last_read.status().code() == Status::Code::kNotFound) {
    return Status::Corruption("entry " + std::to_string(h.size - 1) + ": missing from storage (the log head names it)");
  }
  CUSTOS_ASSIGN_OR_RETURN(Bytes last, std::move(last_read));
  if (merkle::LeafHash(last) != h.last_leaf) {
    return Status::Corruption("log head: last leaf hash does not match entry " + std::to_string(h.size - 1));
  }
  auto entry = schema::ReadCanonical<schema::LogEntry>(last, schema::kMaxEntryBytes, "last entry");
  if (!entry.ok()) return Status::Corruption(entry.status().message());
  last_time_ = entry->get().getLogTime();
  // A read-only open drops nothing: entries a crash left past the head are
  // not part of the log, and the writer's next open deletes them.
  if (store_.read_only() || store_.options().allow_damaged) return Status::OK();
  CUSTOS_ASSIGN_OR_RETURN(auto past, store_.Get(layout::EntryKey(number_, h.size)));
  if (past) return Status::Corruption("log head: an entry exists past the head at index " + std::to_string(h.size));
  return Status::OK();
}

// ------------------------------------------------------------ StoredLog: reading

layout::LogHead StoredLog::head() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_;
}

uint64_t StoredLog::size() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_.size;
}

Hash StoredLog::root() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_.root;
}

std::string StoredLog::checkpoint() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_.checkpoint;
}

Result<Bytes> StoredLog::Entry(uint64_t index) const {
  std::string value;
  leveldb::Status s = store_.entries_db().Get(CheckedReads(), layout::EntryKey(number_, index), &value);
  if (s.IsNotFound()) return Status::NotFound("entry " + std::to_string(index) + ": past the end of the log");
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(s, "reading entry " + std::to_string(index)));
  return Bytes(value.begin(), value.end());
}

Result<std::optional<uint64_t>> StoredLog::ReplayIndexOf(int64_t statement_time, const Hash& statement_hash) const {
  std::string where;
  leveldb::Status s =
      store_.db().Get(CheckedReads(), layout::ReplayKey(number_, statement_time, statement_hash), &where);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(s, "reading the replay index"));
  if (where.size() != 8) return Status::Corruption("replay index: malformed record");
  return std::optional<uint64_t>(GetBigEndian64(reinterpret_cast<const uint8_t*>(where.data())));
}

Result<std::string> StoredLog::CheckpointAt(uint64_t tree_size) const {
  CUSTOS_ASSIGN_OR_RETURN(auto note, store_.Get(layout::CheckpointKey(number_, tree_size)));
  if (!note) {
    return Status::NotFound("size: the log holds no checkpoint of size " + std::to_string(tree_size) +
                            (number_ == layout::kOwnLog ? " (it signs one per appended batch)"
                                                        : " (a replica keeps the origin's notes at the sizes it reached)"));
  }
  return std::move(*note);
}

Result<std::pair<uint64_t, std::string>> StoredLog::CheckpointFrom(uint64_t from) const {
  const std::string prefix = layout::LogPrefix(layout::kCheckpointPrefix, number_);
  std::unique_ptr<leveldb::Iterator> it(store_.db().NewIterator(CheckedReads()));
  it->Seek(layout::CheckpointKey(number_, from));
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading checkpoints"));
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8) {
    return Status::NotFound("no checkpoint at or above size " + std::to_string(from));
  }
  uint64_t at = GetBigEndian64(reinterpret_cast<const uint8_t*>(it->key().data() + prefix.size()));
  if (at > size()) return Status::NotFound("no checkpoint at or above size " + std::to_string(from));
  return std::make_pair(at, it->value().ToString());
}

Result<std::vector<Hash>> StoredLog::InclusionProof(uint64_t index, uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("size: " + std::to_string(tree_size) + " is past the log's size " + std::to_string(size()));
  }
  return merkle::InclusionProof(*tiles_, index, tree_size);
}

Result<std::vector<Hash>> StoredLog::ConsistencyProof(uint64_t old_size, uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("size: " + std::to_string(tree_size) + " is past the log's size " + std::to_string(size()));
  }
  return merkle::ConsistencyProof(*tiles_, old_size, tree_size);
}

Result<Hash> StoredLog::RootAt(uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("size: " + std::to_string(tree_size) + " is past the log's size " + std::to_string(size()));
  }
  return merkle::TreeRoot(*tiles_, tree_size);
}

Status StoredLog::ForEachRecord(char prefix_kind,
                                const std::function<Status(std::string_view, std::string_view)>& fn) const {
  const std::string prefix = layout::LogPrefix(prefix_kind, number_);
  std::unique_ptr<leveldb::Iterator> it(store_.DbFor(prefix).NewIterator(CheckedReads(/*fill_cache=*/false)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    CUSTOS_RETURN_IF_ERROR(fn(ViewOf(it->key()).substr(prefix.size()), ViewOf(it->value())));
  }
  return FromLevelDb(it->status(), "reading records");
}

// ------------------------------------------------------------ StoredLog: cosignatures

Status StoredLog::AddCosignature(std::string_view note, std::string_view cosignature_line,
                                 const NoteVerifier& witness) {
  return AddSignatureLine(note, cosignature_line, "cosignature", [&witness](const Note& held, const NoteSignature& sig) {
    return VerifyCosignature(held.text, sig, witness).status();
  });
}

Status StoredLog::AddTimestamp(std::string_view note, std::string_view line, const TimestampVerifier& tsa) {
  return AddSignatureLine(note, line, "time stamp", [&tsa](const Note& held, const NoteSignature& sig) {
    if (sig.name != tsa.name || sig.key_id != tsa.key_id) {
      return Status::InvalidArgument("time stamp: the line is not by " + tsa.name);
    }
    return VerifyTimestampToken(sig.sig, held.text, tsa).status();
  });
}

Status StoredLog::AddSm2Cosignature(std::string_view note, std::string_view line, const Sm2NoteVerifier& key) {
  return AddSignatureLine(note, line, "SM2 cosignature", [&key](const Note& held, const NoteSignature& sig) {
    return VerifySm2Cosignature(held.text, sig, key).status();
  });
}

Status StoredLog::AddSignatureLine(std::string_view note, std::string_view signature_line, std::string_view what,
                                   const std::function<Status(const Note&, const NoteSignature&)>& check) {
  CUSTOS_ASSIGN_OR_RETURN(Note given, Note::Parse(note));
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::Parse(given.text));
  if (cp.origin != origin_) {
    return Status::InvalidArgument("checkpoint: origin \"" + cp.origin + "\" is not this log's \"" + origin_ + "\"");
  }
  CUSTOS_ASSIGN_OR_RETURN(std::string stored, CheckpointAt(cp.size));
  CUSTOS_ASSIGN_OR_RETURN(Note held, Note::Parse(stored));
  if (held.text != given.text) {
    return Status::InvalidArgument("checkpoint: not the checkpoint this log holds at size " + std::to_string(cp.size));
  }
  std::string line(signature_line);
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  auto with_line = Note::Parse(stored + line);
  if (!with_line.ok() || with_line->signatures.size() != held.signatures.size() + 1) {
    return Status::InvalidArgument(std::string(what) + ": not one signature line (\"— <name> <base64>\")");
  }
  const NoteSignature& sig = with_line->signatures.back();
  CUSTOS_RETURN_IF_ERROR(check(held, sig));
  leveldb::WriteBatch batch;
  PutCosignature(batch, cp.size, sig);
  Status written = store_.Write(batch);
  cosignature_writes_.fetch_add(1, std::memory_order_release);
  return written;
}

void StoredLog::PutCosignature(leveldb::WriteBatch& batch, uint64_t tree_size, const NoteSignature& cosignature) const {
  batch.Put(layout::CosignatureKey(number_, tree_size, cosignature.key_id, cosignature.name), cosignature.ToLine());
}

Result<std::vector<std::string>> StoredLog::CosignatureLines(uint64_t tree_size) const {
  std::vector<std::string> lines;
  std::unique_ptr<leveldb::Iterator> it(store_.db().NewIterator(CheckedReads()));
  const std::string prefix = layout::CosignaturePrefix(number_, tree_size);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) lines.push_back(it->value().ToString());
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading cosignatures"));
  return lines;
}

Result<std::string> StoredLog::CosignedCheckpointAt(uint64_t tree_size) const {
  // Read before the records: a write that lands meanwhile bumps the count
  // after it, so what is cached here is recomputed on the next call.
  const uint64_t writes = cosignature_writes_.load(std::memory_order_acquire);
  {
    std::lock_guard lock(cosigned_mu_);
    if (cosigned_ && cosigned_->size == tree_size && cosigned_->writes == writes) return cosigned_->note;
  }
  CUSTOS_ASSIGN_OR_RETURN(std::string note, CheckpointAt(tree_size));
  CUSTOS_ASSIGN_OR_RETURN(auto lines, CosignatureLines(tree_size));
  // A serialised note ends with its last signature line, so more lines can
  // simply follow; Note::Parse's limit on signature lines bounds the total.
  for (const auto& line : lines) {
    if (note.size() + line.size() > kMaxNoteSize) break;
    note += line;
  }
  std::lock_guard lock(cosigned_mu_);
  cosigned_ = CosignedNote{tree_size, writes, note};
  return note;
}

Result<std::string> StoredLog::CosignedCheckpoint() const {
  const std::string note = checkpoint();
  if (note.empty()) return note;
  auto cp = Note::Parse(note);
  if (!cp.ok()) return Status::Corruption("log head: checkpoint note: " + cp.status().message());
  auto parsed = Checkpoint::Parse(cp->text);
  if (!parsed.ok()) return Status::Corruption("log head: " + parsed.status().message());
  CUSTOS_ASSIGN_OR_RETURN(auto lines, CosignatureLines(parsed->size));
  std::string out = note;
  for (const auto& line : lines) {
    if (out.size() + line.size() > kMaxNoteSize) break;
    out += line;
  }
  return out;
}

Result<std::optional<uint64_t>> StoredLog::LatestCosignedSize() const {
  const std::string prefix = layout::LogPrefix(layout::kCosignaturePrefix, number_);
  std::unique_ptr<leveldb::Iterator> it(store_.db().NewIterator(CheckedReads()));
  const std::string end = PrefixEnd(prefix);
  if (end.empty()) {
    it->SeekToLast();
  } else {
    it->Seek(end);
    if (it->Valid()) {
      it->Prev();
    } else {
      it->SeekToLast();
    }
  }
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading cosignatures"));
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() < prefix.size() + 8) {
    return std::optional<uint64_t>();
  }
  return std::optional<uint64_t>(GetBigEndian64(reinterpret_cast<const uint8_t*>(it->key().data() + prefix.size())));
}

// ------------------------------------------------------------ StoredLog: writing

void StoredLog::Begin(Batch* batch) const {
  batch->last_leaf = head().last_leaf;
  batch->last_time = last_time_;
}

void StoredLog::AddEntry(Batch& batch, ByteSpan entry, const Hash& leaf, int64_t log_time, int64_t statement_time,
                         const Hash& statement_hash) const {
  const uint64_t index = NextIndex(batch);
  batch.entries.Put(layout::EntryKey(number_, index), SliceOf(entry));
  std::string where;
  PutBigEndian64(&where, index);
  batch.writes.Put(layout::ReplayKey(number_, statement_time, statement_hash), where);
  batch.leaves.push_back(leaf);
  batch.last_leaf = leaf;
  batch.last_time = log_time;
}

layout::LogHead StoredLog::Grow(Batch& batch) const {
  // The batch grows a copy: if the write fails, or the caller gives up on the
  // batch, the committed tree is untouched.
  batch.tree.emplace(*tree_);
  batch.tiles = batch.tree->Append(batch.leaves);
  for (const auto& [id, value] : batch.tiles) batch.writes.Put(layout::TileKey(number_, id), value);
  layout::LogHead h;
  h.size = batch.tree->size();
  h.root = batch.tree->Root();
  h.last_leaf = batch.last_leaf;
  h.checkpoint = checkpoint();
  return h;
}

Status StoredLog::Commit(Batch& batch, layout::LogHead head) {
  batch.writes.Put(layout::HeadKey(number_), head.Encode());
  Status st = store_.Write(batch.writes, &batch.entries);
  cosignature_writes_.fetch_add(1, std::memory_order_release);  // the batch may have held cosignatures
  // The own log's checkpoint is recorded apart before anyone can read it
  // (the head below is what readers see).
  if (st.ok() && number_ == layout::kOwnLog) st = store_.RecordSigned(head.size, head.checkpoint);
  if (!st.ok()) {
    // Whether the batch reached the disk is unknown until reopening; the
    // store refuses further writes, and the cache must not serve its tiles.
    tiles_->Clear();
    return st;
  }
  // TODO(perf): this compacts under the writer's lock; delistings are rare.
  // The batch is committed whatever happens here: a failed write of the
  // second tombstones leaves the store refusing writes (Store::Write), which
  // the next append reports.
  (void)store_.CompactErased(batch.erased);
  if (batch.tree) tree_ = std::move(batch.tree);
  last_time_ = batch.last_time;
  tiles_->Update(batch.tiles);
  std::lock_guard<std::mutex> lock(head_mu_);
  head_ = std::move(head);
  return Status::OK();
}

}  // namespace custos
