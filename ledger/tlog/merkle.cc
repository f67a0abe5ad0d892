#include "ledger/tlog/merkle.h"

#include <array>
#include <bit>
#include <cstring>
#include <string>

#include "crypto/sha256.h"

namespace custos::merkle {

namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

std::string Hex(const Hash& h) { return HexEncode(h.span()); }

// Length of the RFC 9162 inclusion proof for (index, size), index < size: the
// levels where the path to `index` and the path to the last leaf differ
// (inner), then one left sibling for each 1 bit above them (border).
size_t InclusionProofSize(uint64_t index, uint64_t size) {
  const int inner = std::bit_width(index ^ (size - 1));
  return static_cast<size_t>(inner + std::popcount(index >> inner));
}

// Length of the RFC 9162 consistency proof for 0 < old_size < new_size. The
// proof is the inclusion proof of the largest perfect subtree ending at
// old_size, preceded by that subtree's hash unless it is the whole old tree.
size_t ConsistencyProofSize(uint64_t old_size, uint64_t new_size) {
  const int shift = std::countr_zero(old_size);
  const uint64_t node = (old_size - 1) >> shift;
  const size_t seed = node == 0 ? 0 : 1;
  return seed + InclusionProofSize(node, ((new_size - 1) >> shift) + 1);
}

Status RootMismatch(const char* what, const Hash& got, const Hash& want) {
  return Status::Corruption(std::string("computed ") + what + " " + Hex(got) +
                            " does not match " + Hex(want));
}

// Shifts both indexes right until fn's low bit is set or fn is 0: the levels
// skipped are those where the node on the path is its parent's only child.
void SkipLoneLevels(uint64_t& fn, uint64_t& sn) {
  while (!Odd(fn) && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Hash LeafHash(ByteSpan leaf) {
  return ThreadSha256().Update(kLeafPrefix).Update(leaf).Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  // One 65-byte update on the thread's reused context: three small updates
  // cost noticeably more than the single compression-bound call.
  std::array<uint8_t, 1 + 2 * Hash::kSize> buf;
  buf[0] = kNodePrefix;
  std::memcpy(buf.data() + 1, left.bytes.data(), Hash::kSize);
  std::memcpy(buf.data() + 1 + Hash::kSize, right.bytes.data(), Hash::kSize);
  return ThreadSha256().Update(ByteSpan(buf)).Finish();
}

Hash EmptyRoot() { return ThreadSha256().Finish(); }

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  if (leaf_hashes.empty()) return EmptyRoot();
  // peaks[k] holds a complete subtree of 2^k leaves when bit k of the count
  // so far is set; adding a leaf carries like a binary increment.
  std::vector<Hash> peaks;
  uint64_t count = 0;
  for (const Hash& leaf : leaf_hashes) {
    Hash carry = leaf;
    int k = 0;
    for (; Odd(count >> k); ++k) carry = NodeHash(peaks[k], carry);
    if (static_cast<size_t>(k) == peaks.size()) peaks.emplace_back();
    peaks[k] = carry;
    ++count;
  }
  // Fold from the smallest peak up: the right edge is hashed first.
  int k = std::countr_zero(count);
  Hash root = peaks[k];
  for (++k; k < static_cast<int>(peaks.size()); ++k) {
    if (Odd(count >> k)) root = NodeHash(peaks[k], root);
  }
  return root;
}

Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, uint64_t index, uint64_t size,
                                    std::span<const Hash> proof) {
  if (index >= size) {
    return Status::InvalidArgument("inclusion proof index " + std::to_string(index) +
                                   " is not below size " + std::to_string(size));
  }
  const size_t want = InclusionProofSize(index, size);
  if (proof.size() != want) {
    return Status::InvalidArgument(
        "inclusion proof has " + std::to_string(proof.size()) + " hashes, want " +
        std::to_string(want) + " for index " + std::to_string(index) + " in size " +
        std::to_string(size));
  }
  // RFC 9162 §2.1.3.2; the length check above makes its sn checks redundant.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (Odd(fn) || fn == sn) {
      r = NodeHash(p, r);
      SkipLoneLevels(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return r;
}

Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root) {
  Result<Hash> got = RootFromInclusionProof(leaf_hash, index, size, proof);
  if (!got.ok()) {
    // A proof of the wrong length is a proof that does not check.
    if (index >= size) return got.status();
    return Status::Corruption(got.status().message());
  }
  if (*got != root) return RootMismatch("root", *got, root);
  return Status::OK();
}

namespace {

struct ConsistencyRoots {
  Hash old_root;
  Hash new_root;
};

// RFC 9162 §2.1.4.2 steps 2–5 for 0 < old_size < new_size, on a proof whose
// length has been checked, with `path` already holding the seed hash first.
ConsistencyRoots RunConsistency(uint64_t old_size, uint64_t new_size,
                                std::span<const Hash> path) {
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while (Odd(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  ConsistencyRoots r{path[0], path[0]};
  for (const Hash& c : path.subspan(1)) {
    if (Odd(fn) || fn == sn) {
      r.old_root = NodeHash(c, r.old_root);
      r.new_root = NodeHash(c, r.new_root);
      SkipLoneLevels(fn, sn);
    } else {
      r.new_root = NodeHash(r.new_root, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return r;
}

Status CheckTrivialConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root, const Hash& new_root,
                               std::span<const Hash> proof) {
  if (!proof.empty()) {
    return Status::Corruption("consistency proof from size " + std::to_string(old_size) +
                              " has " + std::to_string(proof.size()) + " hashes, want 0");
  }
  // The tree of size 0 has exactly one root; claiming another is false.
  if (old_size == 0 && old_root != EmptyRoot()) {
    return RootMismatch("old root", EmptyRoot(), old_root);
  }
  // Equal sizes are one tree, so one root (C2SP tlog-witness); from size 0
  // that root is the empty tree's, already checked above.
  if (old_size == new_size && old_root != new_root) return RootMismatch("root", old_root, new_root);
  return Status::OK();
}

}  // namespace

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) {
    return Status::InvalidArgument("consistency old size " + std::to_string(old_size) +
                                   " exceeds new size " + std::to_string(new_size));
  }
  if (old_size == 0 || old_size == new_size) {
    return CheckTrivialConsistency(old_size, new_size, old_root, new_root, proof);
  }
  const size_t want = ConsistencyProofSize(old_size, new_size);
  if (proof.size() != want) {
    return Status::Corruption("consistency proof has " + std::to_string(proof.size()) +
                              " hashes, want " + std::to_string(want) + " from size " +
                              std::to_string(old_size) + " to " + std::to_string(new_size));
  }
  // When old_size is a power of two the seed is the old root itself.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  const ConsistencyRoots got = RunConsistency(old_size, new_size, path);
  if (got.old_root != old_root) return RootMismatch("old root", got.old_root, old_root);
  if (got.new_root != new_root) return RootMismatch("new root", got.new_root, new_root);
  return Status::OK();
}

}  // namespace custos::merkle
