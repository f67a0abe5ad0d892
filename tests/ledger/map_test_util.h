// Helpers shared by the tests of the listings map's two forms
// (listings_map_test.cc, compact_map_test.cc): the reference's hashing and bit
// order written out from docs/listings-map.md, and pools of keys.
#pragma once

#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "ledger/listings/listings_map.h"

namespace custos::listings::maptest {

// SHA-256 of the parts, with its own calls (not the map's helpers).
inline Hash RefSha(std::initializer_list<ByteSpan> parts) {
  Sha256 h;
  for (ByteSpan p : parts) h.Update(p);
  return h.Finish();
}

// Bit `height` of the key read as a big-endian integer, most significant first.
inline bool RefBit(const SubjectKey& k, int height) {
  const int index = 255 - height;
  return ((k.bytes[index / 8] >> (7 - index % 8)) & 1) != 0;
}

inline Hash RandomHash(std::mt19937_64& rng) {
  Hash h;
  for (auto& b : h.bytes) b = static_cast<uint8_t>(rng());
  return h;
}

inline SubjectKey KeyOf(int i) {
  return DeriveSubjectKey(SubjectKind::kUnifiedSocialCreditCode, "subject-" + std::to_string(i));
}

// n keys: most derived, every sixth one flipped bit away from an earlier key
// (at bit 0 every twelfth), so that branches appear at every height, down to
// 1 (keys differing only in bit 0).
inline std::vector<SubjectKey> KeyPool(std::mt19937_64& rng, size_t n) {
  std::vector<SubjectKey> keys;
  for (size_t i = 0; keys.size() < n; ++i) {
    if (i % 6 == 5) {
      SubjectKey k = keys[rng() % keys.size()];
      const int bit = i % 12 == 11 ? 0 : static_cast<int>(rng() % 256);
      k.bytes[31 - bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
      keys.push_back(k);
    } else {
      keys.push_back(KeyOf(static_cast<int>(i)));
    }
  }
  return keys;
}

}  // namespace custos::listings::maptest
