#include "ledger/layout.h"

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

std::string ReplayKey(LogNumber log, const Hash& statement_hash) {
  return Prefixed(kReplayPrefix, log).append(AsString(statement_hash.span()));
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

}  // namespace custos::layout
