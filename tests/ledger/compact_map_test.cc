// Tests of the compact form of the map (MapHashing::kCompact, listings_map.h),
// the custody and authority maps' form: roots against a naive recursion over
// a std::map written from the definition, proofs of present and absent keys
// (ending at the key's leaf, another key's leaf, or an empty subtree), and
// the refusal of every altered or non-canonical proof.
//
// Random tests print their seed; rerun one with CUSTOS_TEST_SEED=<seed>.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "ledger/listings/listings_map.h"
#include "ledger/storage/worker_pool.h"
#include "tests/crypto/test_seed.h"
#include "tests/ledger/map_test_util.h"

namespace custos::listings {
namespace {

using maptest::KeyPool;
using maptest::RandomHash;
using maptest::RefBit;
using maptest::RefSha;

// --- The reference: the definition, computed naively -----------------------

using RefMap = std::map<SubjectKey, Hash>;
using RefIter = RefMap::const_iterator;

// The compact hash of the node at `height` holding keys [begin, end): zero
// when empty, the leaf hash when it holds one key, else the interior hash of
// its two halves.
Hash RefNode(int height, RefIter begin, RefIter end) {
  if (begin == end) return Hash{};
  const uint8_t zero = 0x00, one = 0x01;
  if (std::next(begin) == end) return RefSha({ByteSpan(&zero, 1), begin->first.span(), begin->second.span()});
  RefIter mid = begin;
  while (mid != end && !RefBit(mid->first, height - 1)) ++mid;
  const Hash left = RefNode(height - 1, begin, mid);
  const Hash right = RefNode(height - 1, mid, end);
  return RefSha({ByteSpan(&one, 1), left.span(), right.span()});
}

Hash RefRoot(const RefMap& m) { return RefNode(256, m.begin(), m.end()); }

struct Compact {
  MemoryMapNodeStore store;
  ListingsMap map;
  explicit Compact(ForEachFn for_each = nullptr) : map(store, std::move(for_each), MapHashing::kCompact) {}
};

CompactMapProof MustProve(const ListingsMap& map, const SubjectKey& key) {
  auto p = map.ProveCompact(key);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : CompactMapProof{};
}

// Proves every key of the pool against `root`, round-trips each proof
// through its encoding, and checks the claim it must refuse.
void ExpectProofs(const ListingsMap& map, const RefMap& model, const std::vector<SubjectKey>& keys, const Hash& root) {
  for (const SubjectKey& k : keys) {
    const auto it = model.find(k);
    const std::optional<Hash> value = it == model.end() ? std::nullopt : std::optional<Hash>(it->second);
    const CompactMapProof proof = MustProve(map, k);
    const Bytes encoded = proof.Encode();
    auto decoded = CompactMapProof::Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_EQ(decoded->Encode(), encoded);
    Status ok = VerifyCompactMapProof(root, k, value, *decoded);
    ASSERT_TRUE(ok.ok()) << ok.ToString() << " key " << HexEncode(k.span());
    const std::optional<Hash> wrong = value ? std::nullopt : std::optional<Hash>(Hash{});
    ASSERT_FALSE(VerifyCompactMapProof(root, k, wrong, *decoded).ok());
  }
}

void RunRandomSequence(uint64_t seed, int ops, size_t pool_size, ForEachFn for_each) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::vector<SubjectKey> keys = KeyPool(rng, pool_size);
  Compact c(std::move(for_each));
  RefMap model;
  int done = 0, next_check = 0;
  while (done < ops) {
    std::vector<MapUpdate> batch;
    // Mostly small batches; now and then one large enough to hash in parallel.
    const int n = rng() % 20 == 0 ? 100 : 1 + static_cast<int>(rng() % 16);
    for (int i = 0; i < n; ++i) {
      const SubjectKey& k = keys[rng() % keys.size()];
      if (rng() % 10 < 3) {
        batch.push_back({k, std::nullopt});
        model.erase(k);
      } else {
        const Hash v = RandomHash(rng);
        batch.push_back({k, v});
        model[k] = v;
      }
    }
    done += n;
    auto root = c.map.Apply(batch);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    ASSERT_EQ(*c.map.Root(), *root);
    ASSERT_EQ(*root, RefRoot(model)) << "after " << done << " operations";
    if (done >= next_check) {
      ExpectProofs(c.map, model, keys, *root);
      next_check += 400;
    }
  }
}

// --- Roots -------------------------------------------------------------------

TEST(CompactMap, EmptyOneAndTwoKeysFollowTheDefinition) {
  Compact c;
  EXPECT_EQ(*c.map.Root(), Hash{});
  EXPECT_EQ(EmptyMapRoot(MapHashing::kCompact), Hash{});
  const SubjectKey a = DeriveSubjectKey(SubjectKind::kResidentId, "a");
  const SubjectKey b = DeriveSubjectKey(SubjectKind::kResidentId, "b");
  const Hash va = Sha256::Digest("va"), vb = Sha256::Digest("vb");
  // One key: the root is its leaf hash, with no level above it hashed.
  EXPECT_EQ(*c.map.Set(a, va), LeafHash(a, va));
  // Two keys: one interior hash where their paths part, and above it one
  // per level with an empty (zero) sibling.
  RefMap m{{a, va}, {b, vb}};
  EXPECT_EQ(*c.map.Set(b, vb), RefRoot(m));
  EXPECT_EQ(*c.map.Erase(a), LeafHash(b, vb));
  EXPECT_EQ(*c.map.Erase(b), Hash{});
  EXPECT_TRUE(c.store.records().empty());
}

TEST(CompactMap, RandomSequencesAgreeWithTheReference) {
  const uint64_t base = testing::TestSeed("CompactMap.RandomSequences", 20261205);
  for (uint64_t i = 0; i < 3; ++i) RunRandomSequence(base + i, 1500, 200, nullptr);
}

TEST(CompactMap, ParallelHashingGivesTheSameTree) {
  const uint64_t seed = testing::TestSeed("CompactMap.ParallelHashing", 7);
  WorkerPool pool(2);
  RunRandomSequence(seed, 1500, 300, [&pool](size_t n, const std::function<void(size_t)>& fn) { pool.ForEach(n, fn); });
}

TEST(CompactMap, AProofEndsWhereTheKeysPathLeavesThePopulatedTree) {
  // 4,096 derived keys: a key's leaf sits about 12 levels below the root, so
  // its proof ends near height 244 with about 12 siblings, where the full
  // form's ends at height 0.
  Compact c;
  std::vector<MapUpdate> all;
  for (int i = 0; i < 4096; ++i) {
    all.push_back({DeriveSubjectKey(SubjectKind::kResidentId, "k" + std::to_string(i)), Sha256::Digest("v")});
  }
  ASSERT_TRUE(c.map.Apply(all).ok());
  const CompactMapProof proof = MustProve(c.map, all[17].key);
  EXPECT_GE(proof.siblings.size(), 8u);
  EXPECT_LE(proof.siblings.size(), 30u);
  EXPECT_GE(proof.height, 256 - 30);
  EXPECT_LE(proof.height, 256 - 8);
}

// --- Proofs ------------------------------------------------------------------

class CompactProofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(11);
    keys_ = KeyPool(rng, 64);
    for (size_t i = 0; i < keys_.size(); i += 2) model_[keys_[i]] = RandomHash(rng);
    std::vector<MapUpdate> updates;
    for (const auto& [k, v] : model_) updates.push_back({k, v});
    root_ = *c_.map.Apply(updates);
  }
  // A key held, and absent keys whose proofs end at another leaf and at an empty subtree.
  std::pair<SubjectKey, CompactMapProof> Find(const std::function<bool(const CompactMapProof&)>& want) {
    for (const SubjectKey& k : keys_) {
      CompactMapProof p = MustProve(c_.map, k);
      if (want(p)) return {k, p};
    }
    ADD_FAILURE() << "no key of the pool gives such a proof";
    return {};
  }
  Status Verify(const SubjectKey& k, const CompactMapProof& p) {
    auto it = model_.find(k);
    return VerifyCompactMapProof(root_, k, it == model_.end() ? std::nullopt : std::optional<Hash>(it->second), p);
  }

  Compact c_;
  std::vector<SubjectKey> keys_;
  RefMap model_;
  Hash root_;
};

TEST_F(CompactProofTest, EveryKindOfEndVerifies) {
  auto [own_key, own] = Find([](const CompactMapProof& p) { return p.value.has_value(); });
  auto [other_key, other] = Find([](const CompactMapProof& p) { return p.other.has_value(); });
  auto [empty_key, empty] = Find([](const CompactMapProof& p) { return !p.value && !p.other; });
  EXPECT_TRUE(Verify(own_key, own).ok());
  EXPECT_TRUE(Verify(other_key, other).ok());
  EXPECT_TRUE(Verify(empty_key, empty).ok());
  // A proof is for its key only.
  EXPECT_FALSE(Verify(other_key, own).ok());
}

TEST_F(CompactProofTest, AlteredProofsAreRefused) {
  // Copies, not structured bindings: the lambda below captures them.
  const auto found = Find([](const CompactMapProof& q) { return q.value.has_value() && q.siblings.size() >= 2; });
  const SubjectKey k = found.first;
  const CompactMapProof p = found.second;
  auto refused = [&](CompactMapProof q, std::string_view why) {
    Status s = Verify(k, q);
    EXPECT_FALSE(s.ok()) << why;
    EXPECT_FALSE(s.message().empty());
    return s;
  };
  CompactMapProof flipped = p;
  flipped.siblings[1].bytes[5] ^= 1;
  EXPECT_NE(refused(flipped, "flipped sibling").message().find("does not match root"), std::string::npos);
  CompactMapProof lower = p;
  lower.height = static_cast<uint16_t>(p.height - 1);  // the leaf claimed one level lower
  EXPECT_NE(refused(lower, "lower end").message().find("not canonical"), std::string::npos);
  CompactMapProof hidden = p;  // the key's own leaf passed off as another's
  hidden.other = std::make_pair(k, *p.value);
  hidden.value.reset();
  EXPECT_EQ(refused(hidden, "own leaf as other").code(), Status::Code::kCorruption);  // the claim differs
  EXPECT_NE(CompactMapRootFromProof(hidden).status().message().find("the key's own"), std::string::npos);
  CompactMapProof zero = p;
  zero.siblings[0] = Hash{};
  EXPECT_NE(refused(zero, "zero sibling").message().find("empty hash"), std::string::npos);
  CompactMapProof dropped = p;
  dropped.siblings.pop_back();
  EXPECT_NE(refused(dropped, "dropped sibling").message().find("sibling hashes"), std::string::npos);
}

TEST_F(CompactProofTest, AnotherLeafOffTheKeysPathIsRefused) {
  auto [k, p] = Find([](const CompactMapProof& q) { return q.other.has_value(); });
  // Any other key held in the map, whose path leaves k's above where the proof ends.
  for (const auto& [held, value] : model_) {
    CompactMapProof q = p;
    q.other = std::make_pair(held, value);
    if (held == p.other->first) continue;
    auto root = CompactMapRootFromProof(q);
    if (!root.ok()) {
      EXPECT_NE(root.status().message().find("leaves the key's path"), std::string::npos) << root.status().ToString();
    } else {
      EXPECT_NE(*root, root_);
    }
  }
}

TEST(CompactProofEncoding, TruncationsAndBadFlagsAreNamed) {
  std::mt19937_64 rng(3);
  Compact c;
  std::vector<MapUpdate> updates;
  for (int i = 0; i < 50; ++i) updates.push_back({DeriveSubjectKey(SubjectKind::kResidentId, std::to_string(i)), RandomHash(rng)});
  ASSERT_TRUE(c.map.Apply(updates).ok());
  const Bytes good = MustProve(c.map, updates[3].key).Encode();
  for (size_t cut = 0; cut < good.size(); ++cut) {
    auto d = CompactMapProof::Decode(ByteSpan(good.data(), cut));
    ASSERT_FALSE(d.ok()) << "cut at " << cut;
    EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_NE(CompactMapProof::Decode(longer).status().message().find("not a whole number of hashes"), std::string::npos);
  Bytes flag = good;
  flag[32] = 7;
  EXPECT_NE(CompactMapProof::Decode(flag).status().message().find("end flag is 7"), std::string::npos);
  Bytes high = good;
  high[33 + 32] = 0x01;  // height 0x01xx: above 256
  high[33 + 33] = 0x01;
  EXPECT_NE(CompactMapProof::Decode(high).status().message().find("above the root"), std::string::npos);
}

}  // namespace
}  // namespace custos::listings
