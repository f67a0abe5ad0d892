// RFC 6962 / RFC 9162 Merkle tree hashing and proof verification.
//
//   leaf hash  = SHA-256(0x00 || leaf)
//   node hash  = SHA-256(0x01 || left || right)
//   empty root = SHA-256("")
//
// Proofs are those of RFC 9162 §2.1.3 (inclusion) and §2.1.4 (consistency),
// as checked by Go's golang.org/x/mod/sumdb/tlog and transparency-dev/merkle.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace custos::merkle {

// Whether bit 0 of a tree size or index is set: the walks over a tree's
// perfect subtrees (proofs here, tiles in tiles.h) turn on it.
inline bool Odd(uint64_t v) { return (v & 1) != 0; }

Hash LeafHash(ByteSpan leaf);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyRoot();

// Root of the tree whose leaves have these hashes (O(n); a reference and a test oracle).
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// OK iff `proof` proves that `leaf_hash` is leaf `index` of the tree of `size`
// leaves whose root is `root`. Corruption (naming the reason) otherwise;
// InvalidArgument if index >= size.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root);

// The root that `proof` implies for leaf `index` of a tree of `size` leaves;
// InvalidArgument if the proof has the wrong length for (index, size).
Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index, uint64_t size,
                                    std::span<const Hash> proof);

// OK iff `proof` proves that the tree of `old_size` with `old_root` is a prefix
// of the tree of `new_size` with `new_root`. For old_size == new_size the proof
// must be empty and the roots equal; for old_size == 0 the proof must be empty
// and old_root must be EmptyRoot() (so for 0 and 0, both roots must be).
// Corruption (naming the reason: wrong proof
// length, or which computed root does not match) otherwise; InvalidArgument if
// old_size > new_size.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof);

}  // namespace custos::merkle
