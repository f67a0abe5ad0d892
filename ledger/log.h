// One Custos log in LevelDB: genesis, group-committed appends, checkpoints,
// entries and proofs. See docs/leveldb-layout.md and docs/entry-format.md.
//
// Appends are group-committed: one call checks a batch of submissions
// (signatures in parallel), assigns indexes, writes the entries, tiles,
// replay-index and key-table changes and the new signed checkpoint in ONE
// LevelDB WriteBatch with sync=true, and only then returns receipts. A crash
// at any point leaves either the whole batch or none of it; reopening reads
// the stored head and never replays the log.
//
// Thread-safety: all methods may be called from any thread. Appends are
// serialised; reads (entries, proofs, checkpoint) run concurrently with them
// and see a committed state.
#pragma once

#include <leveldb/db.h>
#include <leveldb/env.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/keyfile.h"
#include "crypto/status.h"
#include "ledger/authority.h"
#include "ledger/clock.h"
#include "ledger/layout.h"
#include "ledger/tile_store.h"
#include "ledger/tiles.h"
#include "ledger/worker_pool.h"

namespace custos {

struct LogOptions {
  std::string path;                // the LevelDB directory
  Clock* clock = nullptr;          // nullptr: the system clock
  leveldb::Env* env = nullptr;     // nullptr: leveldb::Env::Default() (a seam for fault injection)
  int64_t max_clock_skew_ms = 10 * 60 * 1000;  // |statement.time - node time| allowed
  size_t verify_threads = 0;       // 0: all cores
  size_t block_cache_bytes = 64 << 20;
  size_t tile_cache_tiles = 4096;  // ~64 MiB at most
};

struct Receipt {
  uint64_t index = 0;
  Hash leaf_hash;
};

enum class BatchMode {
  kAllOrNothing,  // one refused submission refuses the whole batch; nothing is written
  kIndependent,   // each submission is accepted or refused on its own
};

class Log {
 public:
  // Creates a new log at options.path with its genesis entry (index 0),
  // signed by `node_key`, whose name must equal `origin`, granting `admins`
  // the admin role. Fails with AlreadyExists if a log is there.
  static Result<std::unique_ptr<Log>> Create(const LogOptions& options, std::string_view origin,
                                             const NamedKey& node_key, std::span<const PublicKey> admins);

  // Opens an existing log. `node_key` is needed only to append (it signs the
  // checkpoints); it must be the genesis node key. Checks that the stored head
  // agrees with the last stored entry (a cheap check, not a replay).
  static Result<std::unique_ptr<Log>> Open(const LogOptions& options,
                                           std::optional<NamedKey> node_key = std::nullopt);

  ~Log();

  const std::string& origin() const { return origin_; }
  const PublicKey& node_key() const { return node_public_; }
  // The verifier key string of the node key ("origin+keyid+base64").
  std::string VerifierKey() const;

  uint64_t size() const;
  Hash root() const;
  // The latest signed checkpoint (a C2SP signed note), verbatim.
  std::string checkpoint() const;

  // Appends canonical SignedSubmission bytes. Returns one result per
  // submission: a receipt, or the reason it was refused (InvalidArgument,
  // Corruption, Unauthorized, AlreadyExists; Aborted for good submissions of
  // an all-or-nothing batch that something else spoiled).
  //
  // A storage failure returns IOError for every submission. Whether that
  // batch reached the disk is then unknown until the log is reopened (LevelDB
  // applies it whole or not at all); nothing acknowledged earlier is touched.
  // After a failed write this object refuses further appends: LevelDB's
  // write-ahead log may hold a torn record, and writing past it would lose
  // acknowledged batches at the next open. Reopen the log to go on; a retried
  // submission is then either appended or refused as already present.
  std::vector<Result<Receipt>> Append(std::span<const Bytes> submissions, BatchMode mode);

  // The key's state in this log's key table as of the last committed batch;
  // nullopt if the log never granted it (admins from genesis included).
  std::optional<KeyState> KeyStateOf(const PublicKey& key) const;

  // The checkpoint the log signed when it reached `tree_size`; NotFound if no
  // batch ended at that size.
  Result<std::string> CheckpointAt(uint64_t tree_size) const;

  // Canonical LogEntry bytes of entry `index`; NotFound past the end.
  Result<Bytes> Entry(uint64_t index) const;
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t tree_size) const;
  Result<Hash> RootAt(uint64_t tree_size) const;

  // Full verification (ledger/verify.h); defined in verify.cc.
  Result<struct VerifyReport> VerifyAll(const std::function<void(uint64_t, uint64_t)>& progress) const;

 private:
  friend class LogVerifier;
  struct Pending;
  Log() = default;
  static Result<std::unique_ptr<Log>> OpenDb(const LogOptions& options, bool create);
  Status LoadState();
  Status CheckHeadAgainstEntries();
  Status CheckOne(const struct CheckedSubmission& c, uint64_t index, int64_t now,
                  Authority* authority, const std::vector<Hash>& batch_hashes) const;
  Status Commit(Pending& pending);

  LogOptions options_;
  std::unique_ptr<Clock> owned_clock_;
  Clock* clock_ = nullptr;
  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<LevelDbTileSource> tiles_;
  std::unique_ptr<WorkerPool> pool_;
  std::string origin_;
  PublicKey node_public_;
  std::optional<NamedKey> node_key_;

  std::mutex append_mu_;  // serialises appends; held across a whole batch
  // Writer state, guarded by append_mu_:
  std::optional<merkle::TreeAppender> tree_;
  Authority authority_;
  bool write_failed_ = false;
  int64_t last_log_time_ = 0;  // logTime of the last entry

  mutable std::mutex head_mu_;
  layout::LogHead head_;  // guarded by head_mu_
  // The committed key table, shared read-only with readers; guarded by head_mu_.
  std::shared_ptr<const std::map<PublicKey, KeyState>> committed_keys_;
};

}  // namespace custos
