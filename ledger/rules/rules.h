// The rules per statement family (docs/rules.md): what an entry may say
// given the log's state before it. One function, CheckRules, decides them for
// the node's own appends (Log::Append), for replication (Replica::Apply) and
// for full verification, so that a node that breaks them is caught by every
// follower.
//
// The state the rules need lives in LevelDB next to the entries, written in
// the same WriteBatch (docs/leveldb-layout.md): per log, each evidence's
// custody state ('v'), each case's state ('a'), each entry that another entry
// may point at — a custody transfer, a referral, a listing — ('q'), and each
// such pointer already used by a receipt, an answer or a delisting ('u').
// Beside them, indexes for queries across every log the node holds: evidence
// by content digest ('d') and by evidence id ('e'), entries by case id ('g'),
// listings by subject ('j'). Checking an entry costs a few point reads and no
// scan; reopening a log replays nothing.
//
// Thread-safety: CheckRules is a pure function of its arguments and of what
// `source` returns; RuleSource implementations say their own.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/storage/layout.h"
#include "schema/custos.capnp.h"

namespace custos::rules {

// ------------------------------------------------------------ records

enum class EvidenceStatus : uint8_t {
  kHeld = 1,       // held by `holder` in this agency
  kInTransit = 2,  // sent to another agency's log (`to_origin`), not received back
  kDisposed = 3,   // released, returned or destroyed: nothing more may happen to it
};

// 'v' | log | evidence id: one piece of evidence as this log knows it.
struct EvidenceRecord {
  EvidenceStatus status = EvidenceStatus::kHeld;
  uint64_t since = 0;          // the entry that made it known: registration or a receipt from another log
  uint64_t last_transfer = 0;  // the last custodyTransferred of it in this log; 0: none
  uint64_t disposed_at = 0;    // the evidenceDisposed entry; 0: not disposed
  std::string holder;          // current holder (in transit: the intended receiver)
  std::string to_origin;       // in transit: the receiving agency's log

  std::string Encode() const;
  static std::optional<EvidenceRecord> Decode(std::string_view bytes);
  bool operator==(const EvidenceRecord&) const = default;
};

// 'a' | log | case id: a case opened in this log.
struct CaseRecord {
  uint64_t opened_at = 0;
  uint64_t decided_at = 0;  // the last caseDecided; 0: none
  uint64_t closed_at = 0;   // 0: open

  std::string Encode() const;
  static std::optional<CaseRecord> Decode(std::string_view bytes);
  bool operator==(const CaseRecord&) const = default;
};

enum class TargetKind : uint8_t { kTransfer = 1, kReferral = 2, kListing = 3 };

// 'q' | log | index: an entry another entry may reference, with what the
// rules need to know about it. Written once, never changed.
struct TargetRecord {
  TargetKind kind = TargetKind::kTransfer;
  std::string id;         // transfer: evidence id; referral: case id; listing: case ref
  std::string to_origin;  // transfer, referral: the receiving log ("" for a same-agency transfer)
  std::string to_holder;  // transfer: the receiving holder
  int64_t answer_by = 0;  // referral: the answer deadline
  int64_t publication_ends = 0;          // listing
  uint8_t subject_kind = 0;              // listing: schema::PartyKind
  std::optional<Hash> subject_key;       // listing of an organisation: its subject key

  std::string Encode() const;
  static std::optional<TargetRecord> Decode(std::string_view bytes);
  bool operator==(const TargetRecord&) const = default;
};

// 'u' | log | target origin | 0x00 | target index -> the entry of this log
// that used the reference (u64): a receipt of a transfer, the answer to a
// referral, the delisting of a listing. Each may be used once.
std::string EncodeUse(uint64_t by);
std::optional<uint64_t> DecodeUse(std::string_view bytes);

// The value of the query-index records 'e' and 'g': the entry's body kind.
std::string EncodeKind(schema::Statement::Body::Which kind);

// ------------------------------------------------------------ checking

// Where CheckRules reads the state before the entry. Keys are layout keys.
class RuleSource {
 public:
  virtual ~RuleSource() = default;
  // The value at `key` in the state before the entry: the store's records as
  // changed by the earlier entries of the same batch. nullopt if absent.
  virtual Result<std::optional<std::string>> Get(const std::string& key) = 0;
  // The leaf hash of entry `index` of the checked log when it is an earlier
  // entry of the same batch (not in the database yet); nullopt otherwise.
  virtual std::optional<Hash> PendingLeaf(uint64_t /*index*/) { return std::nullopt; }
};

struct RuleContext {
  std::string_view origin;      // the checked log's origin
  layout::LogNumber log = 0;    // its number in the store
  uint64_t index = 0;           // the entry's index
  int64_t log_time = 0;         // the entry's logTime
  // The origins of the federation; referrals and transfers to another agency
  // must name one. nullptr or empty: not checked (see docs/rules.md).
  const std::set<std::string>* known_origins = nullptr;
  // True for the node's own appends: a reference to another log must be to
  // an entry this node holds. False for replication and verification: such a
  // reference is accepted unchecked (and counted) when the store does not
  // hold that log up to that index, so replication never depends on the
  // order in which logs are synced.
  bool require_held_references = true;
};

// What an accepted entry changes: the rule-state records of its log, which
// later entries read, and the query-index records, which they never read.
struct RuleEffects {
  std::vector<std::pair<std::string, std::string>> state;
  std::vector<std::pair<std::string, std::string>> index;
  uint32_t unchecked_references = 0;
};

// Checks `statement` as entry ctx.index of log ctx.log. On success, what it
// changes. Errors name the field and the reason:
//   FailedPrecondition — the log's state forbids it ("body.custodyTransferred.
//     fromHolder: evidence E is held by "X", not "Y"", "… which this node does
//     not hold: sync that log first");
//   InvalidArgument — a reference that points at the wrong thing ("…: entry 4
//     of this log is not a custody transfer", "… holds a different leaf hash");
//   IOError / Corruption — reading the state failed or a record is malformed.
Result<RuleEffects> CheckRules(schema::Statement::Reader statement, const RuleContext& ctx, RuleSource& source);

// The rule family of a statement kind ("custody", "case", "listing"), or
// nullptr for kinds that no rule constrains.
const char* RuleFamily(schema::Statement::Body::Which kind);

// True if `key` is a rule-state record of `log` ('v', 'a', 'q', 'u').
bool IsStateKey(std::string_view key, layout::LogNumber log);
// The log number a query-index key ('d', 'e', 'g', 'j') names; nullopt if
// the key is malformed.
std::optional<layout::LogNumber> IndexKeyLog(std::string_view key);

}  // namespace custos::rules
