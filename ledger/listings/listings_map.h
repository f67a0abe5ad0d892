// The listings map (docs/listings-map.md): a sparse Merkle tree of 256 levels over
// SHA-256 from subject keys to the digest of each subject's current listing
// state. See docs/listings-map.md.
//
//   subject key = SHA-256("custos/subject/v1" || kind (u8) || len(id) (u32) || id)
//   leaf        = SHA-256(0x00 || key (32) || value (32))
//   interior    = SHA-256(0x01 || left (32) || right (32))
//                 (the log tree's RFC 6962 leaf and node hashes, ledger/tlog/merkle.h)
//   empty[0]    = 32 zero bytes (an absent leaf: "not listed")
//   empty[h+1]  = SHA-256(0x01 || empty[h] || empty[h])
//
// Heights count from the leaves (0) to the root (256). Read a key as a
// 256-bit big-endian integer K: at height h the path to K goes to the right
// child iff bit h of K is 1 (bit 0 is the least significant). The root is the
// pure 256-level tree's root; empty[256] for the empty map.
//
// A compact map (MapHashing::kCompact; the custody and authority maps,
// histories.h) hashes the same tree with every subtree that holds exactly one
// key replaced by that key's leaf hash, and every empty subtree by 32 zero
// bytes: an update costs about log2(n) hashes instead of 256, and a proof
// ends where the key's path leaves the populated part of the tree
// (CompactMapProof below).
//
// Storage is a compressed (Patricia) form of that tree: only branch nodes
// (both subtrees non-empty) and leaves are stored, so a map of n subjects
// holds n leaves, n - 1 branches and one head record. A branch stores, for
// each child, where the child's top node is and the child subtree's hash at
// the branch's height - 1, so proofs read hashes and never recompute them.
#pragma once

#include <array>
#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <leveldb/options.h>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/storage/layout.h"

namespace leveldb {
class DB;
class Snapshot;
class WriteBatch;
}  // namespace leveldb

namespace custos::listings {

inline constexpr int kMapHeight = 256;

// A subject's key in the map: 32 bytes, ordered as a big-endian integer.
struct SubjectKey {
  static constexpr size_t kSize = 32;
  std::array<uint8_t, kSize> bytes{};

  auto operator<=>(const SubjectKey&) const = default;
  ByteSpan span() const { return {bytes.data(), bytes.size()}; }
  // Bit `height` (0..255) of the key read as a big-endian integer: the side
  // (1 = right) taken by the path at that height.
  bool Bit(int height) const { return ((bytes[31 - height / 8] >> (height % 8)) & 1) != 0; }
  static SubjectKey FromHash(const Hash& h) { return SubjectKey{h.bytes}; }
};

// The kind byte of the key derivation: the ordinal of schema PartyKind
// (checked against the schema in listings_map.cc).
enum class SubjectKind : uint8_t {
  kUnifiedSocialCreditCode = 0,
  kResidentId = 1,
};

// SHA-256("custos/subject/v1" || kind || len(id) as u32 big-endian || id).
// The domain string has a fixed length and the id is length-prefixed, so no
// two (kind, id) pairs hash the same bytes.
SubjectKey DeriveSubjectKey(SubjectKind kind, std::string_view id);

// --- Hashing

Hash LeafHash(const SubjectKey& key, const Hash& value);
Hash InteriorHash(const Hash& left, const Hash& right);
// empty[height] for 0 <= height <= 256, computed once per process.
const Hash& EmptyHash(int height);
// The root of the map with no subject: EmptyHash(256).
inline const Hash& EmptyRoot() { return EmptyHash(kMapHeight); }

// How a map hashes its tree (above): the pure 256-level tree (the listings
// map's, kFull) or the compact form (kCompact).
enum class MapHashing { kFull, kCompact };
// The root of an empty map: EmptyRoot() or 32 zero bytes.
const Hash& EmptyMapRoot(MapHashing hashing);

// --- Node storage

// The prefix byte of map records in the node's LevelDB (docs/leveldb-layout.md).
inline constexpr char kMapNodePrefix = layout::kMapNodePrefix;
// The height field of the head record (not a tree height).
inline constexpr uint16_t kMapHeadHeight = 0xFFFF;

// A stored node: a leaf (height 0, prefix = the key), a branch (height
// 1..256, prefix = the key bits at heights >= height, lower bits zero), or
// the head (height kMapHeadHeight, prefix zero).
struct MapNodeId {
  uint16_t height = 0;
  SubjectKey prefix;
  auto operator<=>(const MapNodeId&) const = default;
};

// The head: 'm' | log (u32). A node: 'm' | log (u32) | prefix (32) | depth
// (u16, 256 - height). In this order every subtree is one key range, parent
// first (pre-order), so the lower nodes of a path share data blocks. The
// custody and authority maps (histories.h) use the same layout under their
// own prefix byte (`map`).
std::string MapNodeKey(layout::LogNumber log, const MapNodeId& id, char map = kMapNodePrefix);

// Where the records of one map live. Records are opaque bytes here; their
// layout is in docs/listings-map.md. Implementations need not be thread-safe:
// one ListingsMap uses a store from one thread at a time.
class MapNodeStore {
 public:
  virtual ~MapNodeStore() = default;
  // The record of `id`; nullopt if there is none. IOError (or Corruption) if
  // the read fails.
  virtual Result<std::optional<std::string>> Read(const MapNodeId& id) = 0;
  virtual void Write(const MapNodeId& id, std::string_view record) = 0;
  virtual void Erase(const MapNodeId& id) = 0;
};

// Records in a std::map, for tests and tools.
class MemoryMapNodeStore final : public MapNodeStore {
 public:
  Result<std::optional<std::string>> Read(const MapNodeId& id) override;
  void Write(const MapNodeId& id, std::string_view record) override;
  void Erase(const MapNodeId& id) override;

  std::map<MapNodeId, std::string>& records() { return records_; }

 private:
  std::map<MapNodeId, std::string> records_;
};

// The map of log `log` in a node's LevelDB. Reads come from `db` and from
// the writes made through this object; writes go into `batch` (and are
// remembered for those reads), so several ListingsMap::Apply calls can share
// one batch. The caller writes the batch. Use one object per batch: once the
// batch is written or dropped, make a new one. `db` and `batch` must outlive
// this object. Not thread-safe.
class LevelDbMapNodeStore final : public MapNodeStore {
 public:
  // `map`: the map's prefix byte (the listings map's by default).
  LevelDbMapNodeStore(leveldb::DB& db, layout::LogNumber log, leveldb::WriteBatch& batch, char map = kMapNodePrefix);

  Result<std::optional<std::string>> Read(const MapNodeId& id) override;
  void Write(const MapNodeId& id, std::string_view record) override;
  void Erase(const MapNodeId& id) override;

 private:
  leveldb::DB& db_;
  layout::LogNumber log_;
  char map_;
  leveldb::WriteBatch& batch_;
  std::map<std::string, std::optional<std::string>> pending_;  // key -> record, nullopt: erased
};

// Reads a map's records as of a LevelDB snapshot (nullptr: the latest
// state); never writes. For answers built beside concurrent appends.
class SnapshotMapNodeStore final : public MapNodeStore {
 public:
  SnapshotMapNodeStore(leveldb::DB& db, layout::LogNumber log, const leveldb::Snapshot* snapshot,
                       char map = kMapNodePrefix);
  Result<std::optional<std::string>> Read(const MapNodeId& id) override;
  void Write(const MapNodeId& id, std::string_view record) override;  // asserts: read-only
  void Erase(const MapNodeId& id) override;                           // asserts: read-only

 private:
  leveldb::DB& db_;
  layout::LogNumber log_;
  char map_;
  leveldb::ReadOptions options_;
};

// The top branches of the latest map, shared by the threads that prove
// listings, so that a proof reads only the lower part of its path from
// LevelDB. Keyed by the head record: every record of a map follows from its
// root (two maps with one root have the same subjects, so the same branches),
// so a branch cached under one head is right for any reader that read the
// same head, whatever its snapshot. A reader that sees another head starts
// the cache again for it. Thread-safe; a lookup takes no lock.
class MapBranchCache {
 public:
  // Branches at this height and above (prefixes of at most 14 bits) are
  // kept: at most 2^15 - 1 records, the top 14 levels of every path.
  static constexpr int kMinHeight = kMapHeight - 14;

  // The branches of one map (one head record). A slot is written once.
  class Generation {
   public:
    explicit Generation(std::string head);
    ~Generation();
    Generation(const Generation&) = delete;
    Generation& operator=(const Generation&) = delete;

    const std::string& head() const { return head_; }
    // The record of branch `id` (height >= kMinHeight); nullptr if not cached.
    const std::string* Find(const MapNodeId& id) const;
    void Insert(const MapNodeId& id, std::string_view record);

   private:
    static size_t Slot(const MapNodeId& id);
    std::string head_;
    std::unique_ptr<std::atomic<const std::string*>[]> slots_;
  };

  // The generation of the map whose head record is `head`, made (replacing
  // the current one) if the current one is for another head.
  std::shared_ptr<Generation> For(std::string_view head);

 private:
  std::mutex mu_;
  std::shared_ptr<Generation> current_;
};

// Reads through `inner` and keeps the top branches in `cache`. Read-only;
// the head must be read before any branch (every ListingsMap method does).
class CachingMapNodeStore final : public MapNodeStore {
 public:
  CachingMapNodeStore(MapNodeStore& inner, MapBranchCache& cache) : inner_(inner), cache_(cache) {}

  Result<std::optional<std::string>> Read(const MapNodeId& id) override;
  void Write(const MapNodeId& id, std::string_view record) override;
  void Erase(const MapNodeId& id) override;

 private:
  MapNodeStore& inner_;
  MapBranchCache& cache_;
  std::shared_ptr<MapBranchCache::Generation> generation_;  // set when the head is read
};

// --- Proofs

// Shows that `key` maps to `value` (listed) or to nothing (not listed) in the
// map with a given root. Only the non-empty siblings on the key's path are
// carried; `bitmap` says which. The encodings are in docs/listings-map.md.
struct MapProof {
  SubjectKey key;
  std::optional<Hash> value;  // nullopt: the subject is not listed
  // A 256-bit big-endian integer: bit h is set iff the sibling at height h
  // (the other child of the path's node at height h + 1) is not empty.
  std::array<uint8_t, 32> bitmap{};
  std::vector<Hash> siblings;  // the non-empty siblings, lowest height first

  bool HasSibling(int height) const { return ((bitmap[31 - height / 8] >> (height % 8)) & 1) != 0; }

  // key (32) || 0x00, or 0x01 || value (32) || bitmap (32) || siblings (32 each).
  Bytes Encode() const;
  // Strict inverse of Encode: InvalidArgument naming what is truncated,
  // malformed or left over.
  static Result<MapProof> Decode(ByteSpan bytes);

  // "custos/map-proof/v1\n" "key <b64>\n" ("listed <b64>\n" | "not-listed\n")
  // "bitmap <b64>\n" then one "<b64>\n" per sibling. Base64 is RFC 4648 with padding.
  std::string Format() const;
  // Strict inverse of Format: InvalidArgument naming the line that is wrong.
  static Result<MapProof> Parse(std::string_view text);
};

// The root that `proof` implies for its key and value. InvalidArgument if
// the proof is malformed: sibling count differs from the bitmap's, or a
// listed sibling is the empty hash of its height (non-canonical).
Result<Hash> MapRootFromProof(const MapProof& proof);

// OK iff `proof` shows that in the map with `root`, `key` maps to `value`
// (nullopt: not listed). Corruption naming the mismatch otherwise: the proof
// is for another key, shows another value (or listing state), or leads to
// another root (a stale root or an altered sibling). InvalidArgument if the
// proof is malformed (MapRootFromProof).
Status VerifyMapProof(const Hash& root, const SubjectKey& key, const std::optional<Hash>& value,
                      const MapProof& proof);

// Shows that `key` holds `value`, or nothing, in a compact map with a given
// root. The key's path is followed from the root down to the node where it
// ends (at `height`): the key's own leaf, a subtree holding only another key
// (`other`), or an empty subtree. Only the non-empty siblings on the way are
// carried; `bitmap` says at which heights (all at or above `height`).
struct CompactMapProof {
  SubjectKey key;
  std::optional<Hash> value;                         // the path ends at the key's own leaf
  std::optional<std::pair<SubjectKey, Hash>> other;  // ... at another key's leaf (key, value)
  uint16_t height = kMapHeight;                      // where the path ends, 0..256
  std::array<uint8_t, 32> bitmap{};                  // bit h: a sibling at height h (as MapProof)
  std::vector<Hash> siblings;                        // the non-empty siblings, lowest height first

  bool HasSibling(int h) const { return ((bitmap[31 - h / 8] >> (h % 8)) & 1) != 0; }

  // key (32) || end (u8: 0 empty, 1 own leaf, 2 other leaf) || value (32,
  // end 1) || other key (32) || other value (32) (end 2) || height (u16) ||
  // bitmap (32) || siblings (32 each).
  Bytes Encode() const;
  // Strict inverse of Encode: InvalidArgument naming what is truncated,
  // malformed or left over.
  static Result<CompactMapProof> Decode(ByteSpan bytes);
};

// The root that `proof` implies. InvalidArgument if the proof is malformed or
// not the canonical one: a sibling below where the path ends, none at that
// height (below the root), an empty sibling hash, an `other` leaf that is
// the key itself or does not lie on the key's path.
Result<Hash> CompactMapRootFromProof(const CompactMapProof& proof);

// OK iff `proof` shows that in the compact map with `root`, `key` holds
// `value` (nullopt: nothing). Corruption naming the mismatch otherwise;
// InvalidArgument if the proof is malformed (CompactMapRootFromProof).
Status VerifyCompactMapProof(const Hash& root, const SubjectKey& key, const std::optional<Hash>& value,
                             const CompactMapProof& proof);

// --- The map

// One change: set the subject's listing digest, or erase it (nullopt: delisted).
struct MapUpdate {
  SubjectKey key;
  std::optional<Hash> value;
};

// Runs fn(i) for every i in [0, n), possibly concurrently, and returns when
// all calls have returned (WorkerPool::ForEach, Store::ForEach).
using ForEachFn = std::function<void(size_t n, const std::function<void(size_t)>& fn)>;

// The operations on a map whose records are in `store`. Holds no state of its
// own: every call reads the store. Every method returns IOError from the
// store as it is, and Corruption naming the node if a record is malformed or
// the records do not form a tree. Not thread-safe; `store` must outlive it.
class ListingsMap final {
 public:
  // With `for_each`, Apply hashes large batches on several threads.
  // `hashing`: how the records' hashes are computed (the store's records
  // must have been written with the same).
  explicit ListingsMap(MapNodeStore& store, ForEachFn for_each = nullptr, MapHashing hashing = MapHashing::kFull);

  Result<Hash> Root() const;
  // The number of subjects in the map.
  Result<uint64_t> Size() const;
  // The value of `key`; nullopt if it is not listed. One store read.
  Result<std::optional<Hash>> Get(const SubjectKey& key) const;

  // Applies `updates` in order (for a key given twice, the later one wins),
  // writes the changed records to the store and returns the new root.
  // Erasing an absent key or setting a key to its value changes nothing.
  // Cost: 256 hashes per changed subject (kFull; about log2(n) for
  // kCompact; less where paths share nodes), plus one read and one write per
  // branch on each changed path.
  // Every read comes before the first write, so on error nothing was written.
  Result<Hash> Apply(std::span<const MapUpdate> updates);
  Result<Hash> Set(const SubjectKey& key, const Hash& value);
  Result<Hash> Erase(const SubjectKey& key);

  // A proof of the key's value or absence against Root(). Reads one record
  // per branch on the key's path; hashes only for an absent key (to lift the
  // neighbouring subtree to the height where the key's path leaves it).
  // For a kFull map only.
  Result<MapProof> Prove(const SubjectKey& key) const;
  // The same for a kCompact map: reads one record per branch on the key's
  // path, and one leaf or branch where it ends.
  Result<CompactMapProof> ProveCompact(const SubjectKey& key) const;

 private:
  MapNodeStore& store_;
  ForEachFn for_each_;
  MapHashing hashing_;
};

}  // namespace custos::listings
