// Checking what a node answers to a case trail or a referral audit
// (docs/audit.md) before a client shows any of it: each log's checkpoint the
// answer names, against the federation the client trusts, and each entry it
// cites, against its log's checkpoint. The node's side (ledger/query/audit.h)
// builds the answers; the wire form (schema/rpc.capnp) is the caller's to
// unpack into the plain structs here.
//
// Thread-safety: an AnswerChecker is not thread-safe (one per answer).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/tlog/checkpoint.h"
#include "trust/federation.h"

namespace custos::trust {

// One log as an answer names it.
struct AnsweredLog {
  std::string origin;
  std::string checkpoint;  // the signed note with its cosignatures; "" for a log without one yet
};

// One entry an answer cites.
struct CitedAnswerEntry {
  std::string origin;
  uint64_t index = 0;
  Bytes entry;               // canonical LogEntry bytes
  std::vector<Bytes> proof;  // RFC 9162 inclusion proof to the log's checkpoint, 32 bytes a hash
};

// A cited entry, checked and decoded.
struct CheckedEntry {
  std::string origin;
  uint64_t index = 0;
  Hash leaf;                  // RFC 6962 leaf hash of the entry
  int64_t log_time = 0;
  std::string kind;           // schema::StatementKind, e.g. "evidence-registered"
  nlohmann::json statement;   // schema::StatementToJson of its statement
};

// A log whose checkpoint is known good, and what vouches for it.
struct CheckedLog {
  Checkpoint checkpoint;
  std::string how;
};

// Checks that `entry` (canonical LogEntry bytes) is entry `index` of the tree
// `checkpoint` commits to, by `proof`: its own index field and the RFC 9162
// proof. Corruption "entry N of ORIGIN: …" naming what failed.
Status CheckCitedEntry(ByteSpan entry, uint64_t index, std::span<const Hash> proof, const Checkpoint& checkpoint);

// Checks what one finding of a referral audit cites: `positions` into the
// answer's `cited_count` checked entries, at least one. Corruption "a finding
// cites entry N of the answer, which has M" or "a finding of the answer cites
// no entry".
Status CheckFindingCitations(std::span<const uint32_t> positions, size_t cited_count);

class AnswerChecker {
 public:
  // Checks logs against `trust` when given (borrowed; it must outlive the
  // checker); without it only AddCheckedLog adds logs.
  explicit AnswerChecker(const Federation* trust) : trust_(trust) {}

  // Checks a log's checkpoint against the federation
  // (Federation::CheckCheckpoint) and keeps it. A log without a checkpoint is
  // skipped: nothing can be cited from it. Corruption naming what failed,
  // also for an origin the federation does not list; FailedPrecondition if
  // the checker has no federation.
  Status AddLog(const AnsweredLog& log);
  // Keeps a checkpoint the caller checked some other way, saying how. The
  // first checkpoint kept for an origin stays.
  void AddCheckedLog(const std::string& origin, Checkpoint checkpoint, std::string how);

  // Checks a cited entry against its log's checkpoint (CheckCitedEntry) and
  // decodes it. Corruption "entry N of ORIGIN: …" if the answer has no
  // checked checkpoint of that log, a proof hash is not 32 bytes, the proof
  // does not lead to the root, or the entry does not decode.
  Result<CheckedEntry> CheckEntry(const CitedAnswerEntry& cited) const;

  // The logs kept so far, by origin.
  const std::map<std::string, CheckedLog>& logs() const { return logs_; }

 private:
  const Federation* trust_;
  std::map<std::string, CheckedLog> logs_;
};

}  // namespace custos::trust
