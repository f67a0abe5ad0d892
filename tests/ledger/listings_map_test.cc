// Tests of the listings map (ledger/listings/listings_map.h): the compressed store
// against a naive full 256-level sparse Merkle tree computed here over a
// std::map, proofs and their rejections, the encodings, and the LevelDB store
// across a reopen.
//
// Random tests print their seed; rerun one with CUSTOS_TEST_SEED=<seed>.
#include "ledger/listings/listings_map.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "ledger/storage/worker_pool.h"
#include "tests/crypto/test_seed.h"
#include "tests/ledger/map_test_util.h"

namespace custos::listings {
namespace {

using maptest::KeyOf;
using maptest::KeyPool;
using maptest::RandomHash;
using maptest::RefBit;
using maptest::RefSha;

// --- The reference: the definition, computed naively -----------------------

const std::vector<Hash>& RefEmpty() {
  static const std::vector<Hash> empty = [] {
    std::vector<Hash> e(257);
    const uint8_t one = 0x01;
    for (int h = 0; h < 256; ++h) e[h + 1] = RefSha({ByteSpan(&one, 1), e[h].span(), e[h].span()});
    return e;
  }();
  return empty;
}

using RefMap = std::map<SubjectKey, Hash>;
using RefIter = RefMap::const_iterator;

// The hash of the node at `height` whose keys are [begin, end): the full
// binary recursion, one level at a time, down to the leaves.
Hash RefNode(int height, RefIter begin, RefIter end) {
  if (begin == end) return RefEmpty()[height];
  const uint8_t zero = 0x00, one = 0x01;
  if (height == 0) return RefSha({ByteSpan(&zero, 1), begin->first.span(), begin->second.span()});
  RefIter mid = begin;
  while (mid != end && !RefBit(mid->first, height - 1)) ++mid;
  const Hash left = RefNode(height - 1, begin, mid);
  const Hash right = RefNode(height - 1, mid, end);
  return RefSha({ByteSpan(&one, 1), left.span(), right.span()});
}

Hash RefRoot(const RefMap& m) { return RefNode(256, m.begin(), m.end()); }

// The sibling of `key`'s path at `height`: the node at `height` whose key
// bits above `height` are the key's, and whose bit at `height` is flipped.
Hash RefSibling(const RefMap& m, const SubjectKey& key, int height) {
  auto put = [](SubjectKey& k, int h, bool one) {
    const int index = 255 - h;
    const uint8_t mask = static_cast<uint8_t>(1 << (7 - index % 8));
    k.bytes[index / 8] = static_cast<uint8_t>(one ? k.bytes[index / 8] | mask : k.bytes[index / 8] & ~mask);
  };
  SubjectKey lo = key, hi = key;  // the first and last key under the sibling
  for (int h = 0; h < height; ++h) {
    put(lo, h, false);
    put(hi, h, true);
  }
  put(lo, height, !RefBit(key, height));
  put(hi, height, !RefBit(key, height));
  return RefNode(height, m.lower_bound(lo), m.upper_bound(hi));
}

// --- Helpers ----------------------------------------------------------------

Hash ValueOf(std::string_view s) { return Sha256::Digest(s); }

SubjectKey FromHex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes && bytes->size() == 32);
  return SubjectKey::FromHash(*Hash::FromSpan(*bytes));
}

std::string HexOf(const Hash& h) { return HexEncode(h.span()); }

Hash MustRoot(const ListingsMap& map) {
  auto r = map.Root();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Hash{};
}

// --- Definitions -------------------------------------------------------------

TEST(ListingsMapHashing, EmptyHashesFollowTheDefinition) {
  EXPECT_EQ(EmptyHash(0), Hash{});
  for (int h = 0; h <= 256; ++h) ASSERT_EQ(EmptyHash(h), RefEmpty()[h]) << "height " << h;
  // Python's hashlib, as a third implementation (docs/listings-map.md).
  EXPECT_EQ(HexOf(EmptyRoot()), "6155289130893872355eac98042d22aefa2c2e708bea169402760e3b55f9a2dc");
}

TEST(ListingsMapHashing, SubjectKeyIsTheDomainKindAndLengthPrefixedId) {
  const SubjectKey k = DeriveSubjectKey(SubjectKind::kUnifiedSocialCreditCode, "91350100M000100Y43");
  const uint8_t kind = 0, len[4] = {0, 0, 0, 18};
  const Hash want = RefSha({AsBytes("custos/subject/v1"), ByteSpan(&kind, 1), ByteSpan(len, 4), AsBytes("91350100M000100Y43")});
  EXPECT_EQ(k, SubjectKey::FromHash(want));
  EXPECT_EQ(k, FromHex("3e19de314eea667553c951bd4dbc7013e6d5a364200c8e502a967ecca8c08243"));
  EXPECT_EQ(DeriveSubjectKey(SubjectKind::kResidentId, "11010519491231002X"),
            FromHex("4a9ac601dbb6dd2cfa12b709a7001c6d450c244c26dfb3e86e68fad4149ee451"));
  // The kind and the id's length are part of the input: these all differ.
  EXPECT_NE(DeriveSubjectKey(SubjectKind::kUnifiedSocialCreditCode, "X"),
            DeriveSubjectKey(SubjectKind::kResidentId, "X"));
  EXPECT_NE(DeriveSubjectKey(SubjectKind::kUnifiedSocialCreditCode, ""),
            DeriveSubjectKey(SubjectKind::kUnifiedSocialCreditCode, std::string(1, '\0')));
}

TEST(ListingsMapHashing, KeyBitsAreBigEndian) {
  SubjectKey k;
  k.bytes[0] = 0x80;   // the most significant bit: height 255
  k.bytes[31] = 0x01;  // the least significant bit: height 0
  EXPECT_TRUE(k.Bit(255));
  EXPECT_TRUE(k.Bit(0));
  for (int h = 1; h < 255; ++h) EXPECT_FALSE(k.Bit(h)) << h;
  for (int h = 0; h < 256; ++h) EXPECT_EQ(k.Bit(h), RefBit(k, h)) << h;
}

// --- Roots against the reference --------------------------------------------

TEST(ListingsMap, EmptyMapHasTheEmptyRoot) {
  MemoryMapNodeStore store;
  ListingsMap map(store);
  EXPECT_EQ(MustRoot(map), EmptyHash(256));
  EXPECT_EQ(MustRoot(map), RefRoot({}));
  EXPECT_EQ(*map.Size(), 0u);
  EXPECT_EQ(*map.Get(KeyOf(1)), std::nullopt);
  // Erasing from an empty map writes nothing.
  EXPECT_EQ(*map.Erase(KeyOf(1)), EmptyRoot());
  EXPECT_TRUE(store.records().empty());
}

TEST(ListingsMap, FixedVectorsAgreeWithTheReference) {
  const SubjectKey k1 = DeriveSubjectKey(SubjectKind::kUnifiedSocialCreditCode, "91350100M000100Y43");
  const SubjectKey k2 = DeriveSubjectKey(SubjectKind::kResidentId, "11010519491231002X");
  const Hash v1 = ValueOf("listing-1"), v2 = ValueOf("listing-2");
  SubjectKey zero, ones, last_bit;
  ones.bytes.fill(0xFF);
  last_bit.bytes[31] = 0x01;  // differs from `zero` at height 0 only
  SubjectKey top_bit;
  top_bit.bytes[0] = 0x80;    // differs from `zero` at height 255 only

  const std::vector<RefMap> sets = {
      {{k1, v1}},
      {{k1, v1}, {k2, v2}},
      {{zero, v1}, {ones, v2}},
      {{zero, v1}, {last_bit, v2}},
      {{zero, v1}, {top_bit, v2}},
      {{zero, v1}, {last_bit, v2}, {top_bit, v1}, {ones, v1}, {k1, v2}},
      {{zero, Hash{}}},  // a zero value is a listing, not an absence
  };
  for (size_t i = 0; i < sets.size(); ++i) {
    MemoryMapNodeStore store;
    ListingsMap map(store);
    std::vector<MapUpdate> updates;
    for (const auto& [k, v] : sets[i]) updates.push_back({k, v});
    auto root = map.Apply(updates);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(*root, RefRoot(sets[i])) << "set " << i;
    EXPECT_EQ(MustRoot(map), *root);
    EXPECT_NE(*root, EmptyRoot());
    // One head, the leaves and one branch fewer than leaves: no 256-node paths.
    EXPECT_EQ(store.records().size(), 2 * sets[i].size()) << "set " << i;
  }
  // Python's hashlib over the same definition (docs/listings-map.md).
  EXPECT_EQ(HexOf(RefRoot({{k1, v1}})), "a77b1caf94a00b9840545b483dc5e4987aba5e0989f64d6d9ee17e42e0851452");
  EXPECT_EQ(HexOf(RefRoot({{k1, v1}, {k2, v2}})), "77c3c18a9aa3e579a8397efec57ccc81ed519bbcb0da941db9a35e7f1961a68b");
}

TEST(ListingsMap, OneBatchEqualsOneUpdateAtATime) {
  std::mt19937_64 rng(7);
  const auto keys = KeyPool(rng, 120);
  MemoryMapNodeStore a, b;
  ListingsMap batched(a), single(b);
  std::vector<MapUpdate> updates;
  for (const auto& k : keys) updates.push_back({k, RandomHash(rng)});
  const Hash root = *batched.Apply(updates);
  for (const auto& u : updates) ASSERT_TRUE(single.Set(u.key, *u.value).ok());
  EXPECT_EQ(MustRoot(single), root);
  EXPECT_EQ(a.records(), b.records());
}

TEST(ListingsMap, LaterUpdateOfAKeyInABatchWins) {
  MemoryMapNodeStore store;
  ListingsMap map(store);
  const SubjectKey k = KeyOf(1);
  std::vector<MapUpdate> updates = {{k, ValueOf("a")}, {KeyOf(2), ValueOf("x")}, {k, std::nullopt}, {k, ValueOf("b")}};
  const Hash root = *map.Apply(updates);
  EXPECT_EQ(root, RefRoot({{k, ValueOf("b")}, {KeyOf(2), ValueOf("x")}}));
  updates = {{k, ValueOf("c")}, {k, std::nullopt}};
  EXPECT_EQ(*map.Apply(updates), RefRoot({{KeyOf(2), ValueOf("x")}}));
  EXPECT_EQ(*map.Size(), 1u);
}

TEST(ListingsMap, NoOpUpdatesWriteNothing) {
  MemoryMapNodeStore store;
  ListingsMap map(store);
  const Hash root = *map.Apply(std::vector<MapUpdate>{{KeyOf(1), ValueOf("a")}, {KeyOf(2), ValueOf("b")}});
  const auto before = store.records();
  EXPECT_EQ(*map.Set(KeyOf(1), ValueOf("a")), root);
  EXPECT_EQ(*map.Erase(KeyOf(3)), root);
  EXPECT_EQ(store.records(), before);
}

// Random sets, overwrites and erasures in batches of 1..16 (keys may repeat
// within a batch), checked against a std::map after every batch and against
// the reference root every ~50 operations.
void RunRandomSequence(uint64_t seed, int ops, size_t key_count, const ForEachFn& for_each) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const auto keys = KeyPool(rng, key_count);
  MemoryMapNodeStore store;
  ListingsMap map(store, for_each);
  RefMap model;
  int done = 0, next_check = 0;
  while (done < ops) {
    std::vector<MapUpdate> batch;
    const int n = 1 + static_cast<int>(rng() % 16);
    for (int i = 0; i < n; ++i) {
      const SubjectKey& k = keys[rng() % keys.size()];
      const uint64_t kind = rng() % 10;
      if (kind < 3) {
        batch.push_back({k, std::nullopt});
        model.erase(k);
      } else if (kind == 3 && model.count(k) != 0) {
        batch.push_back({k, model[k]});  // the same value again
      } else {
        const Hash v = RandomHash(rng);
        batch.push_back({k, v});
        model[k] = v;
      }
    }
    done += n;
    auto root = map.Apply(batch);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    ASSERT_EQ(MustRoot(map), *root);
    ASSERT_EQ(*map.Size(), model.size());
    ASSERT_EQ(store.records().size(), model.empty() ? 0 : 2 * model.size());
    for (const MapUpdate& u : batch) {
      auto it = model.find(u.key);
      ASSERT_EQ(*map.Get(u.key), it == model.end() ? std::nullopt : std::optional<Hash>(it->second));
    }
    if (done >= next_check) {
      ASSERT_EQ(*root, RefRoot(model)) << "after " << done << " operations";
      next_check += 50;
    }
  }
  EXPECT_EQ(MustRoot(map), RefRoot(model));
  for (const auto& k : keys) {
    auto it = model.find(k);
    ASSERT_EQ(*map.Get(k), it == model.end() ? std::nullopt : std::optional<Hash>(it->second));
  }
}

TEST(ListingsMap, RandomSequencesAgreeWithStdMapAndTheReference) {
  const uint64_t base = testing::TestSeed("ListingsMap.RandomSequences", 20250401);
  for (uint64_t i = 0; i < 4; ++i) RunRandomSequence(base + i, 2000, 300, nullptr);
}

TEST(ListingsMap, ParallelHashingGivesTheSameTree) {
  const uint64_t seed = testing::TestSeed("ListingsMap.ParallelHashing", 99);
  WorkerPool pool(2);
  ForEachFn for_each = [&pool](size_t n, const std::function<void(size_t)>& fn) { pool.ForEach(n, fn); };
  std::mt19937_64 rng(seed);
  const auto keys = KeyPool(rng, 3000);
  MemoryMapNodeStore a, b;
  ListingsMap parallel(a, for_each), serial(b);
  for (int round = 0; round < 3; ++round) {
    std::vector<MapUpdate> updates;
    for (const auto& k : keys) {
      if (rng() % 3 == 0) updates.push_back({k, rng() % 4 == 0 ? std::nullopt : std::optional<Hash>(RandomHash(rng))});
    }
    const Hash root = *parallel.Apply(updates);
    EXPECT_EQ(*serial.Apply(updates), root) << "round " << round;
    EXPECT_EQ(a.records(), b.records()) << "round " << round;
  }
  RunRandomSequence(seed, 600, 200, for_each);
}

// --- Proofs ------------------------------------------------------------------

// A map of `n` random subjects with its model.
struct Fixture {
  MemoryMapNodeStore store;
  ListingsMap map{store};
  RefMap model;
  std::vector<SubjectKey> keys;

  explicit Fixture(size_t n, uint64_t seed = 5) {
    std::mt19937_64 rng(seed);
    keys = KeyPool(rng, 2 * n + 4);
    std::vector<MapUpdate> updates;
    for (size_t i = 0; i < n; ++i) {
      const Hash v = RandomHash(rng);
      updates.push_back({keys[i], v});
      model[keys[i]] = v;
    }
    EXPECT_TRUE(map.Apply(updates).ok());
  }
  std::optional<Hash> ValueOf(const SubjectKey& k) const {
    auto it = model.find(k);
    return it == model.end() ? std::nullopt : std::optional<Hash>(it->second);
  }
};

// The proof's siblings are the reference's non-empty siblings.
void ExpectReferenceSiblings(const RefMap& model, const MapProof& proof) {
  size_t next = 0;
  for (int h = 0; h < 256; ++h) {
    const Hash want = RefSibling(model, proof.key, h);
    if (want == RefEmpty()[h]) {
      ASSERT_FALSE(proof.HasSibling(h)) << "height " << h;
    } else {
      ASSERT_TRUE(proof.HasSibling(h)) << "height " << h;
      ASSERT_EQ(proof.siblings.at(next++), want) << "height " << h;
    }
  }
  EXPECT_EQ(next, proof.siblings.size());
}

TEST(ListingsMapProof, ListedAndNotListedVerify) {
  for (size_t n : {0u, 1u, 2u, 60u}) {
    SCOPED_TRACE("subjects " + std::to_string(n));
    Fixture f(n);
    const Hash root = MustRoot(f.map);
    for (const SubjectKey& k : f.keys) {  // half listed, half not
      auto proof = f.map.Prove(k);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_EQ(proof->key, k);
      EXPECT_EQ(proof->value, f.ValueOf(k));
      EXPECT_TRUE(VerifyMapProof(root, k, f.ValueOf(k), *proof).ok());
      ExpectReferenceSiblings(f.model, *proof);
    }
  }
}

TEST(ListingsMapProof, NeighboursOneBitApartProveEachOther) {
  // Keys differing only at height 0 and only at height 255.
  SubjectKey a, b, c;
  b.bytes[31] = 0x01;
  c.bytes[0] = 0x80;
  SubjectKey absent;
  absent.bytes[31] = 0x02;
  MemoryMapNodeStore store;
  ListingsMap map(store);
  RefMap model = {{a, ValueOf("a")}, {b, ValueOf("b")}, {c, ValueOf("c")}};
  for (const auto& [k, v] : model) ASSERT_TRUE(map.Set(k, v).ok());
  for (const SubjectKey& k : {a, b, c, absent}) {
    auto proof = map.Prove(k);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyMapProof(MustRoot(map), k, proof->value, *proof).ok());
    ExpectReferenceSiblings(model, *proof);
  }
}

// Counts the reads that reach the records, and those of the branches the
// cache keeps.
class CountingStore final : public MapNodeStore {
 public:
  explicit CountingStore(MapNodeStore& inner) : inner_(inner) {}
  Result<std::optional<std::string>> Read(const MapNodeId& id) override {
    ++reads;
    if (id.height != kMapHeadHeight && id.height >= MapBranchCache::kMinHeight) ++top_branch_reads;
    return inner_.Read(id);
  }
  void Write(const MapNodeId& id, std::string_view record) override { inner_.Write(id, record); }
  void Erase(const MapNodeId& id) override { inner_.Erase(id); }
  size_t reads = 0;
  size_t top_branch_reads = 0;

 private:
  MapNodeStore& inner_;
};

// Proofs through the branch cache are the proofs without it, for two
// versions of the map read in turn (readers on an old and a new snapshot),
// and the cache saves reads.
TEST(ListingsMapBranchCache, SameProofsAcrossVersions) {
  Fixture f(400);
  MemoryMapNodeStore old_records = f.store;  // the map as a reader's old snapshot sees it
  std::mt19937_64 rng(11);
  std::vector<MapUpdate> updates;
  for (size_t i = 0; i < 60; ++i) updates.push_back({f.keys[rng() % f.keys.size()], RandomHash(rng)});
  for (size_t i = 0; i < 20; ++i) updates.push_back({f.keys[i], std::nullopt});
  ASSERT_TRUE(f.map.Apply(updates).ok());
  ASSERT_NE(MustRoot(ListingsMap(old_records)), MustRoot(f.map));

  MapBranchCache cache;
  size_t first_pass = 0, second_pass = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (const SubjectKey& k : f.keys) {
      for (MemoryMapNodeStore* records : {&old_records, &f.store}) {
        auto direct = ListingsMap(*records).Prove(k);
        CountingStore counting(*records);
        CachingMapNodeStore cached(counting, cache);
        auto through_cache = ListingsMap(cached).Prove(k);
        ASSERT_TRUE(direct.ok() && through_cache.ok());
        ASSERT_EQ(through_cache->Encode(), direct->Encode());
        (pass == 0 ? first_pass : second_pass) += counting.reads;
      }
    }
  }
  // Alternating versions restart the cache at every proof: no saving.
  EXPECT_EQ(second_pass, first_pass);

  // One version: once every top branch was read, a proof reads no top branch.
  size_t top_reads[2] = {0, 0}, reads[2] = {0, 0};
  for (int pass = 0; pass < 2; ++pass) {
    for (const SubjectKey& k : f.keys) {
      CountingStore counting(f.store);
      CachingMapNodeStore cached(counting, cache);
      auto proof = ListingsMap(cached).Prove(k);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyMapProof(MustRoot(f.map), k, proof->value, *proof).ok());
      top_reads[pass] += counting.top_branch_reads;
      reads[pass] += counting.reads;
    }
  }
  EXPECT_GT(top_reads[0], 0u);
  EXPECT_EQ(top_reads[1], 0u);
  EXPECT_EQ(reads[0] - reads[1], top_reads[0]);
}

class ListingsMapProofRejection : public ::testing::Test {
 protected:
  ListingsMapProofRejection() : f(40) {
    listed = f.keys[3];
    absent = f.keys[50];
    root = MustRoot(f.map);
    proof = *f.map.Prove(listed);
  }
  static void ExpectRejected(const Status& s, Status::Code code, const std::string& reason) {
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(reason), std::string::npos) << s.ToString();
  }

  Fixture f;
  SubjectKey listed, absent;
  Hash root;
  MapProof proof;
};

TEST_F(ListingsMapProofRejection, WrongSubject) {
  ExpectRejected(VerifyMapProof(root, absent, f.ValueOf(listed), proof), Status::Code::kCorruption,
                 "the proof is for subject key");
  // Relabelled to claim the other subject: the path no longer leads to the root.
  MapProof forged = proof;
  forged.key = absent;
  ExpectRejected(VerifyMapProof(root, absent, f.ValueOf(listed), forged), Status::Code::kCorruption,
                 "does not match root");
}

TEST_F(ListingsMapProofRejection, OldRoot) {
  const Hash old_root = root;
  ASSERT_TRUE(f.map.Set(absent, ValueOf("new listing")).ok());
  const MapProof fresh = *f.map.Prove(listed);
  EXPECT_TRUE(VerifyMapProof(MustRoot(f.map), listed, f.ValueOf(listed), fresh).ok());
  ExpectRejected(VerifyMapProof(old_root, listed, f.ValueOf(listed), fresh), Status::Code::kCorruption,
                 "does not match root");
  // And a non-listing proof from before the listing, against the new root.
  ExpectRejected(VerifyMapProof(MustRoot(f.map), absent, std::nullopt, *Fixture(40).map.Prove(absent)),
                 Status::Code::kCorruption, "does not match root");
}

TEST_F(ListingsMapProofRejection, FlippedSiblingHash) {
  ASSERT_FALSE(proof.siblings.empty());
  for (size_t i = 0; i < proof.siblings.size(); ++i) {
    MapProof bad = proof;
    bad.siblings[i].bytes[i % 32] ^= 0x40;
    ExpectRejected(VerifyMapProof(root, listed, f.ValueOf(listed), bad), Status::Code::kCorruption,
                   "does not match root");
  }
  // The same for a non-listing proof, whose empty path below its lowest
  // sibling the verifier does not hash; and that sibling claimed one height
  // lower or higher.
  const MapProof not_listed = *f.map.Prove(absent);
  ASSERT_TRUE(VerifyMapProof(root, absent, std::nullopt, not_listed).ok());
  for (size_t i = 0; i < not_listed.siblings.size(); ++i) {
    MapProof bad = not_listed;
    bad.siblings[i].bytes[31 - i % 32] ^= 0x01;
    ExpectRejected(VerifyMapProof(root, absent, std::nullopt, bad), Status::Code::kCorruption, "does not match root");
  }
  int lowest = 0;
  while (!not_listed.HasSibling(lowest)) ++lowest;
  for (int moved : {lowest - 1, lowest + 1}) {
    if (moved < 0 || not_listed.HasSibling(moved)) continue;
    MapProof bad = not_listed;
    bad.bitmap[31 - lowest / 8] ^= static_cast<uint8_t>(1 << (lowest % 8));
    bad.bitmap[31 - moved / 8] ^= static_cast<uint8_t>(1 << (moved % 8));
    ExpectRejected(VerifyMapProof(root, absent, std::nullopt, bad), Status::Code::kCorruption, "does not match root");
  }
}

TEST_F(ListingsMapProofRejection, WrongValue) {
  ExpectRejected(VerifyMapProof(root, listed, ValueOf("another state"), proof), Status::Code::kCorruption,
                 "the proof shows the subject listed with value");
  ExpectRejected(VerifyMapProof(root, listed, std::nullopt, proof), Status::Code::kCorruption, "the claim is not listed");
  const MapProof not_listed = *f.map.Prove(absent);
  ExpectRejected(VerifyMapProof(root, absent, ValueOf("x"), not_listed), Status::Code::kCorruption,
                 "the proof shows the subject not listed");
  // A proof whose value field is rewritten to the claim does not lead to the root.
  MapProof forged = proof;
  forged.value = ValueOf("another state");
  ExpectRejected(VerifyMapProof(root, listed, forged.value, forged), Status::Code::kCorruption, "does not match root");
  forged = not_listed;
  forged.value = ValueOf("x");
  ExpectRejected(VerifyMapProof(root, absent, forged.value, forged), Status::Code::kCorruption, "does not match root");
}

TEST_F(ListingsMapProofRejection, MalformedBitmap) {
  // A bit flipped in the bitmap: the sibling count no longer matches.
  MapProof bad = proof;
  bad.bitmap[0] ^= 0x01;
  ExpectRejected(VerifyMapProof(root, listed, f.ValueOf(listed), bad), Status::Code::kInvalidArgument,
                 "sibling hashes, the bitmap announces");
  // An empty subtree listed as a sibling: non-canonical.
  bad = proof;
  int h = 0;
  while (bad.HasSibling(h)) ++h;
  bad.bitmap[31 - h / 8] |= static_cast<uint8_t>(1 << (h % 8));
  size_t before = 0;
  for (int i = 0; i < h; ++i) before += bad.HasSibling(i) ? 1 : 0;
  bad.siblings.insert(bad.siblings.begin() + static_cast<long>(before), EmptyHash(h));
  ExpectRejected(VerifyMapProof(root, listed, f.ValueOf(listed), bad), Status::Code::kInvalidArgument,
                 "is the empty hash");
}

TEST_F(ListingsMapProofRejection, TruncatedOrOversizedBitmapInTheEncodings) {
  const std::string text = proof.Format();
  const std::string line = "bitmap " + Base64Encode(ByteSpan(proof.bitmap)) + "\n";
  ASSERT_NE(text.find(line), std::string::npos);
  auto with_bitmap = [&](ByteSpan bitmap) {
    std::string t = text;
    t.replace(t.find(line), line.size(), "bitmap " + Base64Encode(bitmap) + "\n");
    return MapProof::Parse(t).status();
  };
  ExpectRejected(with_bitmap(ByteSpan(proof.bitmap).first(31)), Status::Code::kInvalidArgument,
                 "bitmap truncated: 31 bytes");
  Bytes longer(proof.bitmap.begin(), proof.bitmap.end());
  longer.push_back(0);
  ExpectRejected(with_bitmap(longer), Status::Code::kInvalidArgument, "bitmap oversized: 33 bytes");

  const Bytes bytes = proof.Encode();
  const size_t bitmap_at = 32 + 1 + 32;
  ExpectRejected(MapProof::Decode(ByteSpan(bytes).first(bitmap_at + 20)).status(), Status::Code::kInvalidArgument,
                 "bitmap truncated: 20 bytes");
  Bytes extra = bytes;
  extra.insert(extra.begin() + static_cast<long>(bitmap_at + 32), 0x00);  // a 33rd bitmap byte
  ExpectRejected(MapProof::Decode(extra).status(), Status::Code::kInvalidArgument, "not a whole number of hashes");
}

// --- Encodings ---------------------------------------------------------------

TEST(ListingsMapProofEncoding, RoundTrips) {
  Fixture f(30);
  for (const SubjectKey& k : {f.keys[0], f.keys[45]}) {
    const MapProof p = *f.map.Prove(k);
    auto decoded = MapProof::Decode(p.Encode());
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->Encode(), p.Encode());
    EXPECT_EQ(decoded->value, p.value);
    auto parsed = MapProof::Parse(p.Format());
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->Encode(), p.Encode());
    EXPECT_EQ(p.Encode().size(), 32 + 1 + (p.value ? 32 : 0) + 32 + 32 * p.siblings.size());
  }
}

TEST(ListingsMapProofEncoding, TextLooksAsDocumented) {
  MemoryMapNodeStore store;
  ListingsMap map(store);
  SubjectKey a, b;
  b.bytes[31] = 0x01;
  ASSERT_TRUE(map.Set(a, Hash{}).ok());
  ASSERT_TRUE(map.Set(b, Hash{}).ok());
  const MapProof p = *map.Prove(a);
  EXPECT_EQ(p.Format(),
            "custos/map-proof/v1\n"
            "key AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
            "listed AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
            "bitmap AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=\n" +
                Base64Encode(LeafHash(b, Hash{}).span()) + "\n");
}

TEST(ListingsMapProofEncoding, MalformedInputsAreNamed) {
  Fixture f(10);
  const MapProof p = *f.map.Prove(f.keys[0]);
  const Bytes bytes = p.Encode();
  EXPECT_NE(MapProof::Decode(ByteSpan(bytes).first(10)).status().message().find("truncated in the key"), std::string::npos);
  Bytes bad_flag = bytes;
  bad_flag[32] = 7;
  EXPECT_NE(MapProof::Decode(bad_flag).status().message().find("listing flag is 7"), std::string::npos);
  Bytes trailing = bytes;
  trailing.insert(trailing.end(), 32, 0xAB);
  EXPECT_NE(MapProof::Decode(trailing).status().message().find("the bitmap announces"), std::string::npos);

  const std::string text = p.Format();
  EXPECT_FALSE(MapProof::Parse("custos/map-proof/v2\n" + text.substr(text.find('\n') + 1)).ok());
  EXPECT_NE(MapProof::Parse(text + "AAAA\n").status().message().find("the bitmap announces"), std::string::npos);
  EXPECT_NE(MapProof::Parse(text.substr(0, text.size() - 1)).status().message().find("newline"), std::string::npos);
  EXPECT_NE(MapProof::Parse(text.substr(0, text.rfind('\n', text.size() - 2) + 1)).status().message().find("the bitmap announces"),
            std::string::npos);
}

// --- Stores ------------------------------------------------------------------

TEST(ListingsMapStore, CorruptRecordsAreReported) {
  Fixture f(20);
  // A branch record cut short.
  auto branch = std::find_if(f.store.records().begin(), f.store.records().end(), [](const auto& r) {
    return r.first.height != 0 && r.first.height != kMapHeadHeight;
  });
  ASSERT_NE(branch, f.store.records().end());
  branch->second.pop_back();
  bool reported = false;
  for (const SubjectKey& k : f.keys) {
    auto proof = f.map.Prove(k);
    if (!proof.ok()) {
      EXPECT_EQ(proof.status().code(), Status::Code::kCorruption);
      EXPECT_NE(proof.status().message().find("map branch"), std::string::npos) << proof.status().ToString();
      reported = true;
    }
  }
  EXPECT_TRUE(reported);
  // A leaf that its parent names but that is gone.
  Fixture g(20);
  g.store.Erase({0, g.keys[0]});
  auto r = g.map.Set(g.keys[0], ValueOf("changed"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find("missing"), std::string::npos);
}

TEST(ListingsMapStore, NodeKeysAreDocumented) {
  SubjectKey prefix;
  prefix.bytes[0] = 0xA8;  // the node at height 250 on the path of keys starting 0b101010
  const std::string zeros(62, '0');
  EXPECT_EQ(HexEncode(AsBytes(MapNodeKey(2, {kMapHeadHeight, {}}))), "6d00000002");
  EXPECT_EQ(HexEncode(AsBytes(MapNodeKey(2, {256, {}}))), "6d00000002" + zeros + "000000");
  EXPECT_EQ(HexEncode(AsBytes(MapNodeKey(0, {250, prefix}))), "6d00000000a8" + zeros + "0006");
  EXPECT_EQ(HexEncode(AsBytes(MapNodeKey(0, {0, prefix}))), "6d00000000a8" + zeros + "0100");
  // Pre-order: a node, then everything below it, then what follows it.
  SubjectKey below = prefix, after = prefix;
  below.bytes[31] = 0x01;
  after.bytes[0] = 0xAC;
  EXPECT_LT(MapNodeKey(0, {250, prefix}), MapNodeKey(0, {249, prefix}));
  EXPECT_LT(MapNodeKey(0, {249, prefix}), MapNodeKey(0, {0, below}));
  EXPECT_LT(MapNodeKey(0, {0, below}), MapNodeKey(0, {0, after}));
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "listings-map-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<leveldb::DB> OpenDb(const std::string& path) {
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, path, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return std::unique_ptr<leveldb::DB>(db);
}

TEST(ListingsMapStore, LevelDbGivesTheSameRootsAfterReopening) {
  const uint64_t seed = testing::TestSeed("ListingsMapStore.LevelDb", 31);
  std::mt19937_64 rng(seed);
  const auto keys = KeyPool(rng, 400);
  TempDir dir;
  MemoryMapNodeStore memory;
  ListingsMap expected(memory);
  auto random_batch = [&] {
    std::vector<MapUpdate> updates;
    for (int i = 0; i < 40; ++i) {
      const SubjectKey& k = keys[rng() % keys.size()];
      updates.push_back({k, rng() % 4 == 0 ? std::nullopt : std::optional<Hash>(RandomHash(rng))});
    }
    return updates;
  };
  // Log 0 gets the updates, three Apply calls to a write batch; log 1 stays empty.
  auto write_rounds = [&](leveldb::DB& db, int rounds) {
    for (int round = 0; round < rounds; ++round) {
      leveldb::WriteBatch batch;
      LevelDbMapNodeStore store(db, layout::kOwnLog, batch);
      ListingsMap map(store);
      for (int apply = 0; apply < 3; ++apply) {
        const auto updates = random_batch();
        auto root = map.Apply(updates);
        ASSERT_TRUE(root.ok()) << root.status().ToString();
        ASSERT_EQ(*root, *expected.Apply(updates));
      }
      ASSERT_TRUE(db.Write(leveldb::WriteOptions(), &batch).ok());
    }
  };
  {
    auto db = OpenDb(dir.path());
    write_rounds(*db, 4);
  }
  auto db = OpenDb(dir.path());
  leveldb::WriteBatch unused;
  LevelDbMapNodeStore store(*db, layout::kOwnLog, unused);
  ListingsMap reopened(store);
  EXPECT_EQ(MustRoot(reopened), MustRoot(expected));
  EXPECT_EQ(*reopened.Size(), *expected.Size());
  for (const SubjectKey& k : keys) {
    ASSERT_EQ(*reopened.Get(k), *expected.Get(k));
    ASSERT_EQ(reopened.Prove(k)->Encode(), expected.Prove(k)->Encode());
  }
  LevelDbMapNodeStore other_store(*db, 1, unused);
  EXPECT_EQ(MustRoot(ListingsMap(other_store)), EmptyRoot());
  write_rounds(*db, 2);  // and it keeps growing in step
  LevelDbMapNodeStore after(*db, layout::kOwnLog, unused);
  EXPECT_EQ(MustRoot(ListingsMap(after)), MustRoot(expected));
  EXPECT_EQ(MustRoot(ListingsMap(after)), RefRoot([&] {
              RefMap m;
              for (const SubjectKey& k : keys) {
                if (auto v = *expected.Get(k)) m[k] = *v;
              }
              return m;
            }()));
}

}  // namespace
}  // namespace custos::listings
