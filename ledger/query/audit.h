// The case trail and the referral audit (docs/audit.md): two
// queries across every log a Store holds — the node's own log and the
// replicas of its peers' logs — answered from one consistent state.
//
// Both read through a StoreSnapshot: a LevelDB snapshot, and for each log the
// signed checkpoint its head held at that moment (the "bound"). An answer
// only ever rests on entries below the bound of their log, so every entry it
// cites can be proved against that checkpoint, and what it says is "as of"
// those checkpoints. Entries a replica holds past its origin's latest note
// are ignored until a note covers them.
//
// Completeness: "no answer to referral R" or "no entry about case C in log L"
// is only as true as the replica of L is complete up to its bound. Replicas
// are verified entry by entry up to the sizes they hold (ledger/log/replica.h),
// and the bound is a checkpoint signed by L's origin over exactly those
// entries, so the claim rests on that checkpoint: an origin that hid an entry
// from its followers would have had to sign a checkpoint without it.
//
// ledger/ knows nothing of the federation file: which origins are bureaus and
// which are public-security agencies is passed in by the caller. A client
// checks the answers with trust/answer_checker.h.
//
// Thread-safety: a StoreSnapshot may be read from any thread; the functions
// here are pure functions of the snapshot and their options.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/checkpoint.h"
#include "schema/custos.capnp.h"

namespace leveldb {
class Snapshot;
}  // namespace leveldb

namespace custos::audit {

// One log as an answer saw it: the checkpoint its head held.
struct LogBound {
  std::string origin;
  layout::LogNumber log = 0;
  uint64_t size = 0;  // entries [0, size) are covered by `note`
  Hash root;
  std::string note;   // the signed checkpoint (origin's signature only); empty: none yet
};

// An entry an answer rests on.
struct CitedEntry {
  std::string origin;
  uint64_t index = 0;
  Hash leaf;                 // RFC 6962 leaf hash of `entry`
  int64_t log_time = 0;
  schema::Statement::Body::Which kind = schema::Statement::Body::GENESIS;
  Bytes entry;               // canonical LogEntry bytes

  bool operator<(const CitedEntry& o) const;  // the trail order (below)
};

// A consistent read of a Store.
class StoreSnapshot final {
 public:
  // Takes a LevelDB snapshot and reads every log's bound. IOError / Corruption
  // if the directory, a head or its checkpoint cannot be read.
  static Result<std::unique_ptr<StoreSnapshot>> Take(const Store& store);
  ~StoreSnapshot();
  StoreSnapshot(const StoreSnapshot&) = delete;
  StoreSnapshot& operator=(const StoreSnapshot&) = delete;

  const Store& store() const { return store_; }
  // Every log, by origin.
  const std::vector<LogBound>& logs() const { return logs_; }
  const LogBound* Find(std::string_view origin) const;
  const LogBound* FindNumber(layout::LogNumber log) const;

  // The value at `key` as of the snapshot; nullopt if absent.
  Result<std::optional<std::string>> Get(std::string_view key) const;
  // Entry `index` of `log` (which must be below its bound), parsed enough to
  // cite it. Corruption if it is missing or malformed.
  Result<CitedEntry> Cite(const LogBound& log, uint64_t index) const;
  // Calls fn(index, entry) for the entries [0, bound) of `log`, in order.
  Status ForEachEntry(const LogBound& log, const std::function<Status(const CitedEntry&)>& fn) const;
  // The entry of `by_log` that used the reference to (target, index) — a
  // receipt, an answer, a delisting — if it is below by_log's bound.
  Result<std::optional<uint64_t>> UsedBy(const LogBound& by_log, std::string_view target_origin,
                                         uint64_t target_index) const;

 private:
  StoreSnapshot(const Store& store, const leveldb::Snapshot* snapshot) : store_(store), snapshot_(snapshot) {}
  Status ReadBounds();

  const Store& store_;
  const leveldb::Snapshot* snapshot_;
  std::vector<LogBound> logs_;
};

// ------------------------------------------------------------ case trail

// Every entry about a case, across every log: the entries naming it (the 'g'
// index) and every entry about each piece of evidence registered for it (the
// 'e' index: transfers, receipts in other logs, examinations, disposal).
// In the trail order: by logTime
// (the appending node's clock), then by origin (bytewise), then by index.
// logTime orders the entries of one log (it never decreases along a log);
// across logs it is the nodes' clocks, so two entries of different logs a few
// milliseconds apart may be in either order of events — origin and index only
// make the order total and the same on every node.
struct CaseTrail {
  std::string case_id;
  std::vector<CitedEntry> entries;
  std::vector<LogBound> logs;  // every log searched, with the checkpoint it was searched up to
};

// InvalidArgument for an empty or over-long case id; IOError / Corruption as
// the snapshot's reads. An unknown case gives an empty trail.
Result<CaseTrail> BuildCaseTrail(const StoreSnapshot& snapshot, std::string_view case_id);

// ------------------------------------------------------------ referral audit

enum class FindingKind : uint8_t {
  // A referral whose answerBy is before `at`, with no referralAnswered for it
  // in the receiving agency's log.
  kReferralUnanswered = 1,
  // A case with a referral flagged crimeSuspected, decided or closed with no
  // earlier referral to a public-security agency.
  kSuspectedCrimeNotReferred = 2,
  // Evidence a referral names, with no custodyReceived of its transfer to the
  // receiving agency in that agency's log (or never transferred at all).
  kEvidenceNotReceived = 3,
  // A listing whose publicationEnds is at or before `at`, never delisted.
  kListingLapsedNotDelisted = 4,
};
// "referral-unanswered", "suspected-crime-not-referred", "evidence-not-received",
// "listing-lapsed-not-delisted".
const char* FindingName(FindingKind kind);

struct Finding {
  FindingKind kind = FindingKind::kReferralUnanswered;
  std::string origin;    // the bureau's log
  std::string case_id;
  std::string subject;   // evidence id; the receiving origin of a referral; "" otherwise
  int64_t deadline = 0;  // answerBy, or publicationEnds; 0 where none applies
  std::string detail;    // one sentence for a person
  std::vector<CitedEntry> entries;  // what the finding rests on, in log order
};

struct AuditOptions {
  int64_t at = 0;                             // ms since the epoch
  std::set<std::string> bureaus;              // origins whose logs are audited
  std::set<std::string> public_security;      // origins of public-security agencies
  // Called with (entries scanned, entries to scan) every few thousand entries
  // and at the end; may be empty.
  std::function<void(uint64_t, uint64_t)> progress;
};

struct AuditReport {
  int64_t at = 0;
  std::vector<LogBound> audited;         // the bureau logs held, with the checkpoint audited
  std::vector<LogBound> consulted;       // the other logs held (answers, receipts)
  std::vector<std::string> not_held;     // bureaus whose log this store does not hold
  uint64_t entries_scanned = 0;
  std::vector<Finding> findings;         // by bureau, then kind, then the first cited entry
};

// Audits every bureau log the snapshot holds at time options.at.
// InvalidArgument if `at` is not positive; IOError / Corruption as the reads.
Result<AuditReport> AuditReferrals(const StoreSnapshot& snapshot, const AuditOptions& options);

// ------------------------------------------------------------ proofs

// What an answer carries for its cited entries: each log's checkpoint at its
// bound with the cosignatures the store holds for it, and inclusion proofs
// against it. Tiles and cosignatures are read from the live database: the
// tree only grows, so proofs for sizes up to a bound never change, and
// cosignatures are only ever added. Not thread-safe (one per answer).
class AnswerProofs {
 public:
  explicit AnswerProofs(const StoreSnapshot& snapshot) : snapshot_(snapshot) {}
  ~AnswerProofs();
  // The bound's note followed by its cosignature lines; "" for a log without
  // a checkpoint yet. IOError / NotFound as StoredLog::CosignedCheckpointAt.
  Result<std::string> CosignedNote(const LogBound& log);
  // RFC 9162 inclusion proof of `entry` in its log's tree at the bound.
  Result<std::vector<Hash>> InclusionProof(const CitedEntry& entry);

 private:
  StoredLog& Stored(const LogBound& log);
  const StoreSnapshot& snapshot_;
  std::map<layout::LogNumber, std::unique_ptr<StoredLog>> logs_;
};

}  // namespace custos::audit
