// Tiles of one log read from LevelDB, with a small LRU cache so that proof
// serving touches the disk only for the bottom tile of a random leaf.
#pragma once

#include <leveldb/db.h>

#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ledger/storage/layout.h"
#include "ledger/tlog/tiles.h"

namespace custos {

class LevelDbTileSource final : public merkle::TileSource {
 public:
  // `db` must outlive this object. Thread-safe.
  LevelDbTileSource(leveldb::DB* db, layout::LogNumber log, size_t cache_tiles);

  Result<std::string> ReadTile(merkle::TileId id) override;

  // Replaces cached copies of tiles that a committed batch rewrote.
  void Update(const std::map<merkle::TileId, std::string>& tiles);
  // Drops the whole cache (after a failed write, when memory may be ahead of disk).
  void Clear();

 private:
  struct IdHash {
    size_t operator()(const merkle::TileId& id) const { return id.index * 64 + id.level; }
  };
  using LruList = std::list<std::pair<merkle::TileId, std::string>>;
  void Insert(merkle::TileId id, std::string value);

  leveldb::DB* db_;
  layout::LogNumber log_;
  size_t capacity_;
  std::mutex mu_;
  LruList lru_;  // front: most recently used; guarded by mu_
  std::unordered_map<merkle::TileId, LruList::iterator, IdHash> index_;  // guarded by mu_
};

}  // namespace custos
