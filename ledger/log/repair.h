// Repairing a damaged own log from the federation (docs/operations.md).
//
// A node's store is damaged when its own log lost entries it acknowledged (its
// head is behind the signed mark, ledger/storage/signed_mark.h) or holds entries that
// are missing or do not match its tree. Every peer keeps a verified replica of
// the log; a repair takes from them what the store lost, and takes nothing on
// trust: an entry below the stored head must hash to the leaf the stored tree
// holds (whose root the node signed), and the entries between the head and
// the mark are re-applied with every check of full verification, exactly as a
// follower applies them, against the checkpoint the node signed at the mark.
// The log then verifies, and the node appends from the size it signed, so it
// never signs anything inconsistent with what it handed out.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/storage/store.h"

namespace custos {

// Where a repair gets entries it cannot read locally: a peer, which holds the
// node's own log as a replica and the logs it follows (over RPC in the
// command line).
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  // Canonical LogEntry bytes of entries [start, start + count) of the log of
  // `origin` as the source holds them; fewer if it holds fewer. Its own
  // errors (IOError when it cannot be reached).
  virtual Result<std::vector<Bytes>> Entries(const std::string& origin, uint64_t start, uint32_t count) = 0;
};

struct RepairReport {
  uint64_t size = 0;            // the own log's size after the repair
  uint64_t replaced = 0;        // entries below a stored head (of any log) missing or damaged
  uint64_t reapplied = 0;       // entries between the stored head and the signed mark
  uint64_t from_source = 0;     // of those, the entries the source gave
  bool salvaged_leveldb = false;  // LevelDB's own repair ran first (a database did not open)
};

// Repairs the own log of the store at options.path (not open elsewhere)
// against its signed mark, whose note must verify with `node_key` (the
// node's verifier key: name = origin). A database that LevelDB refuses to
// open as Corruption is first salvaged with leveldb::RepairDB: what it keeps
// is checked like everything else. Ends with a full verification of the own
// log. OK with a report (nothing to do is a report of zeros); FailedPrecondition
// when there is no mark to repair against; Corruption when the source's
// entries do not match what the node signed, or the store is damaged past
// what this repair mends (its tree, or its state below the head: restore a
// backup, then repair); IOError from the disk or the source.
Result<RepairReport> RepairOwnLog(const StoreOptions& options, const NoteVerifier& node_key, EntrySource& source,
                                  const std::function<void(const std::string& step)>& progress);

}  // namespace custos
