// Tests of the tiled tree: TreeAppender writes tiles into an in-memory
// TileSource, and roots, stored hashes and proofs read back from it are
// checked against trees hashed from scratch.
//
// Random tests print their seed; rerun one with CUSTOS_TEST_SEED=<seed>.
#include "ledger/tlog/tiles.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ledger/tlog/merkle.h"

namespace custos::merkle {
namespace {

// --- Test fixtures: an in-memory tile store, an oracle, random leaves ---

// Tiles in a std::map; counts reads so tests can bound them.
class MapTiles final : public TileSource {
 public:
  Result<std::string> ReadTile(TileId id) override {
    ++reads;
    read_ids.push_back(id);
    auto it = tiles.find(id);
    if (it == tiles.end()) return Status::NotFound("no tile");
    return it->second;
  }
  void Write(const std::map<TileId, std::string>& changed) {
    for (const auto& [id, value] : changed) tiles[id] = value;
  }
  void ResetCounts() {
    reads = 0;
    read_ids.clear();
  }

  std::map<TileId, std::string> tiles;
  int reads = 0;
  std::vector<TileId> read_ids;
};

// Every tile read at most once since the last ResetCounts().
void ExpectNoRepeatedReads(const MapTiles& store) {
  const std::set<TileId> distinct(store.read_ids.begin(), store.read_ids.end());
  EXPECT_EQ(distinct.size(), store.read_ids.size());
}

// Complete-subtree hashes computed by plain pairwise hashing of the leaves,
// independently of tiles: levels_[k][i] is hash (level k, index i).
class Oracle {
 public:
  explicit Oracle(std::vector<Hash> leaves) {
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() >= 2) {
      const std::vector<Hash>& below = levels_.back();
      std::vector<Hash> next;
      for (size_t i = 0; i + 1 < below.size(); i += 2) next.push_back(NodeHash(below[i], below[i + 1]));
      levels_.push_back(std::move(next));
    }
  }

  const std::vector<Hash>& leaves() const { return levels_[0]; }
  Hash Stored(int level, uint64_t index) const { return levels_[static_cast<size_t>(level)][index]; }

  // Root of the first n leaves: the peaks of n, folded right first.
  Hash Root(uint64_t n) const {
    if (n == 0) return EmptyRoot();
    int k = std::countr_zero(n);
    Hash root = Stored(k, (n >> k) - 1);
    for (++k; (n >> k) != 0; ++k) {
      if ((n >> k) & 1) root = NodeHash(Stored(k, (n >> k) - 1), root);
    }
    return root;
  }

  // The stored tile of the given width, laid out as tiles.h says.
  std::string Tile(TileId id, uint64_t width) const {
    std::string out;
    for (int r = 0; r < kTileHeight; ++r) {
      const uint64_t first = id.index << (kTileHeight - r);
      for (uint64_t i = 0; i < (width >> r); ++i) {
        out += AsString(Stored(kTileHeight * id.level + r, first + i).span());
      }
    }
    return out;
  }

 private:
  std::vector<std::vector<Hash>> levels_;
};

// The C2SP tile set of a tree of `size` leaves: id -> width.
std::map<TileId, uint64_t> ExpectedTileWidths(uint64_t size) {
  std::map<TileId, uint64_t> out;
  for (uint8_t level = 0; level < 8 && (size >> (kTileHeight * level)) != 0; ++level) {
    const uint64_t count = size >> (kTileHeight * level);
    for (uint64_t n = 0; n < count / kTileWidth; ++n) out[TileId{level, n}] = kTileWidth;
    if (count % kTileWidth != 0) out[TileId{level, count / kTileWidth}] = count % kTileWidth;
  }
  return out;
}

// The store holds exactly the tiles of the tree of `size` leaves.
void ExpectStoreHoldsTree(const MapTiles& store, const Oracle& oracle, uint64_t size) {
  const std::map<TileId, uint64_t> want = ExpectedTileWidths(size);
  ASSERT_EQ(store.tiles.size(), want.size()) << "size " << size;
  for (const auto& [id, width] : want) {
    auto it = store.tiles.find(id);
    ASSERT_NE(it, store.tiles.end()) << "missing tile " << int{id.level} << "/" << id.index;
    EXPECT_EQ(it->second, oracle.Tile(id, width)) << "tile " << int{id.level} << "/" << id.index;
  }
}

uint64_t TestSeed() {
  const char* env = std::getenv("CUSTOS_TEST_SEED");
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : 20240611;
  std::cout << "[   SEED   ] CUSTOS_TEST_SEED=" << seed << std::endl;
  return seed;
}

std::vector<Hash> RandomLeaves(std::mt19937_64& rng, size_t n) {
  std::vector<Hash> out(n);
  for (Hash& h : out) {
    for (uint8_t& b : h.bytes) b = static_cast<uint8_t>(rng());
  }
  return out;
}

size_t RandomBelow(std::mt19937_64& rng, size_t bound) {
  return std::uniform_int_distribution<size_t>(0, bound - 1)(rng);
}

// Appends `leaves` to `appender` in random batches of 1..max_batch, writing
// each batch's tiles to `store`, then calls after_batch(size).
void Grow(TreeAppender& appender, MapTiles& store, std::span<const Hash> leaves,
          std::mt19937_64& rng, size_t max_batch,
          const std::function<void(uint64_t)>& after_batch = {}) {
  size_t done = 0;
  while (done < leaves.size()) {
    const size_t n = std::min(leaves.size() - done, 1 + RandomBelow(rng, max_batch));
    store.Write(appender.Append(leaves.subspan(done, n)));
    done += n;
    if (after_batch) after_batch(appender.size());
  }
}

TreeAppender EmptyAppender(MapTiles& store) {
  Result<TreeAppender> a = TreeAppender::Load(store, 0);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return std::move(a).value();
}

// A tree grown to `size` with the store and the oracle for it.
struct GrownTree {
  MapTiles store;
  std::unique_ptr<Oracle> oracle;
};

GrownTree Grown(uint64_t seed, size_t size, size_t max_batch) {
  std::mt19937_64 rng(seed);
  GrownTree t;
  t.oracle = std::make_unique<Oracle>(RandomLeaves(rng, size));
  TreeAppender a = EmptyAppender(t.store);
  Grow(a, t.store, t.oracle->leaves(), rng, max_batch);
  return t;
}

// 70,000 leaves, the C2SP example size: tile level 2 exists. Built once.
const GrownTree& LargeTree() {
  static const GrownTree tree = Grown(TestSeed(), 70000, 3000);
  return tree;
}

Hash FlipBit(Hash h, size_t byte) {
  h.bytes[byte % Hash::kSize] ^= 0x80;
  return h;
}

// --- Stored tile layout ---

TEST(StoredTile, HashCountsAndWidths) {
  EXPECT_EQ(StoredTileHashes(1), 1u);
  EXPECT_EQ(StoredTileHashes(2), 3u);
  EXPECT_EQ(StoredTileHashes(3), 4u);
  EXPECT_EQ(StoredTileHashes(255), 502u);
  EXPECT_EQ(StoredTileHashes(256), 510u);
  std::set<size_t> valid;
  for (uint64_t w = 1; w <= kTileWidth; ++w) {
    valid.insert(StoredTileHashes(w));
    EXPECT_EQ(StoredTileWidth(StoredTileHashes(w) * Hash::kSize), w);
  }
  for (size_t hashes = 0; hashes <= 600; ++hashes) {
    if (!valid.contains(hashes)) {
      EXPECT_EQ(StoredTileWidth(hashes * Hash::kSize), 0u) << hashes;
    }
  }
  EXPECT_EQ(StoredTileWidth(31), 0u);
  EXPECT_EQ(StoredTileWidth(510 * Hash::kSize + 1), 0u);
}

// --- TreeAppender against the oracle ---

TEST(TreeAppender, EmptyTree) {
  MapTiles store;
  TreeAppender a = EmptyAppender(store);
  EXPECT_EQ(store.reads, 0);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.Root(), EmptyRoot());
  EXPECT_TRUE(a.Append({}).empty());
  Result<Hash> root = TreeRoot(store, 0);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, EmptyRoot());
}

// Each batch returns every tile whose stored value changed, and only those.
void AppendAndCheckChanges(TreeAppender& a, MapTiles& store, const Oracle& oracle, size_t n) {
  const std::map<TileId, std::string> changed =
      a.Append(std::span(oracle.leaves()).subspan(a.size(), n));
  for (const auto& [id, width] : ExpectedTileWidths(a.size())) {
    const std::string want = oracle.Tile(id, width);
    auto old = store.tiles.find(id);
    if (old != store.tiles.end() && old->second == want) continue;
    auto it = changed.find(id);
    ASSERT_NE(it, changed.end()) << "tile " << int{id.level} << "/" << id.index;
    EXPECT_EQ(it->second, want);
  }
  store.Write(changed);
}

TEST(TreeAppender, RandomBatchesMatchOracleAtEverySize) {
  std::mt19937_64 rng(TestSeed());
  const Oracle oracle(RandomLeaves(rng, 700));
  MapTiles store;
  TreeAppender a = EmptyAppender(store);
  while (a.size() < oracle.leaves().size()) {
    const size_t n = std::min(oracle.leaves().size() - a.size(), 1 + RandomBelow(rng, 40));
    AppendAndCheckChanges(a, store, oracle, n);
    const auto prefix = std::span(oracle.leaves()).first(a.size());
    ASSERT_EQ(a.Root(), RootFromLeafHashes(prefix)) << "size " << a.size();
    ExpectStoreHoldsTree(store, oracle, a.size());
  }
  // Every smaller tree is still readable from the grown store.
  for (uint64_t m = 0; m <= a.size(); ++m) {
    Result<Hash> root = TreeRoot(store, m);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(*root, RootFromLeafHashes(std::span(oracle.leaves()).first(m))) << "size " << m;
  }
}

// C2SP: the first 32w bytes of a tile are MTH of consecutive 256^L-leaf ranges.
void ExpectC2spPrefixes(const MapTiles& store, std::span<const Hash> leaves) {
  for (const auto& [id, value] : store.tiles) {
    const uint64_t width = StoredTileWidth(value.size());
    const uint64_t span = uint64_t{1} << (kTileHeight * id.level);
    for (uint64_t i = 0; i < width; ++i) {
      const uint64_t first = (id.index * kTileWidth + i) * span;
      const Hash want = RootFromLeafHashes(leaves.subspan(first, span));
      ASSERT_EQ(value.substr(i * Hash::kSize, Hash::kSize), AsString(want.span()))
          << "tile " << int{id.level} << "/" << id.index << " hash " << i;
    }
  }
}

TEST(TreeAppender, C2spTilePrefixesAreTheLevel8LHashes) {
  std::mt19937_64 rng(TestSeed());
  const std::vector<Hash> leaves = RandomLeaves(rng, 300);
  MapTiles store;
  TreeAppender a = EmptyAppender(store);
  Grow(a, store, leaves, rng, 25, [&](uint64_t size) {
    ExpectC2spPrefixes(store, std::span(leaves).first(size));
  });
  ExpectC2spPrefixes(LargeTree().store, LargeTree().oracle->leaves());
}

// --- Load ---

TEST(TreeAppender, LoadAtEveryBatchBoundaryContinuesIdentically) {
  std::mt19937_64 rng(TestSeed());
  const std::vector<Hash> leaves = RandomLeaves(rng, 1500);
  MapTiles store;
  TreeAppender a = EmptyAppender(store);
  while (a.size() < leaves.size()) {
    store.ResetCounts();
    Result<TreeAppender> b = TreeAppender::Load(store, a.size());
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_LE(store.reads, 2);  // one tile per tile level at most
    EXPECT_EQ(b->Root(), a.Root());
    const size_t n = std::min(leaves.size() - a.size(), 1 + RandomBelow(rng, 60));
    const auto batch = std::span(leaves).subspan(a.size(), n);
    const std::map<TileId, std::string> changed = a.Append(batch);
    EXPECT_EQ(b->Append(batch), changed) << "size " << a.size();
    EXPECT_EQ(b->Root(), a.Root());
    store.Write(changed);
  }
}

// Load from a store that ran ahead (wider tiles) keeps only what `size` holds.
void ExpectLoadContinues(const GrownTree& tree, uint64_t size, size_t extra) {
  MapTiles store = tree.store;
  store.ResetCounts();
  Result<TreeAppender> b = TreeAppender::Load(store, size);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_LE(store.reads, 3);
  EXPECT_EQ(b->Root(), tree.oracle->Root(size)) << "size " << size;
  const auto changed = b->Append(std::span(tree.oracle->leaves()).subspan(size, extra));
  const std::map<TileId, uint64_t> widths = ExpectedTileWidths(size + extra);
  for (const auto& [id, value] : changed) {
    ASSERT_TRUE(widths.contains(id));
    EXPECT_EQ(value, tree.oracle->Tile(id, widths.at(id))) << "size " << size;
  }
  EXPECT_EQ(b->Root(), tree.oracle->Root(size + extra));
}

TEST(TreeAppender, LoadAtEverySizeFromAWiderStore) {
  const GrownTree tree = Grown(TestSeed(), 700, 50);
  for (uint64_t size = 0; size + 37 <= 700; ++size) ExpectLoadContinues(tree, size, 37);
}

TEST(TreeAppender, LoadAroundTileBoundariesOfALargeTree) {
  for (uint64_t size : {255u, 256u, 257u, 511u, 512u, 65279u, 65280u, 65535u, 65536u, 65537u,
                        65792u, 65793u, 69000u}) {
    ExpectLoadContinues(LargeTree(), size, 700);
  }
}

// --- Inclusion proofs from the store ---

// Tampered variants of a valid inclusion proof that must all be rejected.
void ExpectInclusionTamperRejected(const std::vector<Hash>& roots, const Hash& leaf, uint64_t i,
                                   uint64_t n, const std::vector<Hash>& proof) {
  for (size_t j = 0; j < proof.size(); ++j) {
    std::vector<Hash> bad = proof;
    bad[j] = FlipBit(bad[j], j);
    EXPECT_FALSE(VerifyInclusion(leaf, i, n, bad, roots[n]).ok()) << i << " in " << n;
  }
  std::vector<Hash> longer = proof;
  longer.push_back(roots[n]);
  EXPECT_FALSE(VerifyInclusion(leaf, i, n, longer, roots[n]).ok());
  if (!proof.empty()) {
    const auto shorter = std::span(proof).first(proof.size() - 1);
    EXPECT_FALSE(VerifyInclusion(leaf, i, n, shorter, roots[n]).ok());
    EXPECT_FALSE(VerifyInclusion(leaf, (i + 1) % n, n, proof, roots[n]).ok());
  }
  if (n + 1 < roots.size()) {
    EXPECT_FALSE(VerifyInclusion(leaf, i, n + 1, proof, roots[n + 1]).ok());
  }
  if (i + 1 < n) {
    EXPECT_FALSE(VerifyInclusion(leaf, i, n - 1, proof, roots[n - 1]).ok());
  }
}

std::vector<Hash> PrefixRoots(std::span<const Hash> leaves) {
  std::vector<Hash> roots;
  for (size_t n = 0; n <= leaves.size(); ++n) roots.push_back(RootFromLeafHashes(leaves.first(n)));
  return roots;
}

TEST(TileProofs, InclusionForEveryIndexAndSizeUpTo130) {
  GrownTree tree = Grown(TestSeed(), 130, 20);
  const std::vector<Hash>& leaves = tree.oracle->leaves();
  const std::vector<Hash> roots = PrefixRoots(leaves);
  for (uint64_t n = 1; n <= 130; ++n) {
    for (uint64_t i = 0; i < n; ++i) {
      tree.store.ResetCounts();
      Result<std::vector<Hash>> proof = InclusionProof(tree.store, i, n);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_LE(tree.store.reads, 1);
      const Status s = VerifyInclusion(leaves[i], i, n, *proof, roots[n]);
      ASSERT_TRUE(s.ok()) << i << " in " << n << ": " << s.ToString();
      ExpectInclusionTamperRejected(roots, leaves[i], i, n, *proof);
    }
  }
}

TEST(TileProofs, InclusionRejectsIndexNotBelowSize) {
  GrownTree tree = Grown(1, 10, 3);
  EXPECT_EQ(InclusionProof(tree.store, 10, 10).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(InclusionProof(tree.store, 0, 0).status().code(), Status::Code::kInvalidArgument);
}

// --- Consistency proofs from the store ---

void ExpectConsistencyTamperRejected(const std::vector<Hash>& roots, uint64_t m, uint64_t n,
                                     const std::vector<Hash>& proof) {
  auto rejects = [&](uint64_t old_size, std::span<const Hash> p) {
    EXPECT_FALSE(VerifyConsistency(old_size, n, roots[old_size], roots[n], p).ok())
        << m << " -> " << n << " as " << old_size;
  };
  for (size_t j = 0; j < proof.size(); ++j) {
    std::vector<Hash> bad = proof;
    bad[j] = FlipBit(bad[j], j);
    rejects(m, bad);
    bad = proof;
    bad.erase(bad.begin() + static_cast<std::ptrdiff_t>(j));
    rejects(m, bad);
  }
  std::vector<Hash> longer = proof;
  longer.push_back(roots[n]);
  if (m != 0) rejects(m, longer);  // size 0 needs the empty proof, so this too is covered
  if (m > 1) rejects(m - 1, proof);
  if (m > 0 && m < n) rejects(m + 1, proof);
}

TEST(TileProofs, ConsistencyForEveryPairUpTo130) {
  GrownTree tree = Grown(TestSeed(), 130, 20);
  const std::vector<Hash> roots = PrefixRoots(tree.oracle->leaves());
  for (uint64_t n = 0; n <= 130; ++n) {
    for (uint64_t m = 0; m <= n; ++m) {
      tree.store.ResetCounts();
      Result<std::vector<Hash>> proof = ConsistencyProof(tree.store, m, n);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_LE(tree.store.reads, 1);
      const Status s = VerifyConsistency(m, n, roots[m], roots[n], *proof);
      ASSERT_TRUE(s.ok()) << m << " -> " << n << ": " << s.ToString();
      ExpectConsistencyTamperRejected(roots, m, n, *proof);
    }
  }
}

TEST(TileProofs, ConsistencyArguments) {
  GrownTree tree = Grown(1, 10, 3);
  EXPECT_EQ(ConsistencyProof(tree.store, 5, 4).status().code(), Status::Code::kInvalidArgument);
  for (auto [m, n] : {std::pair<uint64_t, uint64_t>{0, 10}, {0, 0}, {7, 7}}) {
    Result<std::vector<Hash>> proof = ConsistencyProof(tree.store, m, n);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(proof->empty());
  }
}

// --- A tree with three tile levels ---

TEST(LargeTree, TileLayoutIsTheC2spExample) {
  const GrownTree& tree = LargeTree();
  // c2sp.org/tlog-tiles: 273 full level-0 tiles and one of width 112, one full
  // level-1 tile and one of width 17, one level-2 tile of width 1.
  EXPECT_EQ(tree.store.tiles.size(), 277u);
  EXPECT_EQ(StoredTileWidth(tree.store.tiles.at({0, 273}).size()), 112u);
  EXPECT_EQ(StoredTileWidth(tree.store.tiles.at({1, 0}).size()), 256u);
  EXPECT_EQ(StoredTileWidth(tree.store.tiles.at({1, 1}).size()), 17u);
  EXPECT_EQ(StoredTileWidth(tree.store.tiles.at({2, 0}).size()), 1u);
  ExpectStoreHoldsTree(tree.store, *tree.oracle, 70000);
}

TEST(LargeTree, SpotCheckRootsAndProofs) {
  const GrownTree& tree = LargeTree();
  MapTiles store = tree.store;
  const Oracle& oracle = *tree.oracle;
  std::mt19937_64 rng(TestSeed());
  std::vector<uint64_t> sizes = {1, 255, 256, 257, 65535, 65536, 65537, 69999, 70000};
  for (int k = 0; k < 200; ++k) sizes.push_back(1 + RandomBelow(rng, 70000));
  for (uint64_t n : sizes) {
    store.ResetCounts();
    Result<Hash> root = TreeRoot(store, n);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(*root, oracle.Root(n)) << "size " << n;
    ExpectNoRepeatedReads(store);
    const uint64_t i = RandomBelow(rng, n);
    store.ResetCounts();
    Result<std::vector<Hash>> incl = InclusionProof(store, i, n);
    ASSERT_TRUE(incl.ok()) << incl.status().ToString();
    ExpectNoRepeatedReads(store);
    EXPECT_TRUE(VerifyInclusion(oracle.leaves()[i], i, n, *incl, *root).ok()) << i << " " << n;
    const uint64_t m = RandomBelow(rng, n + 1);
    Result<std::vector<Hash>> cons = ConsistencyProof(store, m, n);
    ASSERT_TRUE(cons.ok()) << cons.status().ToString();
    EXPECT_TRUE(VerifyConsistency(m, n, oracle.Root(m), *root, *cons).ok()) << m << " " << n;
  }
  EXPECT_EQ(oracle.Root(70000), RootFromLeafHashes(oracle.leaves()));
}

// --- How many tiles a proof reads at 1,000,000 leaves ---

// Serves zero-filled tiles of the widths a tree of `size` has: enough to count
// reads without building the tree.
class ShapeOnlyTiles final : public TileSource {
 public:
  explicit ShapeOnlyTiles(uint64_t size) : widths_(ExpectedTileWidths(size)) {}
  Result<std::string> ReadTile(TileId id) override {
    ++reads;
    auto it = widths_.find(id);
    if (it == widths_.end()) return Status::NotFound("no tile");
    return std::string(StoredTileHashes(it->second) * Hash::kSize, '\0');
  }
  int reads = 0;

 private:
  std::map<TileId, uint64_t> widths_;
};

TEST(ProofReads, AtOneMillionLeaves) {
  constexpr uint64_t kSize = 1'000'000;
  ShapeOnlyTiles tiles(kSize);
  std::mt19937_64 rng(TestSeed());
  std::vector<uint64_t> indexes = {0, 255, 256, 65535, 65536, 524287, 524288, 999935, 999999};
  for (int k = 0; k < 2000; ++k) indexes.push_back(RandomBelow(rng, kSize));
  std::map<int, int> histogram;
  for (uint64_t i : indexes) {
    tiles.reads = 0;
    ASSERT_TRUE(InclusionProof(tiles, i, kSize).ok());
    ++histogram[tiles.reads];
    EXPECT_LE(tiles.reads, 5) << "index " << i;
  }
  for (auto [reads, count] : histogram) {
    std::cout << "inclusion proof at 1e6: " << reads << " tile reads for " << count << " indexes\n";
  }
  tiles.reads = 0;
  ASSERT_TRUE(TreeRoot(tiles, kSize).ok());
  EXPECT_LE(tiles.reads, 3);
  tiles.reads = 0;
  ASSERT_TRUE(ConsistencyProof(tiles, 123'457, kSize).ok());
  EXPECT_LE(tiles.reads, 6);
}

// --- Errors ---

class FailingTiles final : public TileSource {
 public:
  Result<std::string> ReadTile(TileId) override { return Status::IOError("disk on fire"); }
};

TEST(TileErrors, MissingNarrowAndMalformedTiles) {
  MapTiles empty;
  Result<Hash> h = ReadStoredHash(empty, 0, 0);
  EXPECT_EQ(h.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(h.status().message(), "tile 0/0 is missing");

  GrownTree tree = Grown(1, 10, 3);
  h = ReadStoredHash(tree.store, 0, 12);
  EXPECT_EQ(h.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(h.status().message(), "tile 0/0 of width 10 does not hold hash 0/12");
  EXPECT_EQ(InclusionProof(tree.store, 5, 20).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(TreeRoot(tree.store, 11).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(TreeAppender::Load(tree.store, 20).status().code(), Status::Code::kCorruption);

  tree.store.tiles[{0, 0}] = std::string(64, 'x');
  EXPECT_EQ(ReadStoredHash(tree.store, 0, 0).status().message(), "tile 0/0 has invalid length 64");
  EXPECT_EQ(ReadStoredHash(tree.store, 64, 0).status().code(), Status::Code::kInvalidArgument);
}

TEST(TileErrors, SourceErrorsPassThrough) {
  FailingTiles tiles;
  EXPECT_EQ(TreeRoot(tiles, 5).status().code(), Status::Code::kIOError);
  EXPECT_EQ(InclusionProof(tiles, 1, 5).status().code(), Status::Code::kIOError);
  EXPECT_EQ(TreeAppender::Load(tiles, 5).status().code(), Status::Code::kIOError);
}

TEST(StoredTile, HashesReadBackAtEveryLevel) {
  const GrownTree& tree = LargeTree();
  MapTiles store = tree.store;
  for (int level = 0; level <= 16; ++level) {
    const uint64_t count = 70000 >> level;
    for (uint64_t index : {uint64_t{0}, count / 2, count - 1}) {
      Result<Hash> h = ReadStoredHash(store, level, index);
      ASSERT_TRUE(h.ok()) << h.status().ToString();
      EXPECT_EQ(*h, tree.oracle->Stored(level, index)) << level << "/" << index;
    }
  }
}

}  // namespace
}  // namespace custos::merkle
