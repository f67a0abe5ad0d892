// What a stored log costs on disk: the directory's size, and the LevelDB key
// space broken down by record kind (docs/leveldb-layout.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "crypto/status.h"

namespace custos::bench {

// Sum of the sizes of the regular files in `dir` and below (a Store's two
// LevelDB directories).
uint64_t DirectoryBytes(const std::string& dir);

struct PrefixStats {
  uint64_t records = 0;
  uint64_t key_bytes = 0;
  uint64_t value_bytes = 0;
};

// Records of each key prefix ('E' entries, 'T' tiles, 'R' replay index, …).
using KeySpace = std::map<char, PrefixStats>;

// Opens the closed log's two LevelDB directories with the options the ledger uses,
// compacts the whole key range (dropping overwritten tiles and heads), and
// counts the live records. The log must not be open.
Result<KeySpace> CompactAndScan(const std::string& dir);

// The table name of a key prefix ("entries", "tiles", …).
std::string PrefixName(char prefix);

}  // namespace custos::bench
