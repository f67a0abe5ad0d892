// A LevelDB Env that opens a database without changing anything on disk.
//
// LevelDB has no read-only open: DB::Open replays the write-ahead log into a
// new table, writes a new MANIFEST and CURRENT, deletes obsolete files and
// takes the LOCK. A command that only reads must not do any of that (it could
// delete what a repair still needs, and it could not run beside a live node,
// which holds the lock). Through this Env, every file LevelDB creates lives in
// memory, every file it deletes is only hidden, and the lock is not taken:
// the files on disk are read and never written, renamed or removed.
//
// Reading a database that a live node is writing is safe for what LevelDB
// reads at open: tables are immutable, and a record the node is still
// appending to a write-ahead log reads as the end of that log. A table the
// node deletes after a compaction while this view is open reads as IOError.
#pragma once

#include <leveldb/env.h>

#include <memory>

namespace custos {

// Returns an Env over `base` (not owned; must outlive it) that never writes,
// renames or removes a file of `base`, and whose locks lock nothing.
// Thread-safe, as LevelDB requires of an Env.
std::unique_ptr<leveldb::Env> NewReadOnlyEnv(leveldb::Env* base);

}  // namespace custos
