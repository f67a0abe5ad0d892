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
// The log lives in a Store (ledger/storage/store.h) under log number 0. Opened with
// LogOptions it owns its store; opened on a Store it shares the database with
// the replicas of the peers' logs (ledger/log/replica.h).
//
// Thread-safety: all methods may be called from any thread. Appends are
// serialised; reads (entries, proofs, checkpoint) run concurrently with them
// and see a committed state.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/keyfile.h"
#include "crypto/sm2.h"
#include "crypto/status.h"
#include "ledger/admission/authority.h"
#include "ledger/admission/key_table.h"
#include "ledger/listings/listings_state.h"
#include "ledger/log/entry_batch.h"
#include "ledger/personal/private_data.h"
#include "ledger/rules/rule_state.h"
#include "ledger/storage/clock.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"

namespace custos {

// The options of the store a log opened on its own owns (path, clock, Env,
// clock skew, threads, caches).
using LogOptions = StoreOptions;

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

  // The same, for the own log (number 0) of a store shared with replicas.
  // `store` must outlive the Log. Create fails with AlreadyExists if the store
  // holds an own log, or a replica of `origin`.
  static Result<std::unique_ptr<Log>> Create(Store& store, std::string_view origin, const NamedKey& node_key,
                                             std::span<const PublicKey> admins);
  static Result<std::unique_ptr<Log>> Open(Store& store, std::optional<NamedKey> node_key = std::nullopt);

  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  Store& store() const { return *store_; }
  // The log's records (for verification and read-only views).
  const StoredLog& stored() const { return *stored_; }
  // Signs every later checkpoint with `key` too: a second, SM2 signature
  // line by the origin's name (crypto/sm2_note.h, docs/sm2.md). Call before
  // the first append, from the writer's thread.
  void SetSm2Key(Sm2Key key) { sm2_key_ = std::move(key); }
  // The log's listings map (its root is in every checkpoint).
  const listings::LogListings& listings() const { return *listings_; }

  const std::string& origin() const { return stored_->origin(); }
  const PublicKey& node_key() const { return stored_->node_key(); }
  // The verifier key string of the node key ("origin+keyid+base64").
  std::string VerifierKey() const;

  uint64_t size() const;
  Hash root() const;
  // The latest signed checkpoint (a C2SP signed note), verbatim.
  std::string checkpoint() const;

  // Appends canonical SignedSubmission bytes. Returns one result per
  // submission: a receipt, or the reason it was refused (InvalidArgument,
  // Corruption, Unauthorized, AlreadyExists; FailedPrecondition when the
  // rules (ledger/rules/rules.h, docs/rules.md) forbid it given the entries before
  // it — those of the same batch included — or it references another log's
  // entry the store does not hold; Aborted for good submissions of an
  // all-or-nothing batch that something else spoiled).
  //
  // A storage failure returns IOError for every submission. Whether that
  // batch reached the disk is then unknown until the log is reopened (LevelDB
  // applies it whole or not at all); nothing acknowledged earlier is touched.
  // After a failed write this object refuses further appends, and the store
  // refuses every write (Store::Write): LevelDB's write-ahead log may hold a
  // torn record, and writing past it would lose acknowledged batches at the
  // next open. Reopen the log (its store) to go on; a retried submission is
  // then either appended or refused as already present.
  //
  // `privates` is empty, or holds one item per submission: the private
  // payload and salt of a listing of a person (ledger/personal/private_data.h), or
  // nullopt. Such a listing is refused without one (InvalidArgument
  // "private: …"), and an attachment is refused unless it binds to its
  // statement (personal::CheckAttachment); an accepted one is written
  // beside the entry in the same batch.
  std::vector<Result<Receipt>> Append(std::span<const Bytes> submissions, BatchMode mode,
                                      std::span<const std::optional<personal::Attachment>> privates = {});

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

  // Cosignatures that witnesses made for this log's checkpoints (C2SP
  // tlog-cosignature); see StoredLog for the contracts. The origin gathers
  // them (the witness hands its line back) and serves the cosigned note.
  Status AddCosignature(std::string_view note, std::string_view cosignature_line, const NoteVerifier& witness);
  // An RFC 3161 token's line by `tsa` on one of this log's checkpoints (StoredLog::AddTimestamp).
  Status AddTimestamp(std::string_view note, std::string_view line, const TimestampVerifier& tsa);
  // A witness's SM2 cosignature line (StoredLog::AddSm2Cosignature).
  Status AddSm2Cosignature(std::string_view note, std::string_view line, const Sm2NoteVerifier& key);
  // The latest checkpoint with every cosignature gathered for it.
  Result<std::string> CosignedCheckpoint() const;
  Result<std::string> CosignedCheckpointAt(uint64_t tree_size) const;
  // The largest size whose checkpoint has a cosignature; nullopt if none has.
  Result<std::optional<uint64_t>> LatestCosignedSize() const;

  // Tests only: `hook` runs in Append between the checks made without the
  // lock and taking it, where another batch may commit (one that runs
  // Append itself is such a batch).
  void SetBeforeLockHookForTesting(std::function<void()> hook) { before_lock_for_testing_ = std::move(hook); }

  // Full verification (ledger/log/verify.h).
  Result<struct VerifyReport> VerifyAll(const std::function<void(uint64_t, uint64_t)>& progress) const;

 private:
  Log() = default;
  // Statement hashes of one batch (the first 8 bytes of a SHA-256 are a fine hash).
  struct HashOfHash {
    size_t operator()(const Hash& h) const {
      size_t v;
      std::memcpy(&v, h.bytes.data(), sizeof v);
      return v;
    }
  };
  using BatchStatements = std::unordered_map<Hash, uint64_t, HashOfHash>;  // statement hash -> index
  // What one committed batch changed that the checks of another batch, made
  // without the lock while it committed, may have read before it: its
  // statements (hash -> index) and the rule-state keys it wrote.
  struct CommittedBatch {
    uint64_t first = 0, end = 0;  // its entries: [first, end)
    BatchStatements statements;
    std::unordered_set<std::string> state_keys;
  };
  // Brings the checks of submission `i`, made without the lock when the log
  // had `size_before` entries, up to date with the batches committed since:
  // false if recent_ no longer reaches back that far (then redo them).
  bool CatchUpChecks(uint64_t size_before, const Hash& statement_hash, Result<std::optional<uint64_t>>& replayed,
                     rules::BatchRuleSource::Cache& prefetched) const;
  // The private payload rules of one submission (Append's `privates`).
  static Status CheckPrivate(const struct CheckedSubmission& c, const std::optional<personal::Attachment>* attachment);
  Status CheckOne(const struct CheckedSubmission& c, uint64_t index, int64_t now, const Authority& authority,
                  const BatchStatements& batch, const Result<std::optional<uint64_t>>& replayed) const;
  Status Commit(EntryBatch& batch);
  // The rules' context for entry `index` of this log at `log_time`.
  rules::RuleContext RulesAt(uint64_t index, int64_t log_time) const;

  std::unique_ptr<Store> owned_store_;  // set when opened with LogOptions
  Store* store_ = nullptr;
  std::unique_ptr<StoredLog> stored_;   // destroyed before owned_store_
  std::unique_ptr<listings::LogListings> listings_;  // of *stored_
  KeyTable keys_;  // written under append_mu_
  std::optional<NamedKey> node_key_;
  std::optional<Sm2Key> sm2_key_;
  std::mutex append_mu_;  // serialises appends; held across a whole batch
  std::function<void()> before_lock_for_testing_;
  // The last few batches committed (oldest first), under append_mu_. Two
  // appenders (custosd's group commit) find one batch committed while they
  // checked theirs; a few more cover a burst.
  static constexpr size_t kRecentBatches = 8;
  std::deque<CommittedBatch> recent_;
};

}  // namespace custos
