// Full verification of a stored log: every entry's canonical form, index and
// hash chain, every author signature, every clock, replay and authority
// decision replayed from genesis, every stored tile against a tree rebuilt
// from the entries, and the stored checkpoint's signature and contents.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "crypto/status.h"
#include "ledger/log.h"

namespace custos {

struct VerifyReport {
  uint64_t size = 0;
  Hash root;
  std::string checkpoint;
};

// Called after each chunk of entries with (entries checked, total).
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// Opens the log at options.path and checks all of it. OK with a report, or
// Corruption naming the first entry and check that failed.
Result<VerifyReport> VerifyStoredLog(const LogOptions& options, const ProgressFn& progress);

}  // namespace custos
