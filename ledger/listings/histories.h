// The custody and authority maps of each log: what lets a verifier prove it
// holds the whole history of a piece of evidence, and every entry that bears
// on an author's authority, not a selection (docs/evidence-bundle.md,
// "Completeness").
//
// Two more maps of the listings map's kind (listings_map.h), hashed in its
// compact form (MapHashing::kCompact: about log2(n) hashes an update, where
// the listings map's form costs 256), per log:
//  - custody: key CustodyKey(evidence id); value the history of the custody
//    entries naming that evidence id in this log (evidenceRegistered,
//    custodyTransferred, custodyReceived, evidenceExamined, evidenceDisposed);
//  - authority: key AuthorityKey(public key); value the history of the
//    administration entries that change that key's state (the genesis for its
//    admin keys, keyGrant and keyRevoke of the key).
// A history is the entries' (index, leaf hash) in index order, folded:
//
//   running_0 = 32 zero bytes
//   running_n = SHA-256("custos/history/v1" || running_{n-1} || index (u64) || leaf (32))
//   value     = SHA-256("custos/history-value/v1" || n (u64) || running_n)
//
// Each map's root after a checkpoint's entries is an extension line of that
// checkpoint, "custody <base64 root>" and "authority <base64 root>", beside
// "listings <base64 root>"; a follower recomputes them from the entries, as it
// does the listings root. The (n, running) of each key is kept in a 'b' record
// next to the map (docs/leveldb-layout.md), so that a later batch can extend it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "ledger/listings/listings_map.h"
#include "ledger/storage/store.h"
#include "schema/custos.capnp.h"

namespace leveldb {
class Snapshot;
class WriteBatch;
}  // namespace leveldb

namespace custos::listings {

enum class HistoryMap : char {
  kCustody = layout::kCustodyMapPrefix,
  kAuthority = layout::kAuthorityMapPrefix,
};
// "custody" / "authority": the checkpoint line's keyword and the map's name.
std::string_view HistoryMapName(HistoryMap map);

SubjectKey CustodyKey(std::string_view evidence_id);
SubjectKey AuthorityKey(const PublicKey& key);

// The folded history of one key (above).
struct History {
  uint64_t count = 0;
  Hash running;

  void Add(uint64_t index, const Hash& leaf);
  Hash Value() const;
  // count (u64) || running (32).
  std::string Encode() const;
  static std::optional<History> Decode(std::string_view bytes);
  bool operator==(const History&) const = default;
};

// One entry's mark on one key's history.
struct HistoryChange {
  HistoryMap map = HistoryMap::kCustody;
  SubjectKey key;
  uint64_t index = 0;
  Hash leaf;
};

// The evidence id a custody entry names; nullopt for every other kind.
std::optional<std::string> CustodyEvidenceId(schema::Statement::Reader statement);

// The changes entry `index` (leaf hash `leaf`) makes to the histories: its
// evidence id's, if it is a custody entry, and each key whose state it
// changed (`keys_changed`: what Authority::Apply reported for it), in that order.
void AddHistoryChanges(schema::Statement::Reader statement, uint64_t index, const Hash& leaf,
                       std::span<const PublicKey> keys_changed, std::vector<HistoryChange>& out);

// The roots a checkpoint commits to besides the listings root.
struct HistoryRoots {
  Hash custody;
  Hash authority;
  bool operator==(const HistoryRoots&) const = default;
};

// The two extension lines, "custody …" then "authority …".
std::vector<std::string> HistoryLines(const HistoryRoots& roots);
// OK iff the lines hold exactly these roots (CheckRootLine for each).
Status CheckHistoryLines(std::span<const std::string> extensions, const HistoryRoots& rebuilt);
// The roots a checkpoint's lines claim; nullopt for a map whose line is absent.
// InvalidArgument for a malformed or doubled line.
Result<std::optional<Hash>> HistoryRootOf(std::span<const std::string> extensions, HistoryMap map);

// The histories of one stored log: its two maps and 'b' records.
//
// Thread-safety: Roots, HistoryOf and Prove may be called from any thread
// (`snapshot`: nullptr for the latest state); Apply is the log's writer's,
// serialised with its batches.
class LogHistories final {
 public:
  explicit LogHistories(const StoredLog& log) : log_(log) {}

  // Folds `changes` (one batch's, in index order) into the records and maps,
  // in `writes`, and returns the roots after them. Corruption for a malformed
  // record; IOError if a read fails.
  Result<HistoryRoots> Apply(std::span<const HistoryChange> changes, leveldb::WriteBatch& writes) const;
  Result<HistoryRoots> Roots(const leveldb::Snapshot* snapshot = nullptr) const;
  // A key's history; a count of 0 when it has none.
  Result<History> HistoryOf(HistoryMap map, const SubjectKey& key, const leveldb::Snapshot* snapshot = nullptr) const;
  Result<CompactMapProof> Prove(HistoryMap map, const SubjectKey& key,
                                const leveldb::Snapshot* snapshot = nullptr) const;

 private:
  const StoredLog& log_;
};

// The histories rebuilt in memory from a log's entries in index order: the
// reference the stored maps must agree with (full verification) and what a
// verifier of a bundle folds. Not thread-safe.
class HistoriesRebuild {
 public:
  void Add(const HistoryChange& change);
  const std::map<SubjectKey, History>& histories(HistoryMap map) const {
    return map == HistoryMap::kCustody ? custody_ : authority_;
  }
  Result<HistoryRoots> Roots() const;

 private:
  std::map<SubjectKey, History> custody_;
  std::map<SubjectKey, History> authority_;
};

// The roots after `entries` (canonical LogEntry bytes from index 0, in
// order), rebuilt in memory. Corruption if an entry does not parse.
Result<HistoryRoots> RebuildHistoryRoots(std::span<const Bytes> entries);

}  // namespace custos::listings
