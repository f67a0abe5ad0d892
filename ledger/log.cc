#include "ledger/log.h"

#include <leveldb/cache.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#include <sodium.h>

#include <set>

#include "crypto/note.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/submission.h"

namespace custos {

namespace {
constexpr char kSuite[] = "ed25519-sha256";

ByteSpan Span(capnp::Data::Reader d) { return {d.begin(), d.size()}; }
leveldb::Slice SliceOf(ByteSpan b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

Status FromLevelDb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(what);
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

// The genesis statement: origin, node key, suite, first admins.
Bytes GenesisStatement(std::string_view origin, const PublicKey& node_key,
                       std::span<const PublicKey> admins, int64_t now) {
  capnp::MallocMessageBuilder builder;
  auto s = builder.initRoot<schema::Statement>();
  s.setOrigin(std::string(origin));
  s.setTime(now);
  uint8_t nonce[16];
  randombytes_buf(nonce, sizeof nonce);
  s.setNonce(capnp::Data::Reader(nonce, sizeof nonce));
  auto g = s.getBody().initGenesis();
  g.setOrigin(std::string(origin));
  g.setNodeKey(capnp::Data::Reader(node_key.bytes.data(), node_key.bytes.size()));
  g.setSuite(kSuite);
  auto list = g.initAdminKeys(static_cast<unsigned>(admins.size()));
  for (unsigned i = 0; i < admins.size(); ++i) {
    list.set(i, capnp::Data::Reader(admins[i].bytes.data(), admins[i].bytes.size()));
  }
  return schema::Canonicalize(s.asReader());
}

std::vector<Result<Receipt>> AllFailed(size_t n, const Status& status) {
  return std::vector<Result<Receipt>>(n, Result<Receipt>(status));
}
}  // namespace

// Everything one batch will write, gathered before the write.
struct Log::Pending {
  leveldb::WriteBatch batch;
  std::vector<Hash> leaves;
  Authority authority;
  Hash last_leaf;
  int64_t log_time = 0;
};

Log::~Log() {
  tiles_.reset();
  db_.reset();  // before the cache and filter policy it uses
}

Result<std::unique_ptr<Log>> Log::OpenDb(const LogOptions& options, bool create) {
  std::unique_ptr<Log> log(new Log());
  log->options_ = options;
  if (options.clock == nullptr) log->owned_clock_ = std::make_unique<SystemClock>();
  log->clock_ = options.clock ? options.clock : log->owned_clock_.get();
  log->block_cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));
  log->filter_policy_.reset(leveldb::NewBloomFilterPolicy(10));
  leveldb::Options db_options;
  db_options.create_if_missing = create;
  db_options.error_if_exists = create;
  db_options.block_cache = log->block_cache_.get();
  db_options.filter_policy = log->filter_policy_.get();
  db_options.max_file_size = 64 << 20;
  db_options.write_buffer_size = 32 << 20;
  if (options.env) db_options.env = options.env;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(db_options, options.path, &db);
  if (!s.ok()) {
    if (create && s.IsInvalidArgument()) return Status::AlreadyExists("a log already exists at " + options.path);
    if (!create && s.IsInvalidArgument()) return Status::NotFound("no log at " + options.path);
    return FromLevelDb(s, "opening " + options.path);
  }
  log->db_.reset(db);
  log->tiles_ = std::make_unique<LevelDbTileSource>(db, layout::kOwnLog, options.tile_cache_tiles);
  log->pool_ = std::make_unique<WorkerPool>(options.verify_threads);
  return log;
}

Result<std::unique_ptr<Log>> Log::Create(const LogOptions& options, std::string_view origin,
                                         const NamedKey& node_key, std::span<const PublicKey> admins) {
  InitCrypto();
  if (node_key.name != origin) {
    return Status::InvalidArgument("node key: its name \"" + node_key.name +
                                   "\" must equal the log origin \"" + std::string(origin) + "\"");
  }
  if (admins.empty()) return Status::InvalidArgument("admin: at least one admin key is needed");
  auto created = OpenDb(options, /*create=*/true);
  if (created.status().code() == Status::Code::kAlreadyExists) {
    // The genesis batch writes every key of a log at once, so a database with
    // no keys at all is a Create that stopped before its genesis: finish it.
    CUSTOS_ASSIGN_OR_RETURN(auto existing, OpenDb(options, /*create=*/false));
    std::unique_ptr<leveldb::Iterator> it(existing->db_->NewIterator(leveldb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid() || !it->status().ok()) return created.status();
    it.reset();
    created = std::move(existing);
  }
  CUSTOS_ASSIGN_OR_RETURN(auto log, std::move(created));
  log->origin_ = std::string(origin);
  log->node_public_ = node_key.key.public_key();
  log->node_key_ = node_key;
  log->head_.root = merkle::EmptyRoot();
  CUSTOS_ASSIGN_OR_RETURN(auto appender, merkle::TreeAppender::Load(*log->tiles_, 0));
  log->tree_.emplace(std::move(appender));
  Bytes genesis = SignSubmission(GenesisStatement(origin, log->node_public_, admins, log->clock_->NowMillis()),
                                 node_key.key);
  auto results = log->Append(std::span<const Bytes>(&genesis, 1), BatchMode::kAllOrNothing);
  if (!results[0].ok()) return results[0].status().WithContext("writing the genesis entry");
  return log;
}

Result<std::unique_ptr<Log>> Log::Open(const LogOptions& options, std::optional<NamedKey> node_key) {
  InitCrypto();
  CUSTOS_ASSIGN_OR_RETURN(auto log, OpenDb(options, /*create=*/false));
  CUSTOS_RETURN_IF_ERROR(log->LoadState());
  if (node_key) {
    if (node_key->key.public_key() != log->node_public_) {
      return Status::InvalidArgument("node key: not the key named in this log's genesis");
    }
    log->node_key_ = std::move(node_key);
  }
  return log;
}

// Reads the head, the genesis (origin, node key) and the key table.
Status Log::LoadState() {
  std::string value;
  leveldb::Status fs = db_->Get(leveldb::ReadOptions(), layout::kFormatKey, &value);
  if (fs.ok() && value != layout::kFormatVersion) {
    return Status::FailedPrecondition("the log at " + options_.path + " has storage format " + value +
                                      "; this build reads format " + layout::kFormatVersion);
  }
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), layout::HeadKey(layout::kOwnLog), &value);
  if (s.IsNotFound()) return Status::NotFound("no Custos log at " + options_.path + " (no head record)");
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(s, "reading the log head"));
  auto head = layout::LogHead::Decode(value);
  if (!head || head->size == 0) return Status::Corruption("log head: malformed");
  head_ = *head;
  auto genesis_read = Entry(0);
  if (genesis_read.status().code() == Status::Code::kNotFound) return Status::Corruption("entry 0: missing from storage");
  CUSTOS_ASSIGN_OR_RETURN(Bytes genesis_bytes, std::move(genesis_read));
  CUSTOS_ASSIGN_OR_RETURN(auto genesis, schema::ReadCanonical<schema::LogEntry>(genesis_bytes, schema::kMaxEntryBytes, "entry 0"));
  CUSTOS_ASSIGN_OR_RETURN(auto statement, schema::ReadCanonical<schema::Statement>(
                                              Span(genesis.get().getSubmission().getStatement()),
                                              schema::kMaxStatementBytes, "entry 0 statement"));
  if (!statement.get().getBody().isGenesis()) return Status::Corruption("entry 0 is not a genesis");
  auto g = statement.get().getBody().getGenesis();
  origin_ = g.getOrigin();
  auto nk = PublicKey::FromSpan(Span(g.getNodeKey()));
  if (!nk) return Status::Corruption("genesis: node key is not 32 bytes");
  node_public_ = *nk;
  authority_.set_node_key(*nk);
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  std::string prefix = layout::LogPrefix(layout::kKeyPrefix, layout::kOwnLog);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto key = PublicKey::FromSpan(AsBytes(std::string_view(it->key().data(), it->key().size()).substr(prefix.size())));
    auto state = KeyState::Decode(std::string_view(it->value().data(), it->value().size()));
    if (!key || !state) return Status::Corruption("key table: malformed record");
    authority_.Set(*key, *state);
  }
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading the key table"));
  committed_keys_ = std::make_shared<const std::map<PublicKey, KeyState>>(authority_.keys());
  CUSTOS_RETURN_IF_ERROR(CheckHeadAgainstEntries());
  CUSTOS_ASSIGN_OR_RETURN(auto appender, merkle::TreeAppender::Load(*tiles_, head_.size));
  if (appender.Root() != head_.root) return Status::Corruption("log head: root does not match the stored tree");
  tree_.emplace(std::move(appender));
  return Status::OK();
}

// The head must name the last stored entry, and nothing may follow it: a
// cheap check that the batch that wrote the head was written whole.
Status Log::CheckHeadAgainstEntries() {
  auto last_read = Entry(head_.size - 1);
  if (last_read.status().code() == Status::Code::kNotFound) {
    return Status::Corruption("entry " + std::to_string(head_.size - 1) + ": missing from storage (the log head names it)");
  }
  CUSTOS_ASSIGN_OR_RETURN(Bytes last, std::move(last_read));
  if (merkle::LeafHash(last) != head_.last_leaf) {
    return Status::Corruption("log head: last leaf hash does not match entry " + std::to_string(head_.size - 1));
  }
  auto entry = schema::ReadCanonical<schema::LogEntry>(last, schema::kMaxEntryBytes, "last entry");
  if (!entry.ok()) return Status::Corruption(entry.status().message());
  last_log_time_ = entry->get().getLogTime();
  std::string ignored;
  if (!db_->Get(leveldb::ReadOptions(), layout::EntryKey(layout::kOwnLog, head_.size), &ignored).IsNotFound()) {
    return Status::Corruption("log head: an entry exists past the head at index " + std::to_string(head_.size));
  }
  return Status::OK();
}

std::string Log::VerifierKey() const { return NoteVerifier::ForKey(origin_, node_public_).ToString(); }

uint64_t Log::size() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_.size;
}

Hash Log::root() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_.root;
}

std::string Log::checkpoint() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_.checkpoint;
}

Status Log::CheckOne(const CheckedSubmission& c, uint64_t index, int64_t now, Authority* authority,
                     const std::vector<Hash>& batch_hashes) const {
  AppendContext ctx{origin_, index, now, options_.max_clock_skew_ms, authority};
  CUSTOS_RETURN_IF_ERROR(CheckInContext(c, ctx));
  for (const Hash& h : batch_hashes) {
    if (h == c.statement_hash) return Status::AlreadyExists("submission: appears twice in this batch");
  }
  std::string where;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), layout::ReplayKey(layout::kOwnLog, c.statement_hash), &where);
  if (s.ok() && where.size() == 8) {
    return Status::AlreadyExists("submission: already in the log at index " +
                                 std::to_string(GetBigEndian64(reinterpret_cast<const uint8_t*>(where.data()))));
  }
  if (!s.IsNotFound()) return FromLevelDb(s, "reading the replay index");
  return Status::OK();
}

std::vector<Result<Receipt>> Log::Append(std::span<const Bytes> submissions, BatchMode mode) {
  std::vector<std::optional<Result<CheckedSubmission>>> checked(submissions.size());
  pool_->ForEach(submissions.size(), [&](size_t i) { checked[i].emplace(CheckSubmission(submissions[i])); });

  std::lock_guard<std::mutex> lock(append_mu_);
  if (!node_key_) {
    return AllFailed(submissions.size(), Status::FailedPrecondition("the log was opened without its node key"));
  }
  if (write_failed_) {
    return AllFailed(submissions.size(), Status::IOError("an earlier write failed; reopen the log before appending"));
  }
  if (!tree_) {  // a failed write left memory unsure of the disk: rebuild first
    auto reloaded = merkle::TreeAppender::Load(*tiles_, size());
    if (!reloaded.ok()) return AllFailed(submissions.size(), reloaded.status());
    tree_.emplace(std::move(reloaded).value());
  }
  Pending p;
  p.authority = authority_;
  uint64_t next;
  {
    std::lock_guard<std::mutex> head_lock(head_mu_);
    next = head_.size;
    p.last_leaf = head_.last_leaf;
  }
  // logTime never goes backwards, even if the system clock does: verifiers
  // require entries in time order.
  p.log_time = std::max(clock_->NowMillis(), last_log_time_);
  std::vector<Result<Receipt>> results;
  std::vector<Hash> batch_hashes;
  std::optional<size_t> first_refused;
  for (size_t i = 0; i < submissions.size(); ++i) {
    Status st = checked[i]->ok() ? CheckOne(checked[i]->value(), next, p.log_time, &p.authority, batch_hashes)
                                 : checked[i]->status();
    if (!st.ok()) {
      results.emplace_back(st);
      if (!first_refused) first_refused = i;
      continue;
    }
    const CheckedSubmission& c = checked[i]->value();
    Bytes entry = BuildEntry(next, p.last_leaf, p.log_time, c.submission.get());
    p.last_leaf = merkle::LeafHash(entry);
    p.leaves.push_back(p.last_leaf);
    p.batch.Put(layout::EntryKey(layout::kOwnLog, next), SliceOf(entry));
    std::string where;
    PutBigEndian64(&where, next);
    p.batch.Put(layout::ReplayKey(layout::kOwnLog, c.statement_hash), where);
    p.authority.Apply(c.statement.get(), [&](const PublicKey& key, const KeyState& state) {
      p.batch.Put(layout::KeyStateKey(layout::kOwnLog, key), state.Encode());
    });
    batch_hashes.push_back(c.statement_hash);
    results.emplace_back(Receipt{next, p.last_leaf});
    ++next;
  }
  if (mode == BatchMode::kAllOrNothing && first_refused) {
    Status not_appended = Status::Aborted(
        "not appended: submission " + std::to_string(*first_refused + 1) + " of the batch was refused");
    for (auto& r : results) {
      if (r.ok()) r = not_appended;
    }
    return results;
  }
  if (p.leaves.empty()) return results;
  Status st = Commit(p);
  if (!st.ok()) return AllFailed(submissions.size(), st);
  return results;
}

// Writes one batch: entries and indexes gathered by Append, plus the tiles
// and the newly signed checkpoint. Memory moves ahead only after the write.
Status Log::Commit(Pending& p) {
  std::map<merkle::TileId, std::string> changed = tree_->Append(p.leaves);
  for (const auto& [id, value] : changed) p.batch.Put(layout::TileKey(layout::kOwnLog, id), value);
  layout::LogHead head;
  head.size = tree_->size();
  head.root = tree_->Root();
  head.last_leaf = p.last_leaf;
  Checkpoint cp{origin_, head.size, head.root, {}};
  auto note = SignNote(cp.Format(), node_key_->name, node_key_->key);
  if (!note.ok()) {
    tree_.reset();  // memory is ahead of the disk; the next Append reloads it
    return note.status();
  }
  head.checkpoint = *note;
  p.batch.Put(layout::HeadKey(layout::kOwnLog), head.Encode());
  p.batch.Put(layout::CheckpointKey(layout::kOwnLog, head.size), head.checkpoint);
  if (head.size == p.leaves.size()) {  // the genesis batch also marks the database as ours
    p.batch.Put(layout::kFormatKey, layout::kFormatVersion);
    std::string log_number;
    PutBigEndian32(&log_number, layout::kOwnLog);
    p.batch.Put(layout::OriginKey(origin_), log_number);
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  leveldb::Status s = db_->Write(wo, &p.batch);
  if (!s.ok()) {
    // Memory is ahead of the disk: rebuild the tree's right edge from what is stored.
    tiles_->Clear();
    tree_.reset();  // the next Append reloads it from the stored tiles
    write_failed_ = true;
    return FromLevelDb(s, "writing the batch");
  }
  authority_ = std::move(p.authority);
  last_log_time_ = p.log_time;
  tiles_->Update(changed);
  auto keys = std::make_shared<const std::map<PublicKey, KeyState>>(authority_.keys());
  std::lock_guard<std::mutex> lock(head_mu_);
  head_ = std::move(head);
  committed_keys_ = std::move(keys);
  return Status::OK();
}

Result<Bytes> Log::Entry(uint64_t index) const {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), layout::EntryKey(layout::kOwnLog, index), &value);
  if (s.IsNotFound()) return Status::NotFound("entry " + std::to_string(index) + ": past the end of the log");
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(s, "reading entry " + std::to_string(index)));
  return Bytes(value.begin(), value.end());
}

std::optional<KeyState> Log::KeyStateOf(const PublicKey& key) const {
  std::shared_ptr<const std::map<PublicKey, KeyState>> keys;
  {
    std::lock_guard<std::mutex> lock(head_mu_);
    keys = committed_keys_;
  }
  if (!keys) return std::nullopt;
  auto it = keys->find(key);
  if (it == keys->end()) return std::nullopt;
  return it->second;
}

Result<std::string> Log::CheckpointAt(uint64_t tree_size) const {
  std::string note;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), layout::CheckpointKey(layout::kOwnLog, tree_size), &note);
  if (s.IsNotFound()) {
    return Status::NotFound("size: the log signed no checkpoint at size " + std::to_string(tree_size) +
                            " (checkpoints are signed once per appended batch)");
  }
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(s, "reading a checkpoint"));
  return note;
}

Result<std::vector<Hash>> Log::InclusionProof(uint64_t index, uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("size: " + std::to_string(tree_size) + " is past the log's size " + std::to_string(size()));
  }
  return merkle::InclusionProof(*tiles_, index, tree_size);
}

Result<std::vector<Hash>> Log::ConsistencyProof(uint64_t old_size, uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("size: " + std::to_string(tree_size) + " is past the log's size " + std::to_string(size()));
  }
  return merkle::ConsistencyProof(*tiles_, old_size, tree_size);
}

Result<Hash> Log::RootAt(uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("size: " + std::to_string(tree_size) + " is past the log's size " + std::to_string(size()));
  }
  return merkle::TreeRoot(*tiles_, tree_size);
}

}  // namespace custos
