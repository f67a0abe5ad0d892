// A log as a C2SP tlog-tiles log publishes it (c2sp.org/tlog-tiles): the
// bytes of its tiles and entry bundles, read from the store. What the HTTP
// read plane serves and what the static publisher writes (docs/http-api.md).
#pragma once

#include <cstdint>
#include <string>

#include "crypto/status.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/tile_path.h"

namespace custos::query {

// The bytes of `path` in `log`'s tree of `size` leaves (at most log.size()):
// a tile's W hashes (32 bytes each), or an entry bundle of entries
// [256N, 256N + W). NotFound if that tree has no such resource
// (merkle::TreeHasTile). Corruption naming the tile or entry if the store
// holds a tile narrower than the tree says, or of an invalid length;
// FailedPrecondition if an entry is too long for a bundle (over 65,535
// bytes); IOError from the store. Thread-safe; reads committed state.
Result<std::string> ReadTileResource(const StoredLog& log, uint64_t size, const merkle::TilePath& path);

}  // namespace custos::query
