#include "ledger/storage/layout.h"

#include <algorithm>

namespace custos::layout {

namespace {
std::string Prefixed(char prefix, LogNumber log) {
  std::string k(1, prefix);
  PutBigEndian32(&k, log);
  return k;
}
}  // namespace

std::string OriginKey(std::string_view origin) { return std::string(1, kOriginPrefix).append(origin); }

std::string HeadKey(LogNumber log) { return Prefixed(kHeadPrefix, log); }

std::string EntryKey(LogNumber log, uint64_t index) {
  std::string k = Prefixed(kEntryPrefix, log);
  PutBigEndian64(&k, index);
  return k;
}

std::string TileKey(LogNumber log, merkle::TileId id) {
  std::string k = Prefixed(kTilePrefix, log);
  k.push_back(static_cast<char>(id.level));
  PutBigEndian64(&k, id.index);
  return k;
}

std::string ReplayKey(LogNumber log, int64_t statement_time, const Hash& statement_hash) {
  std::string k = Prefixed(kReplayPrefix, log);
  // Offset binary: bytewise order is the order of the signed times.
  PutBigEndian64(&k, static_cast<uint64_t>(statement_time) ^ (uint64_t{1} << 63));
  return k.append(AsString(statement_hash.span()));
}

std::string KeyStateKey(LogNumber log, const PublicKey& key) {
  return Prefixed(kKeyPrefix, log).append(AsString(key.span()));
}

std::string CheckpointKey(LogNumber log, uint64_t size) {
  std::string k = Prefixed(kCheckpointPrefix, log);
  PutBigEndian64(&k, size);
  return k;
}

std::string CosignaturePrefix(LogNumber log, uint64_t size) {
  std::string k = Prefixed(kCosignaturePrefix, log);
  PutBigEndian64(&k, size);
  return k;
}

std::string CosignatureKey(LogNumber log, uint64_t size, uint32_t key_id, std::string_view witness_name) {
  std::string k = CosignaturePrefix(log, size);
  PutBigEndian32(&k, key_id);
  return k.append(witness_name);
}

std::string WitnessKey(LogNumber log) { return Prefixed(kWitnessPrefix, log); }

std::string EquivocationKey(std::string_view origin) {
  return std::string(1, kEquivocationPrefix).append(origin);
}

std::string LogPrefix(char prefix, LogNumber log) { return Prefixed(prefix, log); }

std::string LogHead::Encode() const {
  std::string out;
  PutBigEndian64(&out, size);
  out.append(AsString(root.span()));
  out.append(AsString(last_leaf.span()));
  out.append(checkpoint);
  return out;
}

std::optional<LogHead> LogHead::Decode(std::string_view bytes) {
  if (bytes.size() < 8 + 2 * Hash::kSize) return std::nullopt;
  auto p = reinterpret_cast<const uint8_t*>(bytes.data());
  LogHead h;
  h.size = GetBigEndian64(p);
  std::memcpy(h.root.bytes.data(), p + 8, Hash::kSize);
  std::memcpy(h.last_leaf.bytes.data(), p + 8 + Hash::kSize, Hash::kSize);
  h.checkpoint = std::string(bytes.substr(8 + 2 * Hash::kSize));
  return h;
}

std::string WitnessState::Encode() const {
  std::string out;
  PutBigEndian64(&out, size);
  out.append(AsString(root.span()));
  PutBigEndian64(&out, timestamp);
  return out;
}

std::optional<WitnessState> WitnessState::Decode(std::string_view bytes) {
  if (bytes.size() != 8 + Hash::kSize + 8) return std::nullopt;
  auto p = reinterpret_cast<const uint8_t*>(bytes.data());
  WitnessState w;
  w.size = GetBigEndian64(p);
  std::memcpy(w.root.bytes.data(), p + 8, Hash::kSize);
  w.timestamp = GetBigEndian64(p + 8 + Hash::kSize);
  return w;
}

// ------------------------------------------------------------ rules

namespace {
std::string WithEntry(std::string k, LogNumber log, uint64_t index) {
  PutBigEndian32(&k, log);
  PutBigEndian64(&k, index);
  return k;
}
std::string Terminated(char prefix, std::string_view id) {
  std::string k(1, prefix);
  k.append(id);
  k.push_back('\0');
  return k;
}
}  // namespace

std::string EvidenceStateKey(LogNumber log, std::string_view evidence_id) {
  return Prefixed(kEvidenceStatePrefix, log).append(evidence_id);
}

std::string CaseStateKey(LogNumber log, std::string_view case_id) {
  return Prefixed(kCaseStatePrefix, log).append(case_id);
}

std::string PrivateKey(LogNumber log, uint64_t index) {
  std::string k = Prefixed(kPrivatePrefix, log);
  PutBigEndian64(&k, index);
  return k;
}

std::string ListingSetKey(LogNumber log, const Hash& subject_key) {
  return Prefixed(kListingSetPrefix, log).append(AsString(subject_key.span()));
}

std::string TargetKey(LogNumber log, uint64_t index) {
  std::string k = Prefixed(kTargetPrefix, log);
  PutBigEndian64(&k, index);
  return k;
}

std::string UsedKey(LogNumber log, std::string_view target_origin, uint64_t target_index) {
  std::string k = Prefixed(kUsedPrefix, log).append(target_origin);
  k.push_back('\0');
  PutBigEndian64(&k, target_index);
  return k;
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
  const auto* end = reinterpret_cast<const uint8_t*>(key.data() + key.size());
  return IndexedEntry{GetBigEndian32(end - 12), GetBigEndian64(end - 8)};
}

}  // namespace custos::layout
