// A consistent copy of a node's store (docs/operations.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "ledger/log/verify.h"
#include "ledger/storage/store.h"

namespace custos {

struct BackupReport {
  uint64_t records = 0;   // records copied, entries included
  uint64_t entries = 0;   // entries copied, of every log
  uint64_t own_size = 0;  // the own log's size in the copy (0 if it has none)
};

// Writes into a new store at `path` (AlreadyExists if one is there) every
// record of `from` as of one moment: the main database under one snapshot,
// and of the entries only those below each log's head in that snapshot
// (entries below a head never change; those past it are not acknowledged).
// The copy's signed mark is its own log's checkpoint at that head, so the
// copy opens as the original would have at that moment; a node can start
// from it and `custos log verify` checks it. `from` may be a read-only view
// of a live node's store. `progress` (may be null) is called after each
// written batch with (entries copied, entries to copy). IOError or
// Corruption from either store.
Result<BackupReport> BackupStore(const Store& from, const std::string& path,
                                 const std::function<void(uint64_t done, uint64_t total)>& progress);

// A backup and the check that makes it one.
struct CheckedBackup {
  BackupReport copied;
  std::vector<VerifyReport> logs;  // the copy's own log, then each replica checked
};

// BackupStore(from, path) and then VerifyStoredLogs on the copy, against
// `replicas` (may be empty: the own log only). Progress names the stage:
// "copying", then each log verified. A copy that does not verify is
// Corruption "the copy does not verify: ..."; it is left in place for
// inspection.
Result<CheckedBackup> BackupAndVerify(const Store& from, const std::string& path,
                                      const std::vector<NoteVerifier>& replicas, const LogProgressFn& progress);

}  // namespace custos
