// How a log's entries drive its listings map (docs/listings-map.md, "Wiring
// the map into the logs").
//
// Every log the node holds (its own and each replica) has its own map, under
// its log number. The map's value for a subject is the digest of the
// subject's live listings in that log: the subjectListed entries not yet
// ended by a subjectDelisted,
//
//   value = SHA-256("custos/listing-state/v1" || n (u32) || (index (u64) || leaf hash (32))^n)
//
// in index order; a subject with none is absent ("not listed"). A listing
// also lapses at its publicationEnds, which no entry marks: the verifier of
// an answer reads publicationEnds from the listing entries (bound to the
// value by their leaf hashes) and decides at its own time.
//
// The list behind each value is kept in 'l' records next to the map, so a
// delisting in a later batch can recompute the value. Log::Append and
// Replica::Apply apply a batch's changes to the map in the batch's own
// WriteBatch (LogListings::Apply), and every checkpoint carries the root
// after its entries as one extension line, "listings <base64 root>".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/listings/listings_map.h"
#include "ledger/storage/store.h"
#include "schema/custos.capnp.h"

namespace custos::listings {

// A live listing: the subjectListed entry's index and leaf hash.
struct LiveListing {
  uint64_t index = 0;
  Hash leaf;
  bool operator==(const LiveListing&) const = default;
};

// The 'l' record: (index (u64) | leaf hash (32))*, in index order.
std::string EncodeLiveListings(std::span<const LiveListing> listings);
// nullopt if the bytes are not whole items in strictly increasing index order.
std::optional<std::vector<LiveListing>> DecodeLiveListings(std::string_view bytes);

// The map value of a subject with these live listings (non-empty, index order).
Hash ListingStateDigest(std::span<const LiveListing> listings);

// The map key of the subject a subjectListed statement names. An
// organisation: DeriveSubjectKey(kind 0, subjectId). A person: the entry holds
// no id (it is in the private payload), so the key is
// DeriveSubjectKey(kind 1, the 32 privateDigest bytes).
// TODO(privacy): how a verifier who knows a person's resident id finds that
// person's key (from the private payload? a keyed hash the federation
// shares?) is open until private payloads exist; until then a person is
// queried by the listing's privateDigest.
SubjectKey SubjectKeyOfListing(schema::SubjectListed::Reader listing);

// The subject a query names: `id` as it was typed, and its canonical form.
struct SubjectQuery {
  std::string id;  // canonical: what answers name and keys are derived from
  SubjectKey key;
};

// The subject a query's `typed` id names: the unified social credit code of an
// organisation (ledger::NormalizeUnifiedSocialCreditCode: trimmed,
// upper-cased, then checked), or the hex privateDigest of a person's listing
// (see above; trimmed, lower-cased, 64 hex digits). InvalidArgument naming
// "id" and the reason if it names nobody: such a query has no answer, not
// even "not listed".
Result<SubjectQuery> SubjectOfQuery(SubjectKind kind, std::string_view typed);

// What one entry does to its log's map.
struct ListingChange {
  enum class Kind { kListed, kDelisted } kind = Kind::kListed;
  uint64_t index = 0;          // the entry
  Hash leaf;                   // its leaf hash (kListed)
  SubjectKey key;              // kListed: the subject
  uint64_t listing_index = 0;  // kDelisted: the listing it ends (same log; the rules checked it)
};
// nullopt for every statement kind but subjectListed and subjectDelisted.
std::optional<ListingChange> ListingChangeOf(schema::Statement::Reader statement, uint64_t index, const Hash& leaf);

// A log's listings rebuilt in memory from its entries, in index order: the
// reference the stored map and 'l' records must agree with (full
// verification, tests). Not thread-safe.
class ListingsRebuild {
 public:
  // Folds entry `index` (leaf hash `leaf`) in. Corruption if it delists no
  // live listing.
  Status Add(schema::Statement::Reader statement, uint64_t index, const Hash& leaf);
  // The live listings per subject (subjects with none left out).
  const std::map<SubjectKey, std::vector<LiveListing>>& live() const { return live_; }
  // The map root of live(), computed from nothing.
  Result<Hash> Root() const;

 private:
  std::map<SubjectKey, std::vector<LiveListing>> live_;
  std::map<uint64_t, SubjectKey> subject_of_;
};

// The map root after `entries` (canonical LogEntry bytes from index 0, in
// order), rebuilt in memory. Corruption if an entry does not parse or a
// delisting names no live listing.
Result<Hash> RebuildListingsRoot(std::span<const Bytes> entries);

// The listings map of one stored log and its 'l' records.
//
// Thread-safety: Root, LiveListingsOf and Prove may be called from any thread
// and read the committed state (or `snapshot`: nullptr is the latest state,
// a LevelDB snapshot makes a root and a proof agree with one head). Apply is
// the log's writer's, serialised with its batches.
class LogListings final {
 public:
  // `log` must outlive this object.
  explicit LogListings(const StoredLog& log) : log_(log) {}
  const StoredLog& log() const { return log_; }

  // Applies `changes` (a batch's, in index order) to the map and the 'l'
  // records, in `writes`, and returns the map root after them. Call once per
  // batch, before its commit. Corruption if a stored record is malformed or
  // a delisting names no live listing; IOError if a read fails.
  Result<Hash> Apply(std::span<const ListingChange> changes, leveldb::WriteBatch& writes) const;

  Result<Hash> Root(const leveldb::Snapshot* snapshot = nullptr) const;
  // A subject's live listings in this log.
  Result<std::vector<LiveListing>> LiveListingsOf(const SubjectKey& key,
                                                  const leveldb::Snapshot* snapshot = nullptr) const;
  Result<MapProof> Prove(const SubjectKey& key, const leveldb::Snapshot* snapshot = nullptr) const;

 private:
  const StoredLog& log_;
  // The top branches of the map, for Prove (thread-safe).
  mutable MapBranchCache branches_;
};

// --- The checkpoint extension lines (docs/checkpoint-format.md).

// "<keyword> <base64 root>" (without the '\n'): a map root a checkpoint
// commits to ("listings", and histories.h's "custody" and "authority").
std::string RootLine(std::string_view keyword, const Hash& root);
// The root of the one line with `keyword` among a checkpoint's extension
// lines; nullopt if there is none. InvalidArgument if the line is malformed
// or appears twice.
Result<std::optional<Hash>> RootOfLine(std::span<const std::string> extensions, std::string_view keyword);
// OK iff the extension lines hold exactly one `keyword` line with `rebuilt`;
// Corruption naming `what` ("listings map") and the mismatch otherwise.
Status CheckRootLine(std::span<const std::string> extensions, std::string_view keyword, const Hash& rebuilt,
                     std::string_view what);

inline constexpr std::string_view kListingsLineKeyword = "listings";
// "listings <base64 root>" (without the '\n').
std::string ListingsLine(const Hash& root);
// The root of the one "listings " line among a checkpoint's extension lines;
// nullopt if there is none. InvalidArgument if the line is malformed or
// appears twice.
Result<std::optional<Hash>> ListingsRootOf(std::span<const std::string> extensions);
// OK iff the extension lines hold exactly one "listings" line with `rebuilt`,
// the root a follower computed from the entries. Corruption naming the
// mismatch ("checkpoint: no \"listings\" line …", "checkpoint: listings root
// X does not match the map rebuilt from the entries, Y"); InvalidArgument as
// ListingsRootOf.
Status CheckListingsLine(std::span<const std::string> extensions, const Hash& rebuilt);

}  // namespace custos::listings
