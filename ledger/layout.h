// The LevelDB key space of a Custos node (docs/leveldb-layout.md).
//
// Every key starts with one prefix byte; integers are big-endian so that
// LevelDB's bytewise order is numeric order. `log` is the node's local number
// for a log: 0 for its own log, 1, 2, … for the replicas of its peers' logs
// (allocated in the log directory, the 'o' records; ledger/store.h).
//
//   'E' | log (u32) | index (u64)         -> canonical LogEntry bytes
//   'R' | log (u32) | SHA-256(statement)  -> index (u64): replay index
//   'T' | log (u32) | level (u8) | n (u64) -> stored tile (ledger/tiles.h)
//   'c' | log (u32) | size (u64)          -> the signed checkpoint for that size
//                                            (one per committed batch)
//   'f'                                   -> format version, decimal text ("2")
//   'h' | log (u32)                       -> LogHead (see below)
//   'k' | log (u32) | public key (32)     -> KeyState (ledger/authority.h)
//   'o' | origin bytes                    -> log (u32)
//   's' | log (u32) | size (u64) | witness key id (u32) | witness name
//                                         -> a witness's cosignature line for the
//                                            checkpoint of that size (C2SP
//                                            tlog-cosignature, "— name base64\n")
//   'w' | log (u32)                       -> WitnessState: what this node last
//                                            cosigned for that (replicated) log
//   'x' | origin bytes                    -> EquivocationProof (ledger/equivocation.h)
//
// The order of the prefixes is chosen for compaction: entries, by far the
// most data, come first, and new ones always sort after the old ones, so a
// flushed table holding new entries and the small, often-rewritten records
// (head, edge tiles, checkpoints) overlaps no older entry table, and LevelDB
// moves entry tables down the levels without rewriting them.
//
// LogHead = size (u64) | root (32) | leaf hash of entry size-1, or zeros (32)
//           | signed checkpoint note (rest of the value)
//   For the own log the note is the one it signed at `size`. For a replica it
//   is the origin's latest note at a size the replica holds (<= size; empty
//   until the replica first reaches the size of a note it was given).
//
// WitnessState = size (u64) | root (32) | timestamp (u64, seconds)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "ledger/tiles.h"

namespace custos::layout {

inline constexpr char kEntryPrefix = 'E';
inline constexpr char kReplayPrefix = 'R';
inline constexpr char kTilePrefix = 'T';
inline constexpr char kCheckpointPrefix = 'c';
inline constexpr char kFormatKey[] = "f";
inline constexpr char kFormatVersion[] = "2";
inline constexpr char kHeadPrefix = 'h';
inline constexpr char kKeyPrefix = 'k';
// Listings map nodes (ledger/listings_map.h, docs/listings-map.md).
inline constexpr char kMapNodePrefix = 'm';
inline constexpr char kOriginPrefix = 'o';
inline constexpr char kCosignaturePrefix = 's';
inline constexpr char kWitnessPrefix = 'w';
inline constexpr char kEquivocationPrefix = 'x';

using LogNumber = uint32_t;
inline constexpr LogNumber kOwnLog = 0;
inline constexpr LogNumber kFirstReplica = 1;

std::string OriginKey(std::string_view origin);
std::string HeadKey(LogNumber log);
std::string EntryKey(LogNumber log, uint64_t index);
std::string TileKey(LogNumber log, merkle::TileId id);
std::string ReplayKey(LogNumber log, const Hash& statement_hash);
std::string KeyStateKey(LogNumber log, const PublicKey& key);
std::string CheckpointKey(LogNumber log, uint64_t size);
// The prefix of every cosignature record of the checkpoint of `size`.
std::string CosignaturePrefix(LogNumber log, uint64_t size);
std::string CosignatureKey(LogNumber log, uint64_t size, uint32_t key_id, std::string_view witness_name);
std::string WitnessKey(LogNumber log);
std::string EquivocationKey(std::string_view origin);
// The prefix shared by all keys of `prefix` kind for `log` (for iteration).
std::string LogPrefix(char prefix, LogNumber log);

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
