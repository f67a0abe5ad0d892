// The options of every LevelDB read in the ledger.
#pragma once

#include <leveldb/options.h>

namespace custos {

// Block checksums are verified on every read, so a damaged block reads as
// Corruption instead of as other bytes. `fill_cache` false for scans, which
// must not evict the proof-serving working set.
inline leveldb::ReadOptions CheckedReads(bool fill_cache = true) {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = fill_cache;
  return ro;
}

}  // namespace custos
