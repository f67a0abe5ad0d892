// The LevelDB key space of a Custos node: every record's key and value is
// specified in docs/leveldb-layout.md (format kFormatVersion below); this
// header gives the prefixes and the functions that build and read keys.
//
// Every key starts with one prefix byte; integers are big-endian so that
// LevelDB's bytewise order is numeric order. `log` is the node's local number
// for a log: 0 for its own log, 1, 2, … for the replicas of its peers' logs
// (allocated in the log directory, the 'o' records; ledger/storage/store.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "ledger/tlog/tiles.h"

namespace custos::layout {

// Last in the key space: new entries always sort after every other key
// (docs/leveldb-layout.md, "The prefixes are ordered for compaction").
inline constexpr char kEntryPrefix = '~';
inline constexpr char kReplayPrefix = 'R';
inline constexpr char kTilePrefix = 'T';
inline constexpr char kCheckpointPrefix = 'c';
inline constexpr char kFormatKey[] = "f";
inline constexpr char kFormatVersion[] = "9";
inline constexpr char kHeadPrefix = 'h';
inline constexpr char kKeyPrefix = 'k';
// Live listings per subject (ledger/listings/listings_state.h) and the listings map's
// nodes (ledger/listings/listings_map.h); docs/listings-map.md.
inline constexpr char kListingSetPrefix = 'l';
inline constexpr char kMapNodePrefix = 'm';
// The custody and authority maps (ledger/listings/histories.h): their nodes,
// and the history record of each key ('b': count and running hash).
inline constexpr char kCustodyMapPrefix = 'C';
inline constexpr char kAuthorityMapPrefix = 'A';
inline constexpr char kHistoryPrefix = 'b';
inline constexpr char kOriginPrefix = 'o';
inline constexpr char kCosignaturePrefix = 's';
inline constexpr char kWitnessPrefix = 'w';
inline constexpr char kEquivocationPrefix = 'x';
// Rule state (per log) and query indexes (across logs): ledger/rules/rules.h.
inline constexpr char kCaseStatePrefix = 'a';
inline constexpr char kDigestIndexPrefix = 'd';
inline constexpr char kEvidenceIndexPrefix = 'e';
inline constexpr char kCaseIndexPrefix = 'g';
inline constexpr char kSubjectIndexPrefix = 'j';
inline constexpr char kTargetPrefix = 'q';
inline constexpr char kUsedPrefix = 'u';
inline constexpr char kEvidenceStatePrefix = 'v';
// Private payloads of person listings (ledger/personal/private_data.h).
inline constexpr char kPrivatePrefix = 'p';

using LogNumber = uint32_t;
inline constexpr LogNumber kOwnLog = 0;
inline constexpr LogNumber kFirstReplica = 1;

std::string OriginKey(std::string_view origin);
std::string HeadKey(LogNumber log);
std::string EntryKey(LogNumber log, uint64_t index);
std::string TileKey(LogNumber log, merkle::TileId id);
// Keyed by the statement's own time first, so that new records sort
// together (a statement is appended within the clock skew of its time).
std::string ReplayKey(LogNumber log, int64_t statement_time, const Hash& statement_hash);
std::string KeyStateKey(LogNumber log, const PublicKey& key);
std::string CheckpointKey(LogNumber log, uint64_t size);
// The prefix of every cosignature record of the checkpoint of `size`.
std::string CosignaturePrefix(LogNumber log, uint64_t size);
std::string CosignatureKey(LogNumber log, uint64_t size, uint32_t key_id, std::string_view witness_name);
std::string WitnessKey(LogNumber log);
// The live listings of one subject in one log ('l').
std::string ListingSetKey(LogNumber log, const Hash& subject_key);
// The history record of one key of the custody or authority map (`map`: the
// map's node prefix, kCustodyMapPrefix or kAuthorityMapPrefix).
std::string HistoryKey(LogNumber log, char map, const Hash& key);
std::string EquivocationKey(std::string_view origin);
// The prefix shared by all keys of `prefix` kind for `log` (for iteration).
std::string LogPrefix(char prefix, LogNumber log);

// Rule state of one log.
std::string EvidenceStateKey(LogNumber log, std::string_view evidence_id);
std::string CaseStateKey(LogNumber log, std::string_view case_id);
std::string TargetKey(LogNumber log, uint64_t index);
std::string UsedKey(LogNumber log, std::string_view target_origin, uint64_t target_index);
// Query indexes: the prefix of every record of one digest, evidence id, case
// id or subject, and one record's key.
// The digest index keys on the first kDigestIndexBytes of a digest.
inline constexpr size_t kDigestIndexBytes = 16;
std::string DigestIndexPrefix(uint8_t algorithm, ByteSpan digest);
std::string DigestIndexKey(uint8_t algorithm, ByteSpan digest, LogNumber log, uint64_t index);
std::string EvidenceIndexPrefix(std::string_view evidence_id);
std::string EvidenceIndexKey(std::string_view evidence_id, LogNumber log, uint64_t index);
std::string CaseIndexPrefix(std::string_view case_id);
std::string CaseIndexKey(std::string_view case_id, LogNumber log, uint64_t index);
std::string SubjectIndexPrefix(const Hash& subject_key);
std::string SubjectIndexKey(const Hash& subject_key, LogNumber log, uint64_t index);
// The private payload of the person listing at entry `index` of `log`.
std::string PrivateKey(LogNumber log, uint64_t index);
// (log, index) at the end of a query-index key.
struct IndexedEntry {
  LogNumber log = 0;
  uint64_t index = 0;
  auto operator<=>(const IndexedEntry&) const = default;
};
IndexedEntry IndexedEntryAtEnd(std::string_view key);  // key.size() >= 12

struct LogHead {
  uint64_t size = 0;
  Hash root;
  Hash last_leaf;
  std::string checkpoint;

  std::string Encode() const;
  static std::optional<LogHead> Decode(std::string_view bytes);
};

// The witness's own record for one replica: the checkpoint it last cosigned.
struct WitnessState {
  uint64_t size = 0;
  Hash root;
  uint64_t timestamp = 0;

  std::string Encode() const;
  static std::optional<WitnessState> Decode(std::string_view bytes);
};

}  // namespace custos::layout
