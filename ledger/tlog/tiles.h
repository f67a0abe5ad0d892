// The Merkle tree stored as C2SP tlog-tiles (c2sp.org/tlog-tiles), and the
// proofs computed from it. See docs/leveldb-layout.md.
//
// Tree coordinates: hash (level k, index i) is the root of the complete
// subtree over leaves [i * 2^k, (i+1) * 2^k). Level 0 holds the leaf hashes.
//
// A tile (tile level L, tile index N) covers the level-8L hashes
// [256N, 256N + 256) — exactly a C2SP tile of height 8. We store each tile
// with its interior rows so that proofs never rehash a tile:
//
//   stored tile = row 0 || row 1 || ... || row 7
//   row r       = the level-(8L + r) hashes inside the tile, floor(w / 2^r) of them
//
// where w (1..256) is the tile's width (number of row-0 hashes). The C2SP
// tile bytes of width w are the first 32 * w bytes of the stored value. A
// partial tile is rewritten as the tree grows; a full tile never changes.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace custos::merkle {

inline constexpr int kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;

struct TileId {
  uint8_t level = 0;   // tile level L (tree level 8L at row 0)
  uint64_t index = 0;  // tile index N
  auto operator<=>(const TileId&) const = default;
};

// Number of hashes in a stored tile of width w (1..256).
size_t StoredTileHashes(uint64_t width);
// The width of a stored tile from its byte length; 0 if the length is invalid.
uint64_t StoredTileWidth(size_t bytes);

// Source of stored tiles (LevelDB in the ledger, a map in tests).
class TileSource {
 public:
  virtual ~TileSource() = default;
  // The stored value of tile `id`; NotFound if absent.
  virtual Result<std::string> ReadTile(TileId id) = 0;
};

// Reads the stored hash (level, index) from tiles. The tree must be large
// enough to hold it; Corruption if a tile is missing, too narrow or of an
// invalid length; InvalidArgument if level is outside 0..63. Errors of the
// source other than NotFound are returned as they are.
//
// The functions below read each tile they need once per call: one tile per
// tile level on the path, one per tile level on the right edge (at most 5
// reads for an inclusion proof at 1,000,000 leaves). A perfect subtree is one
// stored hash; only the right edge of the tree is hashed. The tiles may come
// from a larger tree than `size` (complete-subtree hashes never change).
Result<Hash> ReadStoredHash(TileSource& tiles, int level, uint64_t index);

// Root of the tree of `size` leaves (EmptyRoot() for 0).
Result<Hash> TreeRoot(TileSource& tiles, uint64_t size);

// RFC 9162 inclusion proof for leaf `index` in the tree of `size` leaves.
// InvalidArgument if index >= size.
Result<std::vector<Hash>> InclusionProof(TileSource& tiles, uint64_t index, uint64_t size);

// RFC 9162 consistency proof from `old_size` to `new_size`.
// InvalidArgument if old_size > new_size. Empty for old_size 0 or equal sizes.
Result<std::vector<Hash>> ConsistencyProof(TileSource& tiles, uint64_t old_size, uint64_t new_size);

// Grows the tree. Holds the right edge of the tree (the last, possibly
// partial, tile of each tile level) in memory; Append returns the tiles that
// changed, to be written in the same batch as the entries.
// Not thread-safe.
class TreeAppender {
 public:
  // Starts from the tree of `size` leaves stored in `tiles` (reads at most one
  // tile per tile level). Corruption if a needed tile is missing or too narrow.
  static Result<TreeAppender> Load(TileSource& tiles, uint64_t size);

  uint64_t size() const { return size_; }
  // Root of the current tree.
  Hash Root() const;

  // Appends leaf hashes. Returns every tile that changed with its new stored
  // value. On its own, this changes only the in-memory state; the caller
  // writes the tiles, and if that fails, discards this appender and Loads again.
  // Cost: about one NodeHash per leaf, plus rewriting each touched partial
  // tile once per call (up to 16 KiB each), so large batches are cheaper.
  std::map<TileId, std::string> Append(std::span<const Hash> leaf_hashes);

 private:
  // Adds one leaf, carrying completed pairs upward; a tile that fills is
  // added to `changed` and dropped. Returns a bit mask of touched tile levels.
  uint32_t AddLeaf(const Hash& leaf, std::map<TileId, std::string>& changed);
  void FlushFullTile(int tile_level, std::map<TileId, std::string>& changed);
  Status LoadEdgeTile(TileSource& tiles, int tile_level);
  // The edge tile's id; only meaningful while that tile holds a hash.
  TileId EdgeTileId(int tile_level) const;
  // The edge row holding tree level `level`; the non-const one adds a tile level.
  std::vector<Hash>& EdgeRow(int level);
  const std::vector<Hash>& EdgeRow(int level) const;
  // The stored (row 0 || ... || row 7) value of the edge tile.
  std::string StoredEdgeTile(int tile_level) const;

  uint64_t size_ = 0;
  // The right-edge tile of each tile level, as row vectors (row 0 .. 7).
  // The peaks of size_ (the root's inputs) are the last hashes of its rows.
  std::vector<std::vector<std::vector<Hash>>> edge_;
};

}  // namespace custos::merkle
