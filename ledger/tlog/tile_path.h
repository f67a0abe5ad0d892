// The resources of a C2SP tlog-tiles log (c2sp.org/tlog-tiles): the paths of
// its tiles and entry bundles, which of them a tree of a given size has, and
// the entry bundle format. Pure functions of strings and bytes; the HTTP
// server (node/http_routes.h) and the static publisher serve what these name.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace custos::merkle {

// tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>].
struct TilePath {
  bool entries = false;  // an entry bundle (then level is 0)
  uint8_t level = 0;     // 0..63
  uint64_t index = 0;    // N
  uint32_t width = 256;  // W: 1..255 for a partial tile, 256 for a full one
  bool full() const { return width == 256; }
  auto operator<=>(const TilePath&) const = default;
};

// The path relative to the log's prefix, with N in 3-digit elements, all but
// the last prefixed "x" (index 1234067: "x001/x234/067"), and ".p/<W>" for a
// partial tile: "tile/0/x001/x234/067.p/5".
std::string FormatTilePath(const TilePath& path);

// Strict inverse of FormatTilePath: InvalidArgument naming what is wrong (a
// level outside 0..63 or with a leading zero, an element that is not three
// digits, a missing or extra "x", a width outside 1..255 or with a leading
// zero, an index above 2^64 - 1, anything after the path).
Result<TilePath> ParseTilePath(std::string_view path);

// Whether a tree of `size` leaves has the resource: its hashes (or entries)
// [256N, 256N + W) at its level exist, i.e. 256N + W <= floor(size / 256^L).
// A tree has a full tile and, separately, each narrower partial one of the
// tiles it has; a partial tile of a width the tree has outgrown still exists
// (its hashes never change).
bool TreeHasTile(uint64_t size, const TilePath& path);

// The first entry (or, at level L, the first level-8L hash) of the resource.
inline uint64_t TileStart(const TilePath& path) { return path.index * 256; }

// The resources a tree of `new_size` leaves has and one of `old_size` has
// not: the full tiles and full entry bundles completed in between, and the
// partial tile (and bundle) at the right edge of each level of the new tree
// where it differs from the old one. NewTiles(0, size) is every resource a
// static copy of the tree holds. old_size <= new_size.
std::vector<TilePath> NewTiles(uint64_t old_size, uint64_t new_size);

// Largest entry an entry bundle can hold: its length is a big-endian uint16.
inline constexpr size_t kMaxBundledEntryBytes = 65535;

// An entry bundle: each entry as a big-endian uint16 length, then its bytes.
// InvalidArgument if an entry is longer than kMaxBundledEntryBytes (naming its
// position in the bundle).
Result<std::string> EncodeEntryBundle(std::span<const Bytes> entries);
// Strict inverse: InvalidArgument if the bytes end inside an entry.
Result<std::vector<Bytes>> DecodeEntryBundle(ByteSpan bundle);

}  // namespace custos::merkle
