#include "ledger/listings/listings_map.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <bit>
#include <mutex>
#include <cassert>
#include <cstring>
#include <utility>

#include "crypto/binary.h"
#include "crypto/sha256.h"
#include "crypto/text.h"
#include "ledger/storage/checked_reads.h"
#include "ledger/tlog/merkle.h"
#include "schema/custos.capnp.h"

namespace custos::listings {

// The kind byte is the schema's PartyKind ordinal; a new kind is added to both.
static_assert(static_cast<uint16_t>(schema::PartyKind::UNIFIED_SOCIAL_CREDIT_CODE) ==
              static_cast<uint8_t>(SubjectKind::kUnifiedSocialCreditCode));
static_assert(static_cast<uint16_t>(schema::PartyKind::RESIDENT_ID) == static_cast<uint8_t>(SubjectKind::kResidentId));

namespace {

constexpr std::string_view kSubjectDomain = "custos/subject/v1";
constexpr std::string_view kProofHeader = "custos/map-proof/v1";
constexpr size_t kBitmapSize = 32;

// --- Bits of keys and prefixes

// Bytes that hold the prefix of a node at `height`: the bits at heights
// 255 down to `height`.
size_t PrefixBytes(int height) { return static_cast<size_t>((kMapHeight - height + 7) / 8); }

// `key` with the bits below `height` cleared: the prefix of the node at
// `height` on the key's path.
SubjectKey Masked(SubjectKey key, int height) {
  for (int low = 0; low < height; low += 8) {
    const int clear = std::min(8, height - low);
    uint8_t& byte = key.bytes[31 - low / 8];
    byte = clear == 8 ? 0 : static_cast<uint8_t>(byte & (0xFF << clear));
  }
  return key;
}

// The highest height at which `a` and `b` differ; -1 if they are equal.
int HighestDifference(const SubjectKey& a, const SubjectKey& b) {
  for (int i = 0; i < 32; ++i) {
    const uint8_t x = static_cast<uint8_t>(a.bytes[i] ^ b.bytes[i]);
    if (x != 0) return (31 - i) * 8 + 7 - std::countl_zero(x);
  }
  return -1;
}

// True if `key` is inside the node (height, prefix).
bool Under(const SubjectKey& key, int height, const SubjectKey& prefix) {
  return HighestDifference(key, prefix) < height;
}

std::string Hex(ByteSpan b) { return HexEncode(b); }

const Hash kZero{};

// The hash at height `to` of a subtree whose only non-empty node at height
// `from` has hash `hash` and lies on the path of `path`: every sibling on the
// way up is empty. In a compact map a leaf (`leaf`: the node holds one key)
// is its subtree's hash at every height, and an empty sibling is zero.
Hash Lift(MapHashing hashing, Hash hash, int from, int to, const SubjectKey& path, bool leaf) {
  if (hashing == MapHashing::kCompact && leaf) return hash;
  for (int h = from; h < to; ++h) {
    const Hash& empty = hashing == MapHashing::kFull ? EmptyHash(h) : kZero;
    hash = path.Bit(h) ? InteriorHash(empty, hash) : InteriorHash(hash, empty);
  }
  return hash;
}

// Sets the bitmap bit and appends the sibling of each (height, sibling) in
// `found` (root first): the proof's order is lowest height first.
void PutSiblings(const std::vector<std::pair<int, Hash>>& found, std::array<uint8_t, 32>* bitmap,
                 std::vector<Hash>* siblings) {
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    (*bitmap)[31 - it->first / 8] |= static_cast<uint8_t>(1 << (it->first % 8));
    siblings->push_back(it->second);
  }
}

// --- Records (docs/listings-map.md, "Node layout")

// A subtree seen from its parent: its top node and its hash at the parent's
// height - 1 (at 256 for the head's subtree).
struct ChildRef {
  uint16_t height = 0;
  SubjectKey path;
  Hash hash;
};

struct Branch {
  ChildRef child[2];
};

struct Head {
  uint64_t count = 0;
  std::optional<ChildRef> top;  // set iff count > 0
};

std::string NodeName(const MapNodeId& id) {
  if (id.height == kMapHeadHeight) return "map head";
  if (id.height == 0) return "map leaf " + Hex(id.prefix.span());
  return "map branch " + std::to_string(id.height) + "/" +
         Hex(id.prefix.span().first(PrefixBytes(id.height)));
}

// height (u16) || the path's first PrefixBytes(height) bytes || hash (32).
void PutChild(BinaryWriter& out, const ChildRef& c) {
  out.PutU16(c.height);
  out.PutBytes(c.path.span().first(PrefixBytes(c.height)));
  out.PutHash(c.hash);
}

// A child whose top lies below `below` (its height is < below); nullopt if
// the record ends inside it or it is malformed.
std::optional<ChildRef> GetChild(BinaryReader& r, int below) {
  ChildRef c;
  c.height = r.GetU16();
  if (!r.ok() || c.height >= below) return std::nullopt;
  const std::string_view path = r.GetBytes(PrefixBytes(c.height));
  std::copy(path.begin(), path.end(), c.path.bytes.begin());
  c.hash = r.GetHash();
  if (!r.ok() || Masked(c.path, c.height) != c.path) return std::nullopt;
  return c;
}

Status Malformed(const MapNodeId& id, const std::string& why) {
  return Status::Corruption(NodeName(id) + ": " + why);
}

// --- Work: the changed part of the tree while an Apply runs

// A subtree in the new tree. kClean: unchanged since the last Apply; its hash
// at `hash_height` is known. kLeaf: a new or changed leaf. kBranch: a branch
// node whose record is (re)written. After hashing, every node's `hash` is its
// hash at its slot (the height below its parent, or 256).
struct Work {
  enum class Kind { kClean, kLeaf, kBranch };
  Kind kind = Kind::kClean;
  uint16_t height = 0;  // of the top node: 0 for a leaf
  SubjectKey path;      // the key, or the prefix of the top node
  Hash value;           // kLeaf
  Hash hash;
  int hash_height = 0;
  bool hashed = false;
  std::unique_ptr<Work> child[2];  // kBranch
};
using WorkPtr = std::unique_ptr<Work>;

// True if an update of `before` returned it as it was. (A changed branch is
// rewritten in place, so the pointer alone does not tell.)
bool Unchanged(const WorkPtr& now, const Work* before) {
  return now.get() == before && (now == nullptr || now->kind == Work::Kind::kClean);
}

WorkPtr CleanWork(const ChildRef& c, int hash_height) {
  auto w = std::make_unique<Work>();
  w->height = c.height;
  w->path = c.path;
  w->hash = c.hash;
  w->hash_height = hash_height;
  return w;
}

// Sets w.hash to the subtree's hash at height `slot`.
void HashInto(MapHashing hashing, Work& w, int slot) {
  if (w.hashed) return;
  Hash own = w.hash;
  int own_height = w.hash_height;
  if (w.kind == Work::Kind::kLeaf) {
    own = LeafHash(w.path, w.value);
    own_height = 0;
  } else if (w.kind == Work::Kind::kBranch) {
    HashInto(hashing, *w.child[0], w.height - 1);
    HashInto(hashing, *w.child[1], w.height - 1);
    own = InteriorHash(w.child[0]->hash, w.child[1]->hash);
    own_height = w.height;
  }
  assert(own_height <= slot && "an unchanged subtree was moved below its known hash");
  w.hash = Lift(hashing, own, own_height, slot, w.path, w.height == 0);
  w.hash_height = slot;
  w.hashed = true;
}

// Independent subtrees below the top `depth` branch levels, for hashing in parallel.
void CollectSubtrees(Work& w, int slot, int depth, std::vector<std::pair<Work*, int>>* out) {
  if (w.kind == Work::Kind::kBranch && depth > 0) {
    CollectSubtrees(*w.child[0], w.height - 1, depth - 1, out);
    CollectSubtrees(*w.child[1], w.height - 1, depth - 1, out);
    return;
  }
  if (w.kind != Work::Kind::kClean) out->emplace_back(&w, slot);
}

// Reads and checks records of one map.
class Records {
 public:
  explicit Records(MapNodeStore& store) : store_(store) {}

  Result<Head> ReadHead() {
    const MapNodeId id{kMapHeadHeight, {}};
    CUSTOS_ASSIGN_OR_RETURN(auto record, store_.Read(id));
    Head head;
    if (!record) return head;
    BinaryReader r(*record);
    head.count = r.GetU64();
    if (!r.ok()) return Malformed(id, "truncated");
    head.top = GetChild(r, kMapHeight + 1);
    if (!head.top || !r.AtEnd()) return Malformed(id, "malformed top reference");
    if (head.count == 0 || (head.top->height == 0) != (head.count == 1)) {
      return Malformed(id, "count " + std::to_string(head.count) + " does not fit a top node at height " +
                               std::to_string(head.top->height));
    }
    return head;
  }

  Result<Branch> ReadBranch(int height, const SubjectKey& prefix) {
    const MapNodeId id{static_cast<uint16_t>(height), prefix};
    CUSTOS_ASSIGN_OR_RETURN(auto record, store_.Read(id));
    if (!record) return Malformed(id, "missing (its parent names it)");
    BinaryReader r(*record);
    Branch b;
    for (int side = 0; side < 2; ++side) {
      auto c = GetChild(r, height);
      if (!c) return Malformed(id, "malformed child reference");
      if (!Under(c->path, height, prefix) || c->path.Bit(height - 1) != (side == 1)) {
        return Malformed(id, "child " + std::to_string(side) + " lies outside its subtree");
      }
      b.child[side] = *c;
    }
    if (!r.AtEnd()) return Malformed(id, "trailing bytes");
    return b;
  }

  // The value of a leaf; nullopt if there is no such leaf.
  Result<std::optional<Hash>> ReadLeaf(const SubjectKey& key) {
    const MapNodeId id{0, key};
    CUSTOS_ASSIGN_OR_RETURN(auto record, store_.Read(id));
    if (!record) return std::optional<Hash>();
    auto value = Hash::FromSpan(AsBytes(*record));
    if (!value) return Malformed(id, "value is " + std::to_string(record->size()) + " bytes, want 32");
    return value;
  }

  Result<Hash> ReadExistingLeaf(const SubjectKey& key) {
    CUSTOS_ASSIGN_OR_RETURN(auto value, ReadLeaf(key));
    if (!value) return Malformed({0, key}, "missing (its parent names it)");
    return *value;
  }

  // The hash of the top node of `c` at its own height.
  Result<Hash> OwnHash(const ChildRef& c) {
    if (c.height == 0) {
      CUSTOS_ASSIGN_OR_RETURN(Hash value, ReadExistingLeaf(c.path));
      return LeafHash(c.path, value);
    }
    CUSTOS_ASSIGN_OR_RETURN(Branch b, ReadBranch(c.height, c.path));
    return InteriorHash(b.child[0].hash, b.child[1].hash);
  }

 private:
  MapNodeStore& store_;
};

// Phase one of Apply: reads the affected paths and builds the new shape of
// the changed part of the tree, without hashing.
class Updater {
 public:
  explicit Updater(Records& records) : records_(records) {}

  // The new content of the slot at height `slot` that held `old` (nullptr:
  // empty), after `updates` (sorted, one per key, all inside the slot).
  // Returns `old` itself, still kClean, if nothing changed (see Unchanged).
  Result<WorkPtr> Update(WorkPtr old, int slot, std::span<const MapUpdate> updates) {
    if (updates.empty()) return old;
    std::vector<WorkPtr> items;
    if (old == nullptr) {
      AddNewLeaves(updates, &items);
      return Build(items, slot);
    }
    // Updates inside old's top node go down into it; the others can only add
    // new subjects beside it (erasing an absent key changes nothing).
    auto key_below = [](const MapUpdate& u, const SubjectKey& k) { return u.key < k; };
    auto key_above = [](const SubjectKey& k, const MapUpdate& u) { return k < u.key; };
    const size_t lo = static_cast<size_t>(
        std::lower_bound(updates.begin(), updates.end(), old->path, key_below) - updates.begin());
    const size_t hi = static_cast<size_t>(
        std::upper_bound(updates.begin(), updates.end(), HighEnd(old->path, old->height), key_above) -
        updates.begin());
    WorkPtr inner;
    if (old->height == 0) {
      CUSTOS_ASSIGN_OR_RETURN(inner, UpdateLeaf(std::move(old), updates.subspan(lo, hi - lo)));
    } else {
      CUSTOS_ASSIGN_OR_RETURN(inner, UpdateBranch(std::move(old), updates.subspan(lo, hi - lo)));
    }
    AddNewLeaves(updates.first(lo), &items);
    if (inner != nullptr) items.push_back(std::move(inner));
    AddNewLeaves(updates.subspan(hi), &items);
    return Build(items, slot);
  }

  const std::vector<MapNodeId>& erased() const { return erased_; }
  int64_t count_delta() const { return count_delta_; }
  size_t changed_leaves() const { return changed_leaves_; }

 private:
  // The largest key inside the node (height, prefix).
  static SubjectKey HighEnd(SubjectKey prefix, int height) {
    for (int low = 0; low < height; low += 8) {
      const int set = std::min(8, height - low);
      uint8_t& byte = prefix.bytes[31 - low / 8];
      byte = static_cast<uint8_t>(byte | (set == 8 ? 0xFF : (1 << set) - 1));
    }
    return prefix;
  }

  void AddNewLeaves(std::span<const MapUpdate> updates, std::vector<WorkPtr>* items) {
    for (const MapUpdate& u : updates) {
      if (!u.value) continue;
      items->push_back(NewLeaf(u.key, *u.value));
      ++count_delta_;
    }
  }

  WorkPtr NewLeaf(const SubjectKey& key, const Hash& value) {
    auto w = std::make_unique<Work>();
    w->kind = Work::Kind::kLeaf;
    w->path = key;
    w->value = value;
    ++changed_leaves_;
    return w;
  }

  // `updates` holds at most the one update of old's key.
  Result<WorkPtr> UpdateLeaf(WorkPtr old, std::span<const MapUpdate> updates) {
    if (updates.empty()) return old;
    const MapUpdate& u = updates[0];
    if (!u.value) {
      erased_.push_back({0, old->path});
      --count_delta_;
      return WorkPtr();
    }
    CUSTOS_ASSIGN_OR_RETURN(Hash current, records_.ReadExistingLeaf(old->path));
    if (current == *u.value) return old;
    return NewLeaf(old->path, *u.value);
  }

  Result<WorkPtr> UpdateBranch(WorkPtr old, std::span<const MapUpdate> updates) {
    if (updates.empty()) return old;
    const int h = old->height;
    CUSTOS_ASSIGN_OR_RETURN(Branch b, records_.ReadBranch(h, old->path));
    const size_t split = static_cast<size_t>(
        std::partition_point(updates.begin(), updates.end(), [h](const MapUpdate& u) { return !u.key.Bit(h - 1); }) -
        updates.begin());
    WorkPtr c[2] = {CleanWork(b.child[0], h - 1), CleanWork(b.child[1], h - 1)};
    const Work* before[2] = {c[0].get(), c[1].get()};
    CUSTOS_ASSIGN_OR_RETURN(c[0], Update(std::move(c[0]), h - 1, updates.first(split)));
    CUSTOS_ASSIGN_OR_RETURN(c[1], Update(std::move(c[1]), h - 1, updates.subspan(split)));
    if (Unchanged(c[0], before[0]) && Unchanged(c[1], before[1])) return old;
    if (c[0] != nullptr && c[1] != nullptr) {
      old->kind = Work::Kind::kBranch;
      old->child[0] = std::move(c[0]);
      old->child[1] = std::move(c[1]);
      return old;
    }
    // One side is now empty: the branch goes, the other side moves up.
    erased_.push_back({static_cast<uint16_t>(h), old->path});
    return c[0] != nullptr ? std::move(c[0]) : std::move(c[1]);
  }

  // A tree over `items` (sorted, disjoint subtrees) in the slot at `slot`.
  Result<WorkPtr> Build(std::span<WorkPtr> items, int slot) {
    if (items.empty()) return WorkPtr();
    if (items.size() == 1) {
      WorkPtr w = std::move(items[0]);
      // An unchanged subtree placed lower than where its hash is known:
      // start again from its top node's own hash.
      if (w->kind == Work::Kind::kClean && w->hash_height > slot) {
        CUSTOS_ASSIGN_OR_RETURN(w->hash, records_.OwnHash({w->height, w->path, {}}));
        w->hash_height = w->height;
      }
      return w;
    }
    const int d = HighestDifference(items.front()->path, items.back()->path);
    const size_t mid = static_cast<size_t>(
        std::partition_point(items.begin(), items.end(), [d](const WorkPtr& w) { return !w->path.Bit(d); }) -
        items.begin());
    auto branch = std::make_unique<Work>();
    branch->kind = Work::Kind::kBranch;
    branch->height = static_cast<uint16_t>(d + 1);
    branch->path = Masked(items.front()->path, d + 1);
    CUSTOS_ASSIGN_OR_RETURN(branch->child[0], Build(items.first(mid), d));
    CUSTOS_ASSIGN_OR_RETURN(branch->child[1], Build(items.subspan(mid), d));
    return branch;
  }

  Records& records_;
  std::vector<MapNodeId> erased_;
  int64_t count_delta_ = 0;
  size_t changed_leaves_ = 0;
};

// Phase three of Apply: the records of the changed nodes.
void WriteChanged(MapNodeStore& store, const Work& w) {
  if (w.kind == Work::Kind::kLeaf) {
    store.Write({0, w.path}, AsString(w.value.span()));
  } else if (w.kind == Work::Kind::kBranch) {
    BinaryWriter record;
    for (const auto& c : w.child) PutChild(record, {c->height, c->path, c->hash});
    store.Write({w.height, w.path}, record.Take());
    WriteChanged(store, *w.child[0]);
    WriteChanged(store, *w.child[1]);
  }
}

// Sorted by key, the last update of each key only.
std::vector<MapUpdate> Canonical(std::span<const MapUpdate> updates) {
  std::vector<MapUpdate> sorted(updates.begin(), updates.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const MapUpdate& a, const MapUpdate& b) { return a.key < b.key; });
  std::vector<MapUpdate> out;
  out.reserve(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && sorted[i + 1].key == sorted[i].key) continue;
    out.push_back(sorted[i]);
  }
  return out;
}

// Batches with fewer changed leaves than this hash on the calling thread.
constexpr size_t kParallelLeaves = 64;
// Branch levels split off for parallel hashing: up to 2^6 subtrees.
constexpr int kParallelDepth = 6;

}  // namespace

// --- Keys and hashing

SubjectKey DeriveSubjectKey(SubjectKind kind, std::string_view id) {
  BinaryWriter prefix(std::string{kSubjectDomain});
  prefix.Put(kind, static_cast<uint32_t>(id.size()));
  return SubjectKey::FromHash(ThreadSha256().Update(prefix.Take()).Update(id).Finish());
}

// The log tree's RFC 6962 hashes: SHA-256(0x00 || leaf) and SHA-256(0x01 || l || r).
Hash LeafHash(const SubjectKey& key, const Hash& value) {
  std::array<uint8_t, SubjectKey::kSize + Hash::kSize> leaf;
  std::memcpy(leaf.data(), key.bytes.data(), SubjectKey::kSize);
  std::memcpy(leaf.data() + SubjectKey::kSize, value.bytes.data(), Hash::kSize);
  return merkle::LeafHash(leaf);
}

Hash InteriorHash(const Hash& left, const Hash& right) { return merkle::NodeHash(left, right); }

const Hash& EmptyMapRoot(MapHashing hashing) { return hashing == MapHashing::kFull ? EmptyRoot() : kZero; }

const Hash& EmptyHash(int height) {
  static const std::array<Hash, kMapHeight + 1> empty = [] {
    std::array<Hash, kMapHeight + 1> e{};  // e[0]: 32 zero bytes
    for (int h = 0; h < kMapHeight; ++h) e[h + 1] = InteriorHash(e[h], e[h]);
    return e;
  }();
  return empty.at(static_cast<size_t>(height));
}

// --- Node storage

std::string MapNodeKey(layout::LogNumber log, const MapNodeId& id, char map) {
  BinaryWriter k(layout::LogPrefix(map, log));
  if (id.height == kMapHeadHeight) return k.Take();
  k.PutBytes(id.prefix.span());
  k.PutU16(static_cast<uint16_t>(kMapHeight - id.height));
  return k.Take();
}

Result<std::optional<std::string>> MemoryMapNodeStore::Read(const MapNodeId& id) {
  auto it = records_.find(id);
  if (it == records_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

void MemoryMapNodeStore::Write(const MapNodeId& id, std::string_view record) { records_[id] = std::string(record); }

void MemoryMapNodeStore::Erase(const MapNodeId& id) { records_.erase(id); }

LevelDbMapNodeStore::LevelDbMapNodeStore(leveldb::DB& db, layout::LogNumber log, leveldb::WriteBatch& batch, char map)
    : db_(db), log_(log), map_(map), batch_(batch) {}

SnapshotMapNodeStore::SnapshotMapNodeStore(leveldb::DB& db, layout::LogNumber log, const leveldb::Snapshot* snapshot,
                                           char map)
    : db_(db), log_(log), map_(map), options_(CheckedReads()) {
  options_.snapshot = snapshot;
}

Result<std::optional<std::string>> SnapshotMapNodeStore::Read(const MapNodeId& id) {
  std::string value;
  leveldb::Status s = db_.Get(options_, MapNodeKey(log_, id, map_), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (s.IsCorruption()) return Status::Corruption("reading " + NodeName(id) + ": " + s.ToString());
  if (!s.ok()) return Status::IOError("reading " + NodeName(id) + ": " + s.ToString());
  return std::optional<std::string>(std::move(value));
}

void SnapshotMapNodeStore::Write(const MapNodeId&, std::string_view) { assert(false && "read-only map store"); }
void SnapshotMapNodeStore::Erase(const MapNodeId&) { assert(false && "read-only map store"); }

Result<std::optional<std::string>> LevelDbMapNodeStore::Read(const MapNodeId& id) {
  const std::string key = MapNodeKey(log_, id, map_);
  if (auto it = pending_.find(key); it != pending_.end()) return it->second;
  std::string value;
  leveldb::Status s = db_.Get(CheckedReads(), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (s.IsCorruption()) return Status::Corruption("reading " + NodeName(id) + ": " + s.ToString());
  if (!s.ok()) return Status::IOError("reading " + NodeName(id) + ": " + s.ToString());
  return std::optional<std::string>(std::move(value));
}

void LevelDbMapNodeStore::Write(const MapNodeId& id, std::string_view record) {
  std::string key = MapNodeKey(log_, id, map_);
  batch_.Put(key, leveldb::Slice(record.data(), record.size()));
  pending_[std::move(key)] = std::string(record);
}

void LevelDbMapNodeStore::Erase(const MapNodeId& id) {
  std::string key = MapNodeKey(log_, id, map_);
  batch_.Delete(key);
  pending_[std::move(key)] = std::nullopt;
}

MapBranchCache::Generation::Generation(std::string head)
    : head_(std::move(head)), slots_(new std::atomic<const std::string*>[size_t{2} << (kMapHeight - kMinHeight)]) {
  for (size_t i = 0; i < size_t{2} << (kMapHeight - kMinHeight); ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
}

MapBranchCache::Generation::~Generation() {
  for (size_t i = 0; i < size_t{2} << (kMapHeight - kMinHeight); ++i) delete slots_[i].load(std::memory_order_relaxed);
}

// A complete binary tree's numbering: the node of depth k (k = 256 - height
// prefix bits) whose prefix reads p as a k-bit number is slot 2^k + p.
size_t MapBranchCache::Generation::Slot(const MapNodeId& id) {
  const int depth = kMapHeight - id.height;
  const size_t top = static_cast<size_t>(id.prefix.bytes[0]) << 8 | id.prefix.bytes[1];
  return (size_t{1} << depth) | (top >> (16 - depth));
}

const std::string* MapBranchCache::Generation::Find(const MapNodeId& id) const {
  return slots_[Slot(id)].load(std::memory_order_acquire);
}

void MapBranchCache::Generation::Insert(const MapNodeId& id, std::string_view record) {
  auto owned = std::make_unique<std::string>(record);
  const std::string* expected = nullptr;
  // A slot is filled once; a second reader of the same branch read the same record.
  if (slots_[Slot(id)].compare_exchange_strong(expected, owned.get(), std::memory_order_acq_rel)) owned.release();
}

std::shared_ptr<MapBranchCache::Generation> MapBranchCache::For(std::string_view head) {
  std::lock_guard lock(mu_);
  if (current_ == nullptr || current_->head() != head) current_ = std::make_shared<Generation>(std::string(head));
  return current_;
}

Result<std::optional<std::string>> CachingMapNodeStore::Read(const MapNodeId& id) {
  const bool cached = generation_ && id.height != kMapHeadHeight && id.height >= MapBranchCache::kMinHeight;
  if (cached) {
    if (const std::string* record = generation_->Find(id)) return std::optional<std::string>(*record);
  }
  CUSTOS_ASSIGN_OR_RETURN(auto record, inner_.Read(id));
  if (id.height == kMapHeadHeight) {
    generation_ = record ? cache_.For(*record) : nullptr;
  } else if (cached && record) {
    generation_->Insert(id, *record);
  }
  return record;
}

void CachingMapNodeStore::Write(const MapNodeId&, std::string_view) { assert(false && "read-only map store"); }
void CachingMapNodeStore::Erase(const MapNodeId&) { assert(false && "read-only map store"); }

// --- The map

ListingsMap::ListingsMap(MapNodeStore& store, ForEachFn for_each, MapHashing hashing)
    : store_(store), for_each_(std::move(for_each)), hashing_(hashing) {}

Result<Hash> ListingsMap::Root() const {
  Records records(store_);
  CUSTOS_ASSIGN_OR_RETURN(Head head, records.ReadHead());
  return head.top ? head.top->hash : EmptyMapRoot(hashing_);
}

Result<uint64_t> ListingsMap::Size() const {
  Records records(store_);
  CUSTOS_ASSIGN_OR_RETURN(Head head, records.ReadHead());
  return head.count;
}

Result<std::optional<Hash>> ListingsMap::Get(const SubjectKey& key) const {
  Records records(store_);
  return records.ReadLeaf(key);
}

Result<Hash> ListingsMap::Set(const SubjectKey& key, const Hash& value) {
  const MapUpdate u{key, value};
  return Apply(std::span(&u, 1));
}

Result<Hash> ListingsMap::Erase(const SubjectKey& key) {
  const MapUpdate u{key, std::nullopt};
  return Apply(std::span(&u, 1));
}

Result<Hash> ListingsMap::Apply(std::span<const MapUpdate> updates) {
  const std::vector<MapUpdate> sorted = Canonical(updates);
  Records records(store_);
  CUSTOS_ASSIGN_OR_RETURN(Head head, records.ReadHead());
  WorkPtr old = head.top ? CleanWork(*head.top, kMapHeight) : WorkPtr();
  const Work* before = old.get();
  Updater updater(records);
  CUSTOS_ASSIGN_OR_RETURN(WorkPtr top, updater.Update(std::move(old), kMapHeight, sorted));
  if (top != nullptr && Unchanged(top, before)) return head.top->hash;
  if (top == nullptr && before == nullptr) return EmptyMapRoot(hashing_);

  if (top != nullptr && for_each_ && updater.changed_leaves() >= kParallelLeaves) {
    // Hashing is nearly all of the cost (256 hashes per changed leaf), and
    // disjoint subtrees hash independently.
    std::vector<std::pair<Work*, int>> parts;
    CollectSubtrees(*top, kMapHeight, kParallelDepth, &parts);
    for_each_(parts.size(), [&](size_t i) { HashInto(hashing_, *parts[i].first, parts[i].second); });
  }
  for (const MapNodeId& id : updater.erased()) store_.Erase(id);
  const MapNodeId head_id{kMapHeadHeight, {}};
  if (top == nullptr) {
    store_.Erase(head_id);
    return EmptyMapRoot(hashing_);
  }
  HashInto(hashing_, *top, kMapHeight);
  WriteChanged(store_, *top);
  BinaryWriter record;
  record.PutU64(static_cast<uint64_t>(static_cast<int64_t>(head.count) + updater.count_delta()));
  PutChild(record, {top->height, top->path, top->hash});
  store_.Write(head_id, record.Take());
  return top->hash;
}

namespace {

// The key's path from the head down through the branches it lies under: the
// siblings passed, (height, hash) root first, and where it stops: the top
// node of the subtree it reached (nullopt for an empty map), a leaf or a
// branch the key is not under, in the slot at height `slot`.
struct Descent {
  std::vector<std::pair<int, Hash>> found;
  std::optional<ChildRef> end;
  int slot = kMapHeight;
};

Result<Descent> Descend(Records& records, const SubjectKey& key) {
  CUSTOS_ASSIGN_OR_RETURN(Head head, records.ReadHead());
  Descent d;
  d.end = head.top;
  while (d.end && d.end->height > 0 && Under(key, d.end->height, d.end->path)) {
    const int h = d.end->height;
    CUSTOS_ASSIGN_OR_RETURN(Branch b, records.ReadBranch(h, d.end->path));
    const int side = key.Bit(h - 1) ? 1 : 0;
    d.found.emplace_back(h - 1, b.child[1 - side].hash);
    d.end = b.child[side];
    d.slot = h - 1;
  }
  return d;
}

}  // namespace

Result<MapProof> ListingsMap::Prove(const SubjectKey& key) const {
  assert(hashing_ == MapHashing::kFull);
  Records records(store_);
  CUSTOS_ASSIGN_OR_RETURN(Descent d, Descend(records, key));
  MapProof proof;
  proof.key = key;
  if (d.end && d.end->height == 0 && d.end->path == key) {
    CUSTOS_ASSIGN_OR_RETURN(proof.value, records.ReadLeaf(key));
    if (!proof.value) return Malformed({0, key}, "missing (its parent names it)");
  } else if (d.end) {
    // The key's path leaves this subtree at height x + 1; below that, the
    // subtree is the key's only non-empty sibling.
    const int x = HighestDifference(key, d.end->path);
    CUSTOS_ASSIGN_OR_RETURN(Hash own, records.OwnHash(*d.end));
    d.found.emplace_back(x, Lift(hashing_, own, d.end->height, x, d.end->path, false));
  }
  PutSiblings(d.found, &proof.bitmap, &proof.siblings);
  return proof;
}

Result<CompactMapProof> ListingsMap::ProveCompact(const SubjectKey& key) const {
  assert(hashing_ == MapHashing::kCompact);
  Records records(store_);
  CUSTOS_ASSIGN_OR_RETURN(Descent d, Descend(records, key));
  CompactMapProof proof;
  proof.key = key;
  proof.height = static_cast<uint16_t>(d.slot);
  if (d.end && d.end->height == 0) {
    // The slot the path reached holds one key: the key's own or another.
    CUSTOS_ASSIGN_OR_RETURN(Hash value, records.ReadExistingLeaf(d.end->path));
    if (d.end->path == key) {
      proof.value = value;
    } else {
      proof.other = std::make_pair(d.end->path, value);
    }
  } else if (d.end) {
    // A branch the key is not under: the key's path leaves it at height
    // x + 1 and ends in the empty subtree beside it.
    const int x = HighestDifference(key, d.end->path);
    CUSTOS_ASSIGN_OR_RETURN(Hash own, records.OwnHash(*d.end));
    d.found.emplace_back(x, Lift(hashing_, own, d.end->height, x, d.end->path, false));
    proof.height = static_cast<uint16_t>(x);
  }
  PutSiblings(d.found, &proof.bitmap, &proof.siblings);
  return proof;
}

// --- Proofs

namespace {

size_t CountSiblings(const std::array<uint8_t, kBitmapSize>& bitmap) {
  size_t n = 0;
  for (uint8_t b : bitmap) n += static_cast<size_t>(std::popcount(b));
  return n;
}

Status SiblingCountMismatch(size_t got, size_t want) {
  return Status::InvalidArgument("map proof: " + std::to_string(got) + " sibling hashes, the bitmap announces " +
                                 std::to_string(want));
}

std::string Describe(const std::optional<Hash>& value) {
  return value ? "listed with value " + Hex(value->span()) : "not listed";
}

Result<Hash> Base64Hash(std::string_view b64, const std::string& what) {
  auto bytes = Base64Decode(b64);
  if (!bytes) return Status::InvalidArgument("map proof: " + what + " is not base64");
  auto h = Hash::FromSpan(*bytes);
  if (!h) return Status::InvalidArgument("map proof: " + what + " is " + std::to_string(bytes->size()) + " bytes, want 32");
  return *h;
}

Status ParseBitmap(std::string_view b64, std::array<uint8_t, kBitmapSize>* bitmap) {
  auto bytes = Base64Decode(b64);
  if (!bytes) return Status::InvalidArgument("map proof: bitmap is not base64");
  if (bytes->size() != kBitmapSize) {
    return Status::InvalidArgument(std::string("map proof: bitmap ") +
                                   (bytes->size() < kBitmapSize ? "truncated" : "oversized") + ": " +
                                   std::to_string(bytes->size()) + " bytes, want 32");
  }
  std::copy(bytes->begin(), bytes->end(), bitmap->begin());
  return Status::OK();
}

}  // namespace

Bytes MapProof::Encode() const {
  BinaryWriter w;
  w.PutBytes(key.span());
  w.PutU8(value ? 1 : 0);
  if (value) w.PutHash(*value);
  w.PutBytes(ByteSpan(bitmap));
  for (const Hash& h : siblings) w.PutHash(h);
  const std::string out = w.Take();
  return Bytes(out.begin(), out.end());
}

Result<MapProof> MapProof::Decode(ByteSpan bytes) {
  BinaryReader r(bytes);
  MapProof p;
  const std::string_view key = r.GetBytes(SubjectKey::kSize);
  const uint8_t flag = r.GetU8();
  if (!r.ok()) return Status::InvalidArgument("map proof: truncated in the key or flag");
  std::copy(key.begin(), key.end(), p.key.bytes.begin());
  if (flag > 1) return Status::InvalidArgument("map proof: listing flag is " + std::to_string(flag) + ", want 0 or 1");
  if (flag == 1) {
    p.value = r.GetHash();
    if (!r.ok()) return Status::InvalidArgument("map proof: truncated in the value");
  }
  if (r.remaining() < kBitmapSize) {
    return Status::InvalidArgument("map proof: bitmap truncated: " + std::to_string(r.remaining()) + " bytes, want 32");
  }
  const std::string_view bitmap = r.GetBytes(kBitmapSize);
  std::copy(bitmap.begin(), bitmap.end(), p.bitmap.begin());
  const size_t want = CountSiblings(p.bitmap);
  if (r.remaining() % Hash::kSize != 0) {
    return Status::InvalidArgument("map proof: " + std::to_string(r.remaining()) +
                                   " bytes after the bitmap, not a whole number of hashes");
  }
  if (r.remaining() / Hash::kSize != want) return SiblingCountMismatch(r.remaining() / Hash::kSize, want);
  for (size_t i = 0; i < want; ++i) p.siblings.push_back(r.GetHash());
  return p;
}

std::string MapProof::Format() const {
  std::string out(kProofHeader);
  out += "\nkey " + Base64Encode(key.span()) + "\n";
  out += value ? "listed " + Base64Encode(value->span()) + "\n" : "not-listed\n";
  out += "bitmap " + Base64Encode(ByteSpan(bitmap)) + "\n";
  for (const Hash& h : siblings) out += Base64Encode(h.span()) + "\n";
  return out;
}

Result<MapProof> MapProof::Parse(std::string_view text) {
  MapProof p;
  std::string_view line;
  if (!NextLine(&text, &line) || line != kProofHeader) {
    return Status::InvalidArgument("map proof: first line must be \"custos/map-proof/v1\"");
  }
  if (!NextLine(&text, &line) || !line.starts_with("key ")) return Status::InvalidArgument("map proof: missing \"key\" line");
  CUSTOS_ASSIGN_OR_RETURN(Hash key, Base64Hash(line.substr(4), "key"));
  p.key = SubjectKey::FromHash(key);
  if (!NextLine(&text, &line)) return Status::InvalidArgument("map proof: missing \"listed\" or \"not-listed\" line");
  if (line.starts_with("listed ")) {
    CUSTOS_ASSIGN_OR_RETURN(p.value, Base64Hash(line.substr(7), "value"));
  } else if (line != "not-listed") {
    return Status::InvalidArgument("map proof: third line must be \"listed <base64>\" or \"not-listed\"");
  }
  if (!NextLine(&text, &line) || !line.starts_with("bitmap ")) {
    return Status::InvalidArgument("map proof: missing \"bitmap\" line");
  }
  CUSTOS_RETURN_IF_ERROR(ParseBitmap(line.substr(7), &p.bitmap));
  const size_t want = CountSiblings(p.bitmap);
  while (NextLine(&text, &line)) {
    if (p.siblings.size() == want) return SiblingCountMismatch(want + 1, want);
    CUSTOS_ASSIGN_OR_RETURN(Hash h, Base64Hash(line, "sibling " + std::to_string(p.siblings.size() + 1)));
    p.siblings.push_back(h);
  }
  if (!text.empty()) return Status::InvalidArgument("map proof: last line does not end with a newline");
  if (p.siblings.size() != want) return SiblingCountMismatch(p.siblings.size(), want);
  return p;
}

Result<Hash> MapRootFromProof(const MapProof& proof) {
  const size_t want = CountSiblings(proof.bitmap);
  if (proof.siblings.size() != want) return SiblingCountMismatch(proof.siblings.size(), want);
  Hash cur = proof.value ? LeafHash(proof.key, *proof.value) : EmptyHash(0);
  // While the path is empty (below the lowest sibling of an absent key) its
  // node at height h + 1 is empty[h + 1] by definition: no hash to compute.
  bool empty = !proof.value;
  size_t next = 0;
  for (int h = 0; h < kMapHeight; ++h) {
    const Hash* sibling = &EmptyHash(h);
    if (proof.HasSibling(h)) {
      sibling = &proof.siblings[next++];
      if (*sibling == EmptyHash(h)) {
        return Status::InvalidArgument("map proof: sibling at height " + std::to_string(h) +
                                       " is the empty hash; its bitmap bit must be clear");
      }
      empty = false;
    }
    cur = empty ? EmptyHash(h + 1) : proof.key.Bit(h) ? InteriorHash(*sibling, cur) : InteriorHash(cur, *sibling);
  }
  return cur;
}

Status VerifyMapProof(const Hash& root, const SubjectKey& key, const std::optional<Hash>& value,
                      const MapProof& proof) {
  if (proof.key != key) {
    return Status::Corruption("map proof: the proof is for subject key " + Hex(proof.key.span()) + ", not " +
                              Hex(key.span()));
  }
  if (proof.value != value) {
    return Status::Corruption("map proof: the proof shows the subject " + Describe(proof.value) +
                              ", the claim is " + Describe(value));
  }
  CUSTOS_ASSIGN_OR_RETURN(Hash computed, MapRootFromProof(proof));
  if (computed != root) {
    return Status::Corruption("map proof: computed root " + Hex(computed.span()) + " does not match root " +
                              Hex(root.span()) + " (a stale root, or an altered sibling hash)");
  }
  return Status::OK();
}

// --- Compact proofs

namespace {

enum class End : uint8_t { kEmpty = 0, kOwnLeaf = 1, kOtherLeaf = 2 };

Status CompactMalformed(const std::string& why) { return Status::InvalidArgument("map proof: " + why); }

std::string DescribeHeld(const std::optional<Hash>& value) {
  return value ? "holds value " + Hex(value->span()) : "holds nothing";
}

}  // namespace

Bytes CompactMapProof::Encode() const {
  BinaryWriter w;
  w.PutBytes(key.span());
  if (value) {
    w.PutU8(static_cast<uint8_t>(End::kOwnLeaf));
    w.PutHash(*value);
  } else if (other) {
    w.PutU8(static_cast<uint8_t>(End::kOtherLeaf));
    w.PutBytes(other->first.span());
    w.PutHash(other->second);
  } else {
    w.PutU8(static_cast<uint8_t>(End::kEmpty));
  }
  w.PutU16(height);
  w.PutBytes(ByteSpan(bitmap));
  for (const Hash& h : siblings) w.PutHash(h);
  const std::string out = w.Take();
  return Bytes(out.begin(), out.end());
}

Result<CompactMapProof> CompactMapProof::Decode(ByteSpan bytes) {
  BinaryReader r(bytes);
  CompactMapProof p;
  const std::string_view key = r.GetBytes(SubjectKey::kSize);
  const uint8_t end = r.GetU8();
  if (!r.ok()) return CompactMalformed("truncated in the key or the end flag");
  std::copy(key.begin(), key.end(), p.key.bytes.begin());
  if (end == static_cast<uint8_t>(End::kOwnLeaf)) {
    p.value = r.GetHash();
  } else if (end == static_cast<uint8_t>(End::kOtherLeaf)) {
    const std::string_view other = r.GetBytes(SubjectKey::kSize);
    SubjectKey k;
    std::copy(other.begin(), other.end(), k.bytes.begin());
    p.other = std::make_pair(k, r.GetHash());
  } else if (end != static_cast<uint8_t>(End::kEmpty)) {
    return CompactMalformed("end flag is " + std::to_string(end) + ", want 0, 1 or 2");
  }
  p.height = r.GetU16();
  if (!r.ok()) return CompactMalformed("truncated in the value, the other leaf or the height");
  if (p.height > kMapHeight) return CompactMalformed("height " + std::to_string(p.height) + " is above the root (256)");
  if (r.remaining() < kBitmapSize) {
    return CompactMalformed("bitmap truncated: " + std::to_string(r.remaining()) + " bytes, want 32");
  }
  const std::string_view bitmap = r.GetBytes(kBitmapSize);
  std::copy(bitmap.begin(), bitmap.end(), p.bitmap.begin());
  const size_t want = CountSiblings(p.bitmap);
  if (r.remaining() % Hash::kSize != 0) {
    return CompactMalformed(std::to_string(r.remaining()) + " bytes after the bitmap, not a whole number of hashes");
  }
  if (r.remaining() / Hash::kSize != want) return SiblingCountMismatch(r.remaining() / Hash::kSize, want);
  for (size_t i = 0; i < want; ++i) p.siblings.push_back(r.GetHash());
  return p;
}

Result<Hash> CompactMapRootFromProof(const CompactMapProof& proof) {
  const int end = proof.height;
  if (end > kMapHeight) return CompactMalformed("height " + std::to_string(end) + " is above the root (256)");
  if (proof.value && proof.other) return CompactMalformed("the path ends at the key's own leaf and at another's");
  const size_t want = CountSiblings(proof.bitmap);
  if (proof.siblings.size() != want) return SiblingCountMismatch(proof.siblings.size(), want);
  for (int h = 0; h < end; ++h) {
    if (proof.HasSibling(h)) {
      return CompactMalformed("a sibling at height " + std::to_string(h) + ", below where the path ends (" +
                              std::to_string(end) + ")");
    }
  }
  // Where the path ends below the root, the subtree beside it is not empty
  // (else the two would have been one node, higher up).
  if (end < kMapHeight && !proof.HasSibling(end)) {
    return CompactMalformed("no sibling at height " + std::to_string(end) + ", where the path ends (not canonical)");
  }
  Hash cur = kZero;
  if (proof.value) {
    cur = LeafHash(proof.key, *proof.value);
  } else if (proof.other) {
    const int d = HighestDifference(proof.other->first, proof.key);
    if (d < 0) return CompactMalformed("the other leaf is the key's own");
    if (d >= end) {
      return CompactMalformed("the other leaf's key leaves the key's path at height " + std::to_string(d + 1) +
                              ", above where the path ends (" + std::to_string(end) + ")");
    }
    cur = LeafHash(proof.other->first, proof.other->second);
  }
  // Until the first sibling, the subtree below holds one key or none: its
  // hash rises unchanged.
  bool lone = true;
  size_t next = 0;
  for (int h = end; h < kMapHeight; ++h) {
    if (!proof.HasSibling(h)) {
      if (lone) continue;
      cur = proof.key.Bit(h) ? InteriorHash(kZero, cur) : InteriorHash(cur, kZero);
      continue;
    }
    const Hash& sibling = proof.siblings[next++];
    if (sibling == kZero) {
      return CompactMalformed("sibling at height " + std::to_string(h) + " is the empty hash; its bitmap bit must be clear");
    }
    cur = proof.key.Bit(h) ? InteriorHash(sibling, cur) : InteriorHash(cur, sibling);
    lone = false;
  }
  return cur;
}

Status VerifyCompactMapProof(const Hash& root, const SubjectKey& key, const std::optional<Hash>& value,
                             const CompactMapProof& proof) {
  if (proof.key != key) {
    return Status::Corruption("map proof: the proof is for key " + Hex(proof.key.span()) + ", not " + Hex(key.span()));
  }
  if (proof.value != value) {
    return Status::Corruption("map proof: the proof shows the key " + DescribeHeld(proof.value) + ", the claim is it " +
                              DescribeHeld(value));
  }
  CUSTOS_ASSIGN_OR_RETURN(Hash computed, CompactMapRootFromProof(proof));
  if (computed != root) {
    return Status::Corruption("map proof: computed root " + Hex(computed.span()) + " does not match root " +
                              Hex(root.span()) + " (a stale root, or an altered sibling hash)");
  }
  return Status::OK();
}

}  // namespace custos::listings
