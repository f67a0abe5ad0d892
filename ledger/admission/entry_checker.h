// The checks a stored or received log entry must pass, shared by full
// verification (ledger/log/verify.h) and replication (ledger/log/replica.h), so that
// a replica accepts exactly the entries that verification of the origin's own
// log would accept. See docs/replication.md.
//
// Two steps, as for submissions (ledger/admission/submission.h): ParseEntry needs no log
// state (canonical form, submission fields and identifiers, author signature,
// leaf hash) and runs on any thread; EntryChecker then checks, in index
// order, what depends on the entries before: index, prevHash chain, logTime
// order, the author's clock against the entry's logTime, and authority.
// Replay uniqueness is the caller's (verification and replication consult the
// replay index differently). rules::CheckEntryRules (ledger/rules/rule_state.h)
// then applies the rules per statement family as a follower does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "ledger/admission/authority.h"
#include "ledger/admission/submission.h"
#include "ledger/storage/layout.h"

namespace custos {

// One entry parsed and checked on its own.
struct ParsedEntry {
  std::optional<schema::CanonicalMessage<schema::LogEntry>> entry;
  std::optional<CheckedSubmission> submission;
  Hash leaf_hash;  // merkle::LeafHash of the entry bytes
  Status status;   // Corruption "entry N: …" if a check failed; then the rest is unset
};

// Parses canonical LogEntry bytes claimed to be entry `index` (used only in
// messages). Thread-safe.
ParsedEntry ParseEntry(ByteSpan raw, uint64_t index);

// Checks entries of one log in order. Not thread-safe.
class EntryChecker {
 public:
  // `origin`: the log's origin. `genesis_key`: when set, entry 0 must be a
  // genesis naming exactly this node key (a replica knows the origin's key
  // from the federation file; the own log's key comes from its genesis).
  EntryChecker(std::string origin, int64_t max_clock_skew_ms, std::optional<PublicKey> genesis_key);

  // Continues after entry next_index - 1, whose leaf hash is `prev_leaf`
  // (zeros for next_index 0) and logTime `last_time`.
  void Resume(uint64_t next_index, const Hash& prev_leaf, int64_t last_time);

  // Checks `p` as entry next_index() against `authority` (the key table after
  // the entries before it; not changed here: the caller applies the
  // statement). Advances on success. Corruption "entry N: <check>: …" otherwise.
  Status CheckNext(const ParsedEntry& p, const Authority& authority);

  uint64_t next_index() const { return next_; }

 private:
  std::string origin_;
  int64_t max_clock_skew_ms_;
  std::optional<PublicKey> genesis_key_;
  uint64_t next_ = 0;
  Hash prev_;
  int64_t last_time_ = INT64_MIN;
};

}  // namespace custos
