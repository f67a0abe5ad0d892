#include "ledger/listings/histories.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <functional>

#include "crypto/binary.h"
#include "crypto/sha256.h"
#include "ledger/admission/authority.h"
#include "ledger/admission/entry_checker.h"
#include "ledger/listings/listings_state.h"
#include "ledger/storage/checked_reads.h"

namespace custos::listings {

namespace {

using Which = schema::Statement::Body::Which;

constexpr std::string_view kCustodyKeyTag = "custos/custody-key/v1";
constexpr std::string_view kAuthorityKeyTag = "custos/authority-key/v1";
constexpr std::string_view kHistoryTag = "custos/history/v1";
constexpr std::string_view kHistoryValueTag = "custos/history-value/v1";

SubjectKey TaggedKey(std::string_view tag, ByteSpan id) {
  Sha256& h = ThreadSha256();
  h.Update(tag).Update(uint8_t{0}).Update(id);
  return SubjectKey::FromHash(h.Finish());
}

char Prefix(HistoryMap map) { return static_cast<char>(map); }

Result<History> ReadHistory(const Store& store, layout::LogNumber log, HistoryMap map, const SubjectKey& key,
                            const leveldb::Snapshot* snapshot) {
  leveldb::ReadOptions options = CheckedReads();
  options.snapshot = snapshot;
  std::string value;
  leveldb::Status s = store.db().Get(options, layout::HistoryKey(log, Prefix(map), Hash{key.bytes}), &value);
  if (s.IsNotFound()) return History{};
  if (!s.ok()) return FromLevelDb(s, std::string("reading the ") + std::string(HistoryMapName(map)) + " history");
  auto decoded = History::Decode(value);
  if (!decoded) {
    return Status::Corruption(std::string(HistoryMapName(map)) + " history of key " + HexEncode(key.span()) +
                              ": malformed record");
  }
  return *decoded;
}

Result<Hash> MapRoot(const Store& store, layout::LogNumber log, HistoryMap map, const leveldb::Snapshot* snapshot) {
  SnapshotMapNodeStore nodes(store.db(), log, snapshot, Prefix(map));
  return ListingsMap(nodes, nullptr, MapHashing::kCompact).Root();
}

}  // namespace

std::string_view HistoryMapName(HistoryMap map) { return map == HistoryMap::kCustody ? "custody" : "authority"; }

SubjectKey CustodyKey(std::string_view evidence_id) { return TaggedKey(kCustodyKeyTag, AsBytes(evidence_id)); }
SubjectKey AuthorityKey(const PublicKey& key) { return TaggedKey(kAuthorityKeyTag, key.span()); }

void History::Add(uint64_t index, const Hash& leaf) {
  Sha256& h = ThreadSha256();
  BinaryWriter w;
  w.PutU64(index);
  h.Update(kHistoryTag).Update(running.span()).Update(w.Take()).Update(leaf.span());
  running = h.Finish();
  ++count;
}

Hash History::Value() const {
  Sha256& h = ThreadSha256();
  BinaryWriter w;
  w.PutU64(count);
  h.Update(kHistoryValueTag).Update(w.Take()).Update(running.span());
  return h.Finish();
}

std::string History::Encode() const {
  BinaryWriter w;
  w.PutU64(count);
  w.PutHash(running);
  return w.Take();
}

std::optional<History> History::Decode(std::string_view bytes) {
  BinaryReader r(bytes);
  History h;
  h.count = r.GetU64();
  h.running = r.GetHash();
  if (!r.AtEnd() || h.count == 0) return std::nullopt;
  return h;
}

std::optional<std::string> CustodyEvidenceId(schema::Statement::Reader statement) {
  auto body = statement.getBody();
  auto id = [](capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); };
  switch (body.which()) {
    case Which::EVIDENCE_REGISTERED: return id(body.getEvidenceRegistered().getEvidenceId());
    case Which::CUSTODY_TRANSFERRED: return id(body.getCustodyTransferred().getEvidenceId());
    case Which::CUSTODY_RECEIVED: return id(body.getCustodyReceived().getEvidenceId());
    case Which::EVIDENCE_EXAMINED: return id(body.getEvidenceExamined().getEvidenceId());
    case Which::EVIDENCE_DISPOSED: return id(body.getEvidenceDisposed().getEvidenceId());
    default: return std::nullopt;
  }
}

void AddHistoryChanges(schema::Statement::Reader statement, uint64_t index, const Hash& leaf,
                       std::span<const PublicKey> keys_changed, std::vector<HistoryChange>& out) {
  if (auto id = CustodyEvidenceId(statement)) out.push_back({HistoryMap::kCustody, CustodyKey(*id), index, leaf});
  for (const PublicKey& key : keys_changed) out.push_back({HistoryMap::kAuthority, AuthorityKey(key), index, leaf});
}

std::vector<std::string> HistoryLines(const HistoryRoots& roots) {
  return {RootLine(HistoryMapName(HistoryMap::kCustody), roots.custody),
          RootLine(HistoryMapName(HistoryMap::kAuthority), roots.authority)};
}

Status CheckHistoryLines(std::span<const std::string> extensions, const HistoryRoots& rebuilt) {
  CUSTOS_RETURN_IF_ERROR(CheckRootLine(extensions, "custody", rebuilt.custody, "custody map"));
  return CheckRootLine(extensions, "authority", rebuilt.authority, "authority map");
}

Result<std::optional<Hash>> HistoryRootOf(std::span<const std::string> extensions, HistoryMap map) {
  return RootOfLine(extensions, HistoryMapName(map));
}

Result<HistoryRoots> LogHistories::Apply(std::span<const HistoryChange> changes, leveldb::WriteBatch& writes) const {
  Store& store = log_.store();
  // Each touched key's history, read once and folded in index order.
  std::map<std::pair<HistoryMap, SubjectKey>, History> touched;
  for (const HistoryChange& c : changes) {
    auto slot = touched.find({c.map, c.key});
    if (slot == touched.end()) {
      CUSTOS_ASSIGN_OR_RETURN(History stored, ReadHistory(store, log_.number(), c.map, c.key, nullptr));
      slot = touched.emplace(std::make_pair(c.map, c.key), stored).first;
    }
    slot->second.Add(c.index, c.leaf);
  }
  std::map<HistoryMap, std::vector<MapUpdate>> updates;
  for (const auto& [which, history] : touched) {
    writes.Put(layout::HistoryKey(log_.number(), Prefix(which.first), Hash{which.second.bytes}), history.Encode());
    updates[which.first].push_back({which.second, history.Value()});
  }
  HistoryRoots roots;
  for (HistoryMap map : {HistoryMap::kCustody, HistoryMap::kAuthority}) {
    Hash& root = map == HistoryMap::kCustody ? roots.custody : roots.authority;
    LevelDbMapNodeStore nodes(store.db(), log_.number(), writes, Prefix(map));
    // Hashed on this thread: a compact path is about log2(n) hashes, and
    // handing a batch's paths to the store's threads (busy verifying the
    // next batch's signatures) cost more than it saved (custos_bench, 100,000
    // registrations: 11,700 appends/s with, 13,400 without).
    ListingsMap tree(nodes, nullptr, MapHashing::kCompact);
    if (updates.count(map)) {
      CUSTOS_ASSIGN_OR_RETURN(root, tree.Apply(updates[map]));
    } else {
      CUSTOS_ASSIGN_OR_RETURN(root, tree.Root());
    }
  }
  return roots;
}

Result<HistoryRoots> LogHistories::Roots(const leveldb::Snapshot* snapshot) const {
  HistoryRoots roots;
  CUSTOS_ASSIGN_OR_RETURN(roots.custody, MapRoot(log_.store(), log_.number(), HistoryMap::kCustody, snapshot));
  CUSTOS_ASSIGN_OR_RETURN(roots.authority, MapRoot(log_.store(), log_.number(), HistoryMap::kAuthority, snapshot));
  return roots;
}

Result<History> LogHistories::HistoryOf(HistoryMap map, const SubjectKey& key, const leveldb::Snapshot* snapshot) const {
  return ReadHistory(log_.store(), log_.number(), map, key, snapshot);
}

Result<CompactMapProof> LogHistories::Prove(HistoryMap map, const SubjectKey& key,
                                            const leveldb::Snapshot* snapshot) const {
  SnapshotMapNodeStore nodes(log_.store().db(), log_.number(), snapshot, Prefix(map));
  return ListingsMap(nodes, nullptr, MapHashing::kCompact).ProveCompact(key);
}

void HistoriesRebuild::Add(const HistoryChange& change) {
  (change.map == HistoryMap::kCustody ? custody_ : authority_)[change.key].Add(change.index, change.leaf);
}

Result<HistoryRoots> HistoriesRebuild::Roots() const {
  HistoryRoots roots;
  for (HistoryMap map : {HistoryMap::kCustody, HistoryMap::kAuthority}) {
    MemoryMapNodeStore nodes;
    ListingsMap tree(nodes, nullptr, MapHashing::kCompact);
    std::vector<MapUpdate> updates;
    for (const auto& [key, history] : histories(map)) updates.push_back({key, history.Value()});
    CUSTOS_ASSIGN_OR_RETURN(Hash root, tree.Apply(updates));
    (map == HistoryMap::kCustody ? roots.custody : roots.authority) = root;
  }
  return roots;
}

Result<HistoryRoots> RebuildHistoryRoots(std::span<const Bytes> entries) {
  HistoriesRebuild rebuild;
  Authority authority;
  for (uint64_t i = 0; i < entries.size(); ++i) {
    ParsedEntry parsed = ParseEntry(entries[i], i);
    if (!parsed.status.ok()) return parsed.status;
    auto statement = parsed.submission->statement.get();
    std::vector<PublicKey> keys;
    authority.Apply(statement, [&](const PublicKey& key, const KeyState&) { keys.push_back(key); });
    std::vector<HistoryChange> changes;
    AddHistoryChanges(statement, i, parsed.leaf_hash, keys, changes);
    for (const auto& c : changes) rebuild.Add(c);
  }
  return rebuild.Roots();
}

}  // namespace custos::listings
