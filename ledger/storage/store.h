// The LevelDB databases of a node (Store), and the records of one log in them
// (StoredLog). See docs/leveldb-layout.md and docs/replication.md.
//
// A Store holds the node's own log (log number 0) and the replicas of the
// logs it follows (1, 2, …), each under its own number in the same key space.
// It owns what they share: the databases (the entries apart; see db()) with their block cache and Bloom
// filter, the worker pool that verifies signatures, the clock, the Env seam,
// and the log directory (origin -> log number). Every write goes through
// Store::Write, which syncs and, after one failure, refuses all later writes
// until the store is reopened.
//
// StoredLog is the part of a log that does not depend on who writes it: the
// head, entries, tiles, checkpoints, key table and replay index of one log
// number, the proofs computed from them, and the witnesses' cosignatures of
// its checkpoints. Log (the own log, ledger/log/log.h) and Replica (a verified
// copy of a peer's log, ledger/log/replica.h) are both built on it.
#pragma once

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/sm2_note.h"
#include "crypto/timestamp.h"
#include "crypto/status.h"
#include "ledger/storage/checked_reads.h"
#include "ledger/storage/clock.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/signed_mark.h"
#include "ledger/storage/tile_store.h"
#include "ledger/storage/worker_pool.h"
#include "ledger/tlog/tiles.h"

namespace leveldb {
class Cache;
class FilterPolicy;
}  // namespace leveldb

namespace custos {

struct StoreOptions {
  std::string path;                // the LevelDB directory
  Clock* clock = nullptr;          // nullptr: the system clock
  leveldb::Env* env = nullptr;     // nullptr: leveldb::Env::Default() (a seam for fault injection)
  // |statement.time - logTime| allowed: the node's own appends use it against
  // its clock, verification and replication against each entry's logTime.
  int64_t max_clock_skew_ms = 10 * 60 * 1000;
  size_t verify_threads = 0;       // 0: all cores
  // LevelDB's block cache; it holds only blocks read, so a small log never
  // fills it. How the default was chosen: docs/performance.md.
  size_t block_cache_bytes = 256 << 20;
  size_t tile_cache_tiles = 4096;  // per log; ~64 MiB at most
  // LevelDB's write buffer (memtable) per database: appends reach a new table
  // file each time it fills. How the default was chosen: docs/performance.md.
  size_t write_buffer_bytes = 64 << 20;
  // Snappy-compress LevelDB blocks. Off by default: CPU, not disk, limits
  // appends (docs/performance.md).
  bool compress = false;
  // The origins of the federation (the node passes them from its federation
  // file). The own log's appends refuse a referral, or a custody transfer to
  // another agency, that names an origin outside this set; empty: not
  // checked. Replication and verification never check it: the set is this
  // node's configuration, not part of any log (docs/rules.md).
  std::set<std::string> known_origins;
  // Open for reading only: nothing on disk is written, renamed or deleted
  // (ledger/storage/read_only_env.h), no lock is taken, so a live node's store can be
  // read, and every Write is refused. Needs OpenMode::kOpenExisting.
  bool read_only = false;
  // For a repair (ledger/log/repair.h) only: open a store whose own log is
  // behind its signed mark, which every other open refuses.
  bool allow_damaged = false;
};

enum class OpenMode {
  kCreateNew,     // AlreadyExists if a database is at the path
  kOpenExisting,  // NotFound if none is
  kOpenOrCreate,
};

class Store final {
 public:
  // Opens (or creates, per `mode`) the database at options.path, with
  // LevelDB's paranoid checks: a damaged write-ahead log, MANIFEST or table
  // found at open is Corruption, never skipped. FailedPrecondition if it was
  // written in another storage format; IOError or Corruption as LevelDB
  // reports them.
  //
  // A writer's open (not read_only) deletes the entries past each log's
  // head that no signed checkpoint covers: what a crash between the two
  // writes of a batch leaves (Write). It deletes nothing when the own log's
  // head is behind the checkpoint it signed last (signed_mark()): that log
  // is damaged, and its entries are what a repair starts from.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options, OpenMode mode);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const StoreOptions& options() const { return options_; }
  Clock& clock() const { return *clock_; }
  // For reads (iterators, point reads). Write only through Write().
  // The entries ('~' records) are in a second database, entries_db(), in the
  // subdirectory "entries" of options.path; everything else is in db().
  // Entries are written once, in index order, and never change: alone in
  // their database, a memtable's worth of them is one table that LevelDB
  // moves down the levels without rewriting it (docs/leveldb-layout.md).
  leveldb::DB& db() const { return *db_; }
  leveldb::DB& entries_db() const { return *entries_db_; }
  // The database that holds `key`: entries_db() for an entry key, else db().
  leveldb::DB& DbFor(std::string_view key) const;
  static std::string EntriesPath(const std::string& path) { return path + "/entries"; }

  // Calls fn(i) for every i in [0, n) on the worker pool and the calling
  // thread. Thread-safe: concurrent callers (the own log's appender, the
  // replicas' followers) take turns for the pool.
  void ForEach(size_t n, const std::function<void(size_t)>& fn);
  size_t threads() const { return pool_->size(); }

  // Writes `batch` with sync=true; LevelDB applies it whole or not at all.
  // `entries` (entry records only; may be null) is written and synced to
  // entries_db() first: a batch is acknowledged once `batch`, which holds
  // the head naming those entries, is on disk. Entries past a log's head are
  // what a crash between the two writes leaves; Open deletes them.
  // IOError (or Corruption) if the write fails. After a failed write every
  // later write is refused with IOError until the store is reopened: the
  // write-ahead log may hold a torn record, and writing past it would lose
  // acknowledged batches at the next open. Thread-safe.
  // FailedPrecondition if the store was opened read_only.
  Status Write(leveldb::WriteBatch& batch, leveldb::WriteBatch* entries = nullptr);
  bool write_failed() const { return write_failed_.load(); }
  bool read_only() const { return options_.read_only; }

  // Makes the deletion of `deleted_keys` (keys of db(), deleted by a
  // written batch) physical. LevelDB keeps a deleted value in its write-ahead
  // log and in older table files until a compaction merges it with its
  // tombstone, and a memtable flush never drops anything. So: CompactRange
  // over the keys' range (it flushes the memtable, which retires the
  // write-ahead log file holding the value, then compacts the tables
  // overlapping the range); then the tombstones are written once more and
  // the range compacted again, because the first flush may have put value
  // and tombstone into one table at a level CompactRange does not rewrite —
  // the second tombstone lands in a table above it and is compacted down
  // into it, which drops the value. LevelDB removes the obsolete files.
  // Blocks until done; thread-safe. IOError if writing the tombstones fails
  // (then every later write is refused, as for Write).
  Status CompactErased(const std::vector<std::string>& deleted_keys);

  // Reads every record of both databases with its checksum (without filling
  // the block cache), to find damage that opening does not read: OK, or
  // Corruption naming the database; IOError for another read failure. Stops
  // early, with OK, once `*stop` is true. Thread-safe.
  Status Scrub(const std::atomic<bool>* stop = nullptr) const;
  // Records that the store is damaged (`why`, a Corruption found by a read or
  // a Scrub): from then on every Write is refused with it, so the node
  // appends, signs and cosigns nothing more. Thread-safe.
  void MarkDamaged(const Status& why);
  // OK, or the damage recorded by MarkDamaged.
  Status damage() const;

  // The own log's signed high-water mark, kept outside LevelDB
  // (ledger/storage/signed_mark.h): the last checkpoint the node signed.
  const SignedMark& signed_mark() const { return *signed_mark_; }
  // Records a checkpoint of the own log, of `size`, that the node signed and
  // whose batch is written (SignedMark::Record). A failure is a failed write:
  // later writes are refused until the store is reopened. Thread-safe.
  Status RecordSigned(uint64_t size, std::string_view note);
  // OK if the own log's head reaches the signed mark and holds the checkpoint
  // recorded there (or there is no mark); Corruption saying so, and what to
  // do, if not.
  Status CheckSignedMark() const;

  // The value at `key` (in DbFor(key)); nullopt if absent; IOError if the read fails.
  Result<std::optional<std::string>> Get(std::string_view key) const;
  // True if the database holds no key at all (a create that wrote nothing).
  Result<bool> Empty() const;

  // --- The log directory: 'o' records, origin -> log number.

  // The log number of `origin`; nullopt if the store holds no log of it.
  Result<std::optional<layout::LogNumber>> FindLog(std::string_view origin) const;
  // Every origin the store holds, with its log number.
  Result<std::map<std::string, layout::LogNumber>> Logs() const;
  // The head of every log that has one, by log number, as of `snapshot`
  // (nullptr: the latest state). Corruption for a malformed record.
  Result<std::map<layout::LogNumber, layout::LogHead>> Heads(const leveldb::Snapshot* snapshot = nullptr) const;
  // Allocates the next free replica number (>= layout::kFirstReplica) for
  // `origin` and records it durably (its own synced write). AlreadyExists if
  // the store already holds a log of that origin. Thread-safe.
  Result<layout::LogNumber> AddLog(std::string_view origin);
  // Puts the directory record of (origin, number) and the format marker into
  // `batch` (the own log writes them with its genesis entry).
  static void PutLogRecord(leveldb::WriteBatch& batch, std::string_view origin, layout::LogNumber number);

  // Calls fn(key, value) for every record whose key starts with `prefix`
  // (not empty), without filling the block cache. Stops at the first error
  // fn returns.
  Status ScanPrefix(std::string_view prefix, const std::function<Status(std::string_view, std::string_view)>& fn) const;

 private:
  Store() = default;
  // Deletes the entries past each log's head (past 0 for a log without a
  // head): those of a batch whose head never reached the disk.
  Status DropUnacknowledgedEntries();

  StoreOptions options_;
  std::unique_ptr<leveldb::Env> read_only_env_;  // outlives the databases
  std::unique_ptr<SignedMark> signed_mark_;
  std::unique_ptr<Clock> owned_clock_;
  Clock* clock_ = nullptr;
  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<leveldb::DB> entries_db_;
  std::mutex pool_mu_;  // one ForEach at a time (WorkerPool's rule)
  std::unique_ptr<WorkerPool> pool_;
  std::atomic<bool> write_failed_{false};
  mutable std::mutex damage_mu_;
  Status damage_;  // guarded by damage_mu_
  std::mutex directory_mu_;  // serialises AddLog
};

// Converts a LevelDB status: NotFound, Corruption, anything else IOError.
Status FromLevelDb(const leveldb::Status& s, const std::string& what);

// One log's records in a Store, under its log number.
//
// Thread-safety: the read methods may be called from any thread and see the
// last committed batch. The write methods (Begin, AddEntry, Grow, Commit,
// SetIdentity) must be serialised by the owner (one writer per log).
class StoredLog final {
 public:
  // `store` must outlive this object.
  StoredLog(Store& store, layout::LogNumber number);

  // Reads the head, the genesis (origin, node key) and the key table, and
  // checks that the head names the last stored entry and that nothing follows
  // it (a cheap check, not a replay). For the own log, the head must also
  // reach the store's signed mark and hold the checkpoint recorded there.
  // NotFound if the log has no head (it has no entry yet); Corruption naming
  // what does not agree.
  Status Load();
  // For a log with no entries yet: the origin and node key its genesis must name.
  void SetIdentity(std::string origin, const PublicKey& node_key);

  Store& store() const { return store_; }
  layout::LogNumber number() const { return number_; }
  // Set by Load or SetIdentity, then constant.
  const std::string& origin() const { return origin_; }
  const PublicKey& node_key() const { return node_key_; }

  // The committed head (for an empty log: size 0, the empty root, no note).
  layout::LogHead head() const;
  uint64_t size() const;
  Hash root() const;
  std::string checkpoint() const;

  // Canonical LogEntry bytes of entry `index`; NotFound past the end.
  Result<Bytes> Entry(uint64_t index) const;
  // The index of the entry holding the statement with this hash; nullopt if none.
  Result<std::optional<uint64_t>> ReplayIndexOf(int64_t statement_time, const Hash& statement_hash) const;

  // The checkpoint note stored at exactly `tree_size`; NotFound if none.
  Result<std::string> CheckpointAt(uint64_t tree_size) const;
  // The stored checkpoint of the smallest size in [from, size()]: (size, note);
  // NotFound if there is none.
  Result<std::pair<uint64_t, std::string>> CheckpointFrom(uint64_t from) const;
  // RFC 9162 proofs and roots for sizes up to size(); InvalidArgument past it.
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t tree_size) const;
  Result<Hash> RootAt(uint64_t tree_size) const;
  merkle::TileSource& tiles() const { return *tiles_; }

  // --- Cosignatures (C2SP tlog-cosignature) of this log's checkpoints.

  // Stores `cosignature_line` ("— name base64\n") by `witness` (an alg-0x04
  // verifier key) for `note`, which must be the checkpoint this log stores at
  // its size (same text; its signatures are not compared). A newer line by the
  // same witness for that size replaces the older one. NotFound if no
  // checkpoint of that size is stored; InvalidArgument if the note or the line
  // is malformed or the line is not by `witness`; Corruption if the
  // cosignature does not verify; IOError if the write fails. Thread-safe.
  Status AddCosignature(std::string_view note, std::string_view cosignature_line, const NoteVerifier& witness);
  // The same for the line of an RFC 3161 time-stamp token by `tsa` on the
  // note's text (crypto/timestamp.h); Corruption if the token does not
  // verify against the TSA's certificate.
  Status AddTimestamp(std::string_view note, std::string_view line, const TimestampVerifier& tsa);
  // The same for a witness's SM2 cosignature line (crypto/sm2_note.h), by
  // the witness whose SM2 key is `key`.
  Status AddSm2Cosignature(std::string_view note, std::string_view line, const Sm2NoteVerifier& key);
  // The stored checkpoint of `tree_size` with every cosignature line gathered
  // for it appended: a C2SP signed note (text, blank line, the origin's
  // signature, then the cosignatures). NotFound as CheckpointAt.
  Result<std::string> CosignedCheckpointAt(uint64_t tree_size) const;
  // The latest checkpoint (head) with its cosignatures; empty if the log has
  // none yet. IOError if reading the cosignatures fails.
  Result<std::string> CosignedCheckpoint() const;
  // The largest size whose checkpoint has at least one cosignature; nullopt if none.
  Result<std::optional<uint64_t>> LatestCosignedSize() const;
  // Puts a verified cosignature line into `batch`, under `tree_size`. Write
  // the batch with Commit, which also tells CosignedCheckpointAt it changed.
  void PutCosignature(leveldb::WriteBatch& batch, uint64_t tree_size, const NoteSignature& cosignature) const;

 private:
  // AddCosignature and AddTimestamp: `check` verifies the one new line
  // against the held note (`what` names the line in errors).
  Status AddSignatureLine(std::string_view note, std::string_view signature_line, std::string_view what,
                          const std::function<Status(const Note&, const NoteSignature&)>& check);

 public:

  // Calls fn(key after the prefix byte and log number, value) for every record
  // of kind `prefix` of this log, in key order, without filling the block
  // cache (for scans). Stops at the first error fn returns.
  Status ForEachRecord(char prefix, const std::function<Status(std::string_view, std::string_view)>& fn) const;

  // --- Writing (serialised by the owner).

  // Everything one batch adds, gathered before the write. What an entry
  // changes beyond its own records (key table, rule state, indexes, the
  // listings map, private payloads) its modules put into `writes`
  // (ledger/log/entry_batch.h); the store only writes them.
  struct Batch {
    leveldb::WriteBatch writes;
    leveldb::WriteBatch entries;  // the entry records, for Store::entries_db()
    std::vector<Hash> leaves;
    Hash last_leaf;          // leaf hash of the last entry so far
    int64_t last_time = 0;   // logTime of the last entry so far
    std::optional<merkle::TreeAppender> tree;   // set by Grow
    std::map<merkle::TileId, std::string> tiles;  // set by Grow
    // Records the batch's entries changed that later entries of the batch
    // read before the database (rules::BatchRuleSource). PutState writes both.
    std::unordered_map<std::string, std::string> state;
    // Keys the batch deletes whose old values must also leave the LevelDB
    // files (private payloads): Commit compacts them out (Store::CompactErased).
    std::vector<std::string> erased;

    void PutState(const std::string& key, const std::string& value) {
      writes.Put(key, value);
      state[key] = value;
    }
  };
  // Starts a batch from the committed state.
  void Begin(Batch* batch) const;
  uint64_t NextIndex(const Batch& batch) const { return tree_->size() + batch.leaves.size(); }
  // Adds entry NextIndex(batch): its bytes, with leaf hash `leaf` and logTime
  // `log_time`, and its replay record (the statement's time and hash).
  void AddEntry(Batch& batch, ByteSpan entry, const Hash& leaf, int64_t log_time, int64_t statement_time,
                const Hash& statement_hash) const;
  // The index of the first entry of the batch.
  uint64_t FirstIndex() const { return tree_->size(); }
  // Grows a copy of the tree by the batch's leaves and puts the tiles that
  // changed. Returns the head after the batch, with the current checkpoint
  // note (the caller replaces it if the batch brings a new one).
  layout::LogHead Grow(Batch& batch) const;
  // Puts `head` and writes the batch through the store. Only after the write
  // succeeds does the committed state (head, tree) move ahead. A batch that
  // erased keys is then compacted (blocking) so the deleted values leave the
  // LevelDB files.
  Status Commit(Batch& batch, layout::LogHead head);
  // The writer's last committed logTime.
  int64_t last_log_time() const { return last_time_; }

 private:
  Status LoadGenesis();
  Status CheckHeadAgainstEntries();
  Result<std::vector<std::string>> CosignatureLines(uint64_t tree_size) const;

  Store& store_;
  const layout::LogNumber number_;
  std::unique_ptr<LevelDbTileSource> tiles_;
  std::string origin_;
  PublicKey node_key_;

  // Writer state, serialised by the owner:
  std::optional<merkle::TreeAppender> tree_;
  int64_t last_time_ = 0;  // logTime of the last entry

  mutable std::mutex head_mu_;
  layout::LogHead head_;  // guarded by head_mu_
  // The last cosigned note CosignedCheckpointAt assembled (listing checks
  // ask for the same size thousands of times between two batches), valid
  // while no write that may add a cosignature came after it: Commit and
  // AddCosignature count their writes.
  struct CosignedNote {
    uint64_t size = 0;
    uint64_t writes = 0;
    std::string note;
  };
  std::atomic<uint64_t> cosignature_writes_{0};
  mutable std::mutex cosigned_mu_;
  mutable std::optional<CosignedNote> cosigned_;  // guarded by cosigned_mu_
};

}  // namespace custos
