#include "ledger/query/published.h"

#include <vector>

namespace custos::query {

Result<std::string> ReadTileResource(const StoredLog& log, uint64_t size, const merkle::TilePath& path) {
  const std::string name = log.origin() + " " + merkle::FormatTilePath(path);
  if (size > log.size() || !merkle::TreeHasTile(size, path)) {
    return Status::NotFound(name + ": the tree of size " + std::to_string(size) + " has no such tile");
  }
  if (path.entries) {
    std::vector<Bytes> entries;
    entries.reserve(path.width);
    for (uint64_t i = merkle::TileStart(path); i < merkle::TileStart(path) + path.width; ++i) {
      auto entry = log.Entry(i);
      if (!entry.ok()) {
        // Below the size, an entry that is not there is damage.
        if (entry.status().code() == Status::Code::kNotFound) return Status::Corruption(entry.status().message());
        return entry.status();
      }
      entries.push_back(std::move(entry).value());
    }
    auto bundle = merkle::EncodeEntryBundle(entries);
    if (!bundle.ok()) return Status::FailedPrecondition(name + ": " + bundle.status().message());
    return bundle;
  }
  auto stored = log.tiles().ReadTile(merkle::TileId{path.level, path.index});
  if (!stored.ok()) {
    if (stored.status().code() == Status::Code::kNotFound) {
      return Status::Corruption(name + ": the store holds no such tile below the log's size");
    }
    return stored.status();
  }
  const uint64_t width = merkle::StoredTileWidth(stored->size());
  if (width < path.width) {
    return Status::Corruption(name + ": the stored tile is " + std::to_string(width) + " hashes wide, fewer than " +
                              std::to_string(path.width));
  }
  stored->resize(size_t{path.width} * Hash::kSize);
  return stored;
}

}  // namespace custos::query
