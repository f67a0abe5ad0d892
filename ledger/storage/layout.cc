#include "ledger/storage/layout.h"

#include <algorithm>

#include "crypto/binary.h"

namespace custos::layout {

namespace {
// prefix || log (u32): the start of every per-log key.
BinaryWriter Prefixed(char prefix, LogNumber log) {
  BinaryWriter k;
  k.PutU8(static_cast<uint8_t>(prefix));
  k.PutU32(log);
  return k;
}

// prefix || log || an index or size (u64).
std::string PrefixedIndex(char prefix, LogNumber log, uint64_t index) {
  BinaryWriter k = Prefixed(prefix, log);
  k.PutU64(index);
  return k.Take();
}

// prefix || log || an id, or a fixed-size key.
std::string PrefixedId(char prefix, LogNumber log, std::string_view id) {
  BinaryWriter k = Prefixed(prefix, log);
  k.PutBytes(id);
  return k.Take();
}
}  // namespace

std::string OriginKey(std::string_view origin) { return std::string(1, kOriginPrefix).append(origin); }

std::string HeadKey(LogNumber log) { return Prefixed(kHeadPrefix, log).Take(); }

std::string EntryKey(LogNumber log, uint64_t index) { return PrefixedIndex(kEntryPrefix, log, index); }

std::string TileKey(LogNumber log, merkle::TileId id) {
  BinaryWriter k = Prefixed(kTilePrefix, log);
  k.PutU8(id.level);
  k.PutU64(id.index);
  return k.Take();
}

std::string ReplayKey(LogNumber log, int64_t statement_time, const Hash& statement_hash) {
  BinaryWriter k = Prefixed(kReplayPrefix, log);
  // Offset binary: bytewise order is the order of the signed times.
  k.PutU64(static_cast<uint64_t>(statement_time) ^ (uint64_t{1} << 63));
  k.PutHash(statement_hash);
  return k.Take();
}

std::string KeyStateKey(LogNumber log, const PublicKey& key) {
  return PrefixedId(kKeyPrefix, log, AsString(key.span()));
}

std::string CheckpointKey(LogNumber log, uint64_t size) { return PrefixedIndex(kCheckpointPrefix, log, size); }

std::string CosignaturePrefix(LogNumber log, uint64_t size) { return PrefixedIndex(kCosignaturePrefix, log, size); }

std::string CosignatureKey(LogNumber log, uint64_t size, uint32_t key_id, std::string_view witness_name) {
  BinaryWriter k(CosignaturePrefix(log, size));
  k.PutU32(key_id);
  k.PutBytes(witness_name);
  return k.Take();
}

std::string WitnessKey(LogNumber log) { return Prefixed(kWitnessPrefix, log).Take(); }

std::string EquivocationKey(std::string_view origin) {
  return std::string(1, kEquivocationPrefix).append(origin);
}

std::string LogPrefix(char prefix, LogNumber log) { return Prefixed(prefix, log).Take(); }

// The checkpoint is the rest of the record, with no length.
std::string LogHead::Encode() const {
  BinaryWriter w;
  w.Put(size, root, last_leaf);
  w.PutBytes(checkpoint);
  return w.Take();
}

std::optional<LogHead> LogHead::Decode(std::string_view bytes) {
  BinaryReader r(bytes);
  LogHead h;
  r.Get(h.size, h.root, h.last_leaf);
  h.checkpoint = r.GetRest();
  if (!r.AtEnd()) return std::nullopt;
  return h;
}

std::string WitnessState::Encode() const { return EncodeFields(size, root, timestamp); }

std::optional<WitnessState> WitnessState::Decode(std::string_view bytes) {
  WitnessState w;
  if (!DecodeFields(bytes, w.size, w.root, w.timestamp)) return std::nullopt;
  return w;
}

// ------------------------------------------------------------ rules

namespace {
std::string WithEntry(std::string prefix, LogNumber log, uint64_t index) {
  BinaryWriter k(std::move(prefix));
  k.PutU32(log);
  k.PutU64(index);
  return k.Take();
}
std::string Terminated(char prefix, std::string_view id) {
  std::string k(1, prefix);
  k.append(id);
  k.push_back('\0');
  return k;
}
}  // namespace

std::string EvidenceStateKey(LogNumber log, std::string_view evidence_id) {
  return PrefixedId(kEvidenceStatePrefix, log, evidence_id);
}

std::string CaseStateKey(LogNumber log, std::string_view case_id) { return PrefixedId(kCaseStatePrefix, log, case_id); }

std::string PrivateKey(LogNumber log, uint64_t index) { return PrefixedIndex(kPrivatePrefix, log, index); }

std::string ListingSetKey(LogNumber log, const Hash& subject_key) {
  return PrefixedId(kListingSetPrefix, log, AsString(subject_key.span()));
}

std::string HistoryKey(LogNumber log, char map, const Hash& key) {
  return PrefixedId(kHistoryPrefix, log, std::string(1, map) + std::string(AsString(key.span())));
}

std::string TargetKey(LogNumber log, uint64_t index) { return PrefixedIndex(kTargetPrefix, log, index); }

std::string UsedKey(LogNumber log, std::string_view target_origin, uint64_t target_index) {
  BinaryWriter k = Prefixed(kUsedPrefix, log);
  k.PutBytes(target_origin);
  k.PutU8(0);  // origins never hold 0x00
  k.PutU64(target_index);
  return k.Take();
}

std::string DigestIndexPrefix(uint8_t algorithm, ByteSpan digest) {
  std::string k(1, kDigestIndexPrefix);
  k.push_back(static_cast<char>(algorithm));
  return k.append(AsString(digest.first(std::min(digest.size(), kDigestIndexBytes))));
}

std::string DigestIndexKey(uint8_t algorithm, ByteSpan digest, LogNumber log, uint64_t index) {
  return WithEntry(DigestIndexPrefix(algorithm, digest), log, index);
}

std::string EvidenceIndexPrefix(std::string_view evidence_id) { return Terminated(kEvidenceIndexPrefix, evidence_id); }

std::string EvidenceIndexKey(std::string_view evidence_id, LogNumber log, uint64_t index) {
  return WithEntry(EvidenceIndexPrefix(evidence_id), log, index);
}

std::string CaseIndexPrefix(std::string_view case_id) { return Terminated(kCaseIndexPrefix, case_id); }

std::string CaseIndexKey(std::string_view case_id, LogNumber log, uint64_t index) {
  return WithEntry(CaseIndexPrefix(case_id), log, index);
}

std::string SubjectIndexPrefix(const Hash& subject_key) {
  return std::string(1, kSubjectIndexPrefix).append(AsString(subject_key.span()));
}

std::string SubjectIndexKey(const Hash& subject_key, LogNumber log, uint64_t index) {
  return WithEntry(SubjectIndexPrefix(subject_key), log, index);
}

IndexedEntry IndexedEntryAtEnd(std::string_view key) {
  BinaryReader r(key.substr(key.size() - 12));
  IndexedEntry at;
  at.log = r.GetU32();
  at.index = r.GetU64();
  return at;
}

}  // namespace custos::layout
