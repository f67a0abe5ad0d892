// Full verification of a stored log: every entry's canonical form, index and
// hash chain, every author signature, every clock, replay, authority and rule
// decision replayed from genesis (the rule state rebuilt in memory and
// compared with the stored rule-state and query-index records), every stored tile against a tree rebuilt
// from the entries, and the stored checkpoints' signatures and contents.
// The same checks cover the own log (Log::VerifyAll) and the replicas of the
// peers' logs (Replica::VerifyAll), entry by entry as ledger/admission/entry_checker.h
// defines them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/log/log.h"
#include "ledger/storage/store.h"

namespace custos {

struct VerifyReport {
  uint64_t size = 0;
  Hash root;
  std::string checkpoint;
  // References to entries of other logs that could not be checked because
  // the store does not hold that log, or not up to that index (docs/rules.md).
  // Syncing that log and verifying again checks them.
  uint64_t unchecked_references = 0;
  std::string origin;  // the one the log's genesis names, which every entry was checked against
};

// Called after each chunk of entries with (entries checked, total).
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// Checks every entry, tile, state record and checkpoint of `log`, as
// verification of the origin's own log does: for a replica (`replica`), the
// genesis must name `origin_key` and the head's note may be older than the
// head. The walk behind Log::VerifyAll and Replica::VerifyAll.
Result<VerifyReport> VerifyEntries(const StoredLog& log, std::optional<PublicKey> origin_key, bool replica,
                                   const ProgressFn& progress);

// Opens the log at options.path read-only (it changes nothing on disk, and
// may run beside a live node) and checks all of it. OK with a report, or
// Corruption naming the first entry and check that failed.
Result<VerifyReport> VerifyStoredLog(const LogOptions& options, const ProgressFn& progress);

// Opens the replica of `origin_key`'s log held in `store` (NotFound if the
// store holds none) and checks all of it as the origin's own log is checked,
// against the origin's key, plus the witness state and any equivocation
// proof kept for it. Errors as VerifyStoredLog.
Result<VerifyReport> VerifyStoredReplica(Store& store, const NoteVerifier& origin_key, const ProgressFn& progress);

// Progress of a check over several logs: `log` names the one being checked.
using LogProgressFn = std::function<void(const std::string& log, uint64_t done, uint64_t total)>;

// Verifies the log at options.path (VerifyStoredLog) and then, in the order
// given, the replica of every one of `replicas` the store holds (skipping
// the origins it holds no replica of, and the own log's origin). Read-only.
// The reports: the own log's first, then one per replica checked. The first
// failure, as Corruption naming the replica ("replica of ORIGIN: ...").
Result<std::vector<VerifyReport>> VerifyStoredLogs(const LogOptions& options, const std::vector<NoteVerifier>& replicas,
                                                   const LogProgressFn& progress);

}  // namespace custos
