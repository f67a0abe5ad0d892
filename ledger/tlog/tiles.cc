#include "ledger/tlog/tiles.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <utility>

#include "ledger/tlog/merkle.h"

namespace custos::merkle {

namespace {

constexpr int kMaxLevel = 63;
constexpr int kMaxTileLevels = 8;  // tile level 8 would start at tree level 64

// Offset, in hashes, of row `row` inside a stored tile of width w.
size_t RowStart(uint64_t width, int row) {
  size_t start = 0;
  for (int r = 0; r < row; ++r) start += width >> r;
  return start;
}

std::string TileName(TileId id) {
  return "tile " + std::to_string(id.level) + "/" + std::to_string(id.index);
}

// Where the stored hash (level, index) lives: its tile, row and position.
struct HashPlace {
  TileId tile;
  int row = 0;
  uint64_t pos = 0;
};

HashPlace Locate(int level, uint64_t index) {
  const int row = level % kTileHeight;
  const int per_tile = kTileHeight - row;  // log2 of the row's capacity
  return {TileId{static_cast<uint8_t>(level / kTileHeight), index >> per_tile}, row,
          index & ((uint64_t{1} << per_tile) - 1)};
}

Hash HashAt(const std::string& tile, size_t i) {
  Hash h;
  std::memcpy(h.bytes.data(), tile.data() + i * Hash::kSize, Hash::kSize);
  return h;
}

Result<Hash> HashInTile(const std::string& tile, const HashPlace& at, int level,
                        uint64_t index) {
  const uint64_t width = StoredTileWidth(tile.size());
  if (width == 0) {
    return Status::Corruption(TileName(at.tile) + " has invalid length " +
                              std::to_string(tile.size()));
  }
  if (at.pos >= (width >> at.row)) {
    return Status::Corruption(TileName(at.tile) + " of width " + std::to_string(width) +
                              " does not hold hash " + std::to_string(level) + "/" +
                              std::to_string(index));
  }
  return HashAt(tile, RowStart(width, at.row) + at.pos);
}

Result<std::string> ReadTileOrCorrupt(TileSource& tiles, TileId id) {
  Result<std::string> tile = tiles.ReadTile(id);
  if (tile.ok()) return tile;
  // The tree claims a size that needs this tile, so its absence is damage.
  if (tile.status().code() == Status::Code::kNotFound) {
    return Status::Corruption(TileName(id) + " is missing");
  }
  return tile.status().WithContext(TileName(id));
}

// Tiles read during one proof or root computation. A proof touches a handful
// of tiles (one per tile level on the path, one per tile level on the right
// edge), many of them more than once, so a linear scan beats a map.
class TileCache {
 public:
  explicit TileCache(TileSource& source) : source_(source) {}

  Result<Hash> Stored(int level, uint64_t index) {
    const HashPlace at = Locate(level, index);
    CUSTOS_ASSIGN_OR_RETURN(const std::string* tile, Get(at.tile));
    return HashInTile(*tile, at, level, index);
  }

 private:
  Result<const std::string*> Get(TileId id) {
    for (const auto& [held, bytes] : tiles_) {
      if (held == id) return &bytes;
    }
    CUSTOS_ASSIGN_OR_RETURN(std::string bytes, ReadTileOrCorrupt(source_, id));
    tiles_.emplace_back(id, std::move(bytes));
    return &tiles_.back().second;
  }

  TileSource& source_;
  std::vector<std::pair<TileId, std::string>> tiles_;
};

// Hash of leaves [lo, hi), where lo is aligned to a power of two >= hi - lo
// (true of every subtree an RFC 9162 proof or root names). A perfect subtree
// is one stored read; a right-edge one folds its perfect parts, right first.
Result<Hash> SubtreeHash(TileCache& cache, uint64_t lo, uint64_t hi) {
  assert(lo < hi);
  const uint64_t span = hi - lo;
  int k = std::countr_zero(span);
  CUSTOS_ASSIGN_OR_RETURN(Hash acc, cache.Stored(k, (hi - (uint64_t{1} << k)) >> k));
  for (++k; k <= kMaxLevel && (span >> k) != 0; ++k) {
    if (!Odd(span >> k)) continue;
    const uint64_t start = lo + (span & ~((uint64_t{2} << k) - 1));
    CUSTOS_ASSIGN_OR_RETURN(Hash left, cache.Stored(k, start >> k));
    acc = NodeHash(left, acc);
  }
  return acc;
}

// Appends to `proof` the RFC 9162 inclusion proof of the perfect node
// (level, index) in the tree of `size` leaves, bottom-up. Below the level
// where the node's path and the right edge's path meet, siblings are perfect
// except the highest right one, which may end at `size`; above it, the node
// is on the right edge and only left siblings (all perfect) appear.
Status AppendNodeInclusion(TileCache& cache, int level, uint64_t index, uint64_t size,
                           std::vector<Hash>& proof) {
  const uint64_t last = (size - 1) >> level;
  const int inner = std::bit_width(index ^ last);
  for (int j = 0; j < inner; ++j) {
    const int at = level + j;
    const uint64_t sibling = (index >> j) ^ 1;
    const uint64_t end = std::min(size, (sibling + 1) << at);
    CUSTOS_ASSIGN_OR_RETURN(Hash h, SubtreeHash(cache, sibling << at, end));
    proof.push_back(h);
  }
  for (int j = inner; level + j <= kMaxLevel && (index >> j) != 0; ++j) {
    if (!Odd(index >> j)) continue;
    CUSTOS_ASSIGN_OR_RETURN(Hash h, cache.Stored(level + j, (index >> j) - 1));
    proof.push_back(h);
  }
  return Status::OK();
}

}  // namespace

size_t StoredTileHashes(uint64_t width) {
  return RowStart(width, kTileHeight);
}

uint64_t StoredTileWidth(size_t bytes) {
  if (bytes == 0 || bytes % Hash::kSize != 0) return 0;
  // StoredTileHashes(w) = 2w - popcount(w) for w < 256, so w lies within a
  // few of half the hash count.
  const size_t hashes = bytes / Hash::kSize;
  for (uint64_t w = std::max<uint64_t>(hashes / 2, 1); w <= hashes / 2 + 5; ++w) {
    if (w <= kTileWidth && StoredTileHashes(w) == hashes) return w;
  }
  return 0;
}

Result<Hash> ReadStoredHash(TileSource& tiles, int level, uint64_t index) {
  if (level < 0 || level > kMaxLevel) {
    return Status::InvalidArgument("stored hash level " + std::to_string(level) +
                                   " is outside 0..63");
  }
  TileCache cache(tiles);
  return cache.Stored(level, index);
}

Result<Hash> TreeRoot(TileSource& tiles, uint64_t size) {
  if (size == 0) return EmptyRoot();
  TileCache cache(tiles);
  return SubtreeHash(cache, 0, size);
}

Result<std::vector<Hash>> InclusionProof(TileSource& tiles, uint64_t index, uint64_t size) {
  if (index >= size) {
    return Status::InvalidArgument("inclusion proof index " + std::to_string(index) +
                                   " is not below size " + std::to_string(size));
  }
  TileCache cache(tiles);
  std::vector<Hash> proof;
  proof.reserve(static_cast<size_t>(std::bit_width(size)));
  CUSTOS_RETURN_IF_ERROR(AppendNodeInclusion(cache, 0, index, size, proof));
  return proof;
}

Result<std::vector<Hash>> ConsistencyProof(TileSource& tiles, uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size > new_size) {
    return Status::InvalidArgument("consistency old size " + std::to_string(old_size) +
                                   " exceeds new size " + std::to_string(new_size));
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  // The largest perfect subtree ending at old_size: its hash seeds the proof
  // (unless it is the whole old tree, which the verifier already has), then
  // comes its inclusion proof in the new tree.
  const int level = std::countr_zero(old_size);
  const uint64_t node = (old_size - 1) >> level;
  TileCache cache(tiles);
  proof.reserve(static_cast<size_t>(std::bit_width(new_size)) + 1);
  if (node != 0) {
    CUSTOS_ASSIGN_OR_RETURN(Hash seed, cache.Stored(level, node));
    proof.push_back(seed);
  }
  CUSTOS_RETURN_IF_ERROR(AppendNodeInclusion(cache, level, node, new_size, proof));
  return proof;
}

// --- TreeAppender ---
//
// Invariant: for each tile level L, edge_[L][r] holds the level-(8L + r)
// hashes of the last tile of level L that is not yet full, i.e. exactly
// floor(c / 2^r) hashes where c = (size_ >> 8L) mod 256. A full tile is
// emitted once and dropped, so memory stays at one tile per tile level.

TileId TreeAppender::EdgeTileId(int tile_level) const {
  // Only meaningful while the edge tile is non-empty: count >= 1.
  const uint64_t count = size_ >> (kTileHeight * tile_level);
  return TileId{static_cast<uint8_t>(tile_level), (count - 1) / kTileWidth};
}

std::vector<Hash>& TreeAppender::EdgeRow(int level) {
  const size_t tile_level = static_cast<size_t>(level / kTileHeight);
  if (tile_level == edge_.size()) edge_.emplace_back(kTileHeight);
  return edge_[tile_level][static_cast<size_t>(level % kTileHeight)];
}

const std::vector<Hash>& TreeAppender::EdgeRow(int level) const {
  return edge_[static_cast<size_t>(level / kTileHeight)][static_cast<size_t>(level % kTileHeight)];
}

std::string TreeAppender::StoredEdgeTile(int tile_level) const {
  const auto& rows = edge_[static_cast<size_t>(tile_level)];
  std::string out;
  out.reserve(StoredTileHashes(rows[0].size()) * Hash::kSize);
  for (const std::vector<Hash>& row : rows) {
    for (const Hash& h : row) out.append(AsString(h.span()));
  }
  return out;
}

Status TreeAppender::LoadEdgeTile(TileSource& tiles, int tile_level) {
  edge_.emplace_back(kTileHeight);
  const uint64_t width = (size_ >> (kTileHeight * tile_level)) % kTileWidth;
  if (width == 0) return Status::OK();  // the last tile is full; the edge starts empty
  const TileId id = EdgeTileId(tile_level);
  CUSTOS_ASSIGN_OR_RETURN(std::string tile, ReadTileOrCorrupt(tiles, id));
  const uint64_t stored = StoredTileWidth(tile.size());
  if (stored < width) {
    return Status::Corruption(TileName(id) + " has width " + std::to_string(stored) +
                              ", want at least " + std::to_string(width) + " for size " +
                              std::to_string(size_));
  }
  // A wider stored tile (the store ran ahead of `size`) is cut back to width.
  for (int r = 0; r < kTileHeight; ++r) {
    auto& row = edge_.back()[static_cast<size_t>(r)];
    const size_t start = RowStart(stored, r);
    for (size_t i = 0; i < (width >> r); ++i) row.push_back(HashAt(tile, start + i));
  }
  return Status::OK();
}

Result<TreeAppender> TreeAppender::Load(TileSource& tiles, uint64_t size) {
  TreeAppender appender;
  appender.size_ = size;
  for (int level = 0; level < kMaxTileLevels && (size >> (kTileHeight * level)) != 0; ++level) {
    CUSTOS_RETURN_IF_ERROR(appender.LoadEdgeTile(tiles, level));
  }
  return appender;
}

Hash TreeAppender::Root() const {
  if (size_ == 0) return EmptyRoot();
  // The peaks of the binary decomposition of size_ are the last hash of
  // each edge row whose level is a 1 bit of size_; fold them right first.
  int k = std::countr_zero(size_);
  Hash root = EdgeRow(k).back();
  for (++k; k <= kMaxLevel && (size_ >> k) != 0; ++k) {
    if (Odd(size_ >> k)) root = NodeHash(EdgeRow(k).back(), root);
  }
  return root;
}

uint32_t TreeAppender::AddLeaf(const Hash& leaf, std::map<TileId, std::string>& changed) {
  ++size_;
  Hash h = leaf;
  // A new hash at `level` is a right child, completing its parent, exactly
  // when bit `level` of the new size is 0; this carries like an increment.
  for (int level = 0;; ++level) {
    std::vector<Hash>& row = EdgeRow(level);
    row.push_back(h);
    if (Odd(size_ >> level)) return (uint32_t{2} << (level / kTileHeight)) - 1;
    h = NodeHash(row[row.size() - 2], h);
    if (level % kTileHeight == kTileHeight - 1) FlushFullTile(level / kTileHeight, changed);
  }
}

void TreeAppender::FlushFullTile(int tile_level, std::map<TileId, std::string>& changed) {
  changed[EdgeTileId(tile_level)] = StoredEdgeTile(tile_level);
  for (auto& row : edge_[static_cast<size_t>(tile_level)]) row.clear();
}

std::map<TileId, std::string> TreeAppender::Append(std::span<const Hash> leaf_hashes) {
  std::map<TileId, std::string> changed;
  uint32_t touched = 0;
  for (const Hash& leaf : leaf_hashes) touched |= AddLeaf(leaf, changed);
  // Partial edge tiles are written once per batch, not once per leaf.
  for (int level = 0; touched >> level != 0; ++level) {
    if (Odd(touched >> level) && !edge_[static_cast<size_t>(level)][0].empty()) {
      changed[EdgeTileId(level)] = StoredEdgeTile(level);
    }
  }
  return changed;
}

}  // namespace custos::merkle
