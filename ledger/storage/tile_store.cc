#include "ledger/storage/tile_store.h"

#include "ledger/storage/checked_reads.h"

namespace custos {

LevelDbTileSource::LevelDbTileSource(leveldb::DB* db, layout::LogNumber log, size_t cache_tiles)
    : db_(db), log_(log), capacity_(std::max<size_t>(cache_tiles, 1)) {}

Result<std::string> LevelDbTileSource::ReadTile(merkle::TileId id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(id);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  std::string value;
  leveldb::Status s = db_->Get(CheckedReads(), layout::TileKey(log_, id), &value);
  if (s.IsNotFound()) {
    return Status::NotFound("tile " + std::to_string(id.level) + "/" + std::to_string(id.index));
  }
  if (!s.ok()) return Status::IOError("reading a tile: " + s.ToString());
  std::lock_guard<std::mutex> lock(mu_);
  Insert(id, value);
  return value;
}

void LevelDbTileSource::Update(const std::map<merkle::TileId, std::string>& tiles) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, value] : tiles) Insert(id, value);
}

void LevelDbTileSource::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  lru_.clear();
  index_.clear();
}

void LevelDbTileSource::Insert(merkle::TileId id, std::string value) {
  auto it = index_.find(id);
  if (it != index_.end()) {
    it->second->second = std::move(value);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.emplace_front(id, std::move(value));
  index_[id] = lru_.begin();
  if (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

}  // namespace custos
