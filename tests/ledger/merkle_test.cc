// Tests of RFC 6962 / RFC 9162 hashing and proof verification: the
// transparency-dev inclusion vectors, golden values from Go's sumdb/tlog, and
// proofs built by a direct transcription of the RFC's recursive definitions.
#include "ledger/tlog/merkle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/sha256.h"

namespace custos::merkle {
namespace {

Hash HashFromHex(std::string_view hex) {
  std::optional<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b.has_value()) << hex;
  std::optional<Hash> h = Hash::FromSpan(b.value_or(Bytes{}));
  EXPECT_TRUE(h.has_value()) << hex;
  return h.value_or(Hash{});
}

// The eight leaves behind the vectors (tests/vectors/rfc6962/README.md).
std::vector<Hash> EightTestLeafHashes() {
  std::vector<Hash> out;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    out.push_back(LeafHash(*HexDecode(hex)));
  }
  return out;
}

// Distinct leaf hashes without randomness: the leaf hash of the index.
std::vector<Hash> CountingLeafHashes(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash(AsBytes(std::to_string(i))));
  return out;
}

// --- RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1, transcribed recursively ---

uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }  // largest 2^k < n

Hash RefRoot(std::span<const Hash> d) {
  if (d.empty()) return EmptyRoot();
  if (d.size() == 1) return d[0];
  const uint64_t k = SplitPoint(d.size());
  return NodeHash(RefRoot(d.first(k)), RefRoot(d.subspan(k)));
}

std::vector<Hash> RefPath(uint64_t m, std::span<const Hash> d) {
  if (d.size() == 1) return {};
  const uint64_t k = SplitPoint(d.size());
  std::vector<Hash> path = m < k ? RefPath(m, d.first(k)) : RefPath(m - k, d.subspan(k));
  path.push_back(m < k ? RefRoot(d.subspan(k)) : RefRoot(d.first(k)));
  return path;
}

std::vector<Hash> RefSubproof(uint64_t m, std::span<const Hash> d, bool b) {
  if (m == d.size()) return b ? std::vector<Hash>{} : std::vector<Hash>{RefRoot(d)};
  const uint64_t k = SplitPoint(d.size());
  std::vector<Hash> proof =
      m <= k ? RefSubproof(m, d.first(k), b) : RefSubproof(m - k, d.subspan(k), false);
  proof.push_back(m <= k ? RefRoot(d.subspan(k)) : RefRoot(d.first(k)));
  return proof;
}

std::vector<Hash> RefConsistency(uint64_t m, std::span<const Hash> d) {
  if (m == 0 || m == d.size()) return {};
  return RefSubproof(m, d, true);
}

Hash FlipBit(Hash h, size_t byte) {
  h.bytes[byte % Hash::kSize] ^= 0x01;
  return h;
}

// --- Hashing ---

TEST(MerkleHashing, KnownAnswers) {
  EXPECT_EQ(HexEncode(EmptyRoot().span()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(LeafHash({}).span()),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  const Hash a = LeafHash(AsBytes("a"));
  const Hash b = LeafHash(AsBytes("b"));
  Sha256 direct;
  direct.Update(uint8_t{1}).Update(a.span()).Update(b.span());
  EXPECT_EQ(NodeHash(a, b), direct.Finish());
}

// Tree roots of the first n test leaves, from Go's sumdb/tlog TreeHash.
TEST(MerkleHashing, RootsOfTestLeavesMatchGoTlog) {
  const char* kRoots[] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  const std::vector<Hash> leaves = EightTestLeafHashes();
  for (size_t n = 1; n <= leaves.size(); ++n) {
    EXPECT_EQ(HexEncode(RootFromLeafHashes(std::span(leaves).first(n)).span()), kRoots[n - 1])
        << "size " << n;
  }
}

TEST(MerkleHashing, RootFromLeafHashesMatchesRecursiveDefinition) {
  const std::vector<Hash> leaves = CountingLeafHashes(130);
  for (size_t n = 0; n <= leaves.size(); ++n) {
    const auto d = std::span(leaves).first(n);
    EXPECT_EQ(RootFromLeafHashes(d), RefRoot(d)) << "size " << n;
  }
}

// --- Inclusion ---

TEST(MerkleInclusion, AcceptsEveryRfcPathUpTo64) {
  const std::vector<Hash> leaves = CountingLeafHashes(64);
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    const auto d = std::span(leaves).first(n);
    const Hash root = RefRoot(d);
    for (uint64_t i = 0; i < n; ++i) {
      const std::vector<Hash> path = RefPath(i, d);
      EXPECT_TRUE(VerifyInclusion(leaves[i], i, n, path, root).ok()) << i << " in " << n;
      Result<Hash> got = RootFromInclusionProof(leaves[i], i, n, path);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, root);
    }
  }
}

TEST(MerkleInclusion, RejectsTamperedPaths) {
  const std::vector<Hash> leaves = CountingLeafHashes(40);
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    const auto d = std::span(leaves).first(n);
    const Hash root = RefRoot(d);
    for (uint64_t i = 0; i < n; ++i) {
      const std::vector<Hash> path = RefPath(i, d);
      for (size_t j = 0; j < path.size(); ++j) {
        std::vector<Hash> bad = path;
        bad[j] = FlipBit(bad[j], j);
        EXPECT_EQ(VerifyInclusion(leaves[i], i, n, bad, root).code(),
                  Status::Code::kCorruption);
      }
      std::vector<Hash> longer = path;
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(leaves[i], i, n, longer, root).ok());
      EXPECT_FALSE(VerifyInclusion(FlipBit(leaves[i], 3), i, n, path, root).ok());
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(leaves[i], (i + 1) % n, n, path, root).ok());
      }
    }
  }
}

TEST(MerkleInclusion, WrongLengthNamesTheCounts) {
  const std::vector<Hash> leaves = EightTestLeafHashes();
  std::vector<Hash> path = RefPath(5, leaves);
  path.push_back(leaves[0]);
  Result<Hash> got = RootFromInclusionProof(leaves[5], 5, 8, path);
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(got.status().message(), "inclusion proof has 4 hashes, want 3 for index 5 in size 8");
  const Status s = VerifyInclusion(leaves[5], 5, 8, path, RefRoot(leaves));
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), got.status().message());
}

TEST(MerkleInclusion, RootMismatchNamesBothRoots) {
  const std::vector<Hash> leaves = EightTestLeafHashes();
  const Hash wrong = EmptyRoot();
  const Status s = VerifyInclusion(leaves[5], 5, 8, RefPath(5, leaves), wrong);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), "computed root " + HexEncode(RefRoot(leaves).span()) +
                             " does not match " + HexEncode(wrong.span()));
}

TEST(MerkleInclusion, IndexNotBelowSizeIsInvalidArgument) {
  const Hash h = EmptyRoot();
  EXPECT_EQ(VerifyInclusion(h, 3, 3, {}, h).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(h, 0, 0, {}, h).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(RootFromInclusionProof(h, 9, 8, {}).status().code(),
            Status::Code::kInvalidArgument);
}

// --- Consistency ---

TEST(MerkleConsistency, AcceptsEveryRfcProofUpTo64) {
  const std::vector<Hash> leaves = CountingLeafHashes(64);
  for (uint64_t n = 0; n <= leaves.size(); ++n) {
    const auto d = std::span(leaves).first(n);
    for (uint64_t m = 0; m <= n; ++m) {
      const Status s = VerifyConsistency(m, n, RefRoot(d.first(m)), RefRoot(d),
                                         RefConsistency(m, d));
      EXPECT_TRUE(s.ok()) << m << " -> " << n << ": " << s.ToString();
    }
  }
}

TEST(MerkleConsistency, RejectsTamperedProofs) {
  const std::vector<Hash> leaves = CountingLeafHashes(40);
  for (uint64_t n = 2; n <= leaves.size(); ++n) {
    const auto d = std::span(leaves).first(n);
    const Hash new_root = RefRoot(d);
    for (uint64_t m = 1; m < n; ++m) {
      const Hash old_root = RefRoot(d.first(m));
      const std::vector<Hash> proof = RefConsistency(m, d);
      for (size_t j = 0; j < proof.size(); ++j) {
        std::vector<Hash> bad = proof;
        bad[j] = FlipBit(bad[j], j);
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, bad).ok()) << m << " " << n;
      }
      std::vector<Hash> longer = proof;
      longer.push_back(new_root);
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, longer).ok());
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root,
                                     std::span(proof).first(proof.size() - 1)).ok());
      EXPECT_FALSE(VerifyConsistency(m, n, FlipBit(old_root, 0), new_root, proof).ok());
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, FlipBit(new_root, 0), proof).ok());
    }
  }
}

// Consistency proofs over the eight test leaves, from Go's sumdb/tlog ProveTree.
TEST(MerkleConsistency, AcceptsGoTlogProofs) {
  struct Case {
    uint64_t m, n;
    std::vector<const char*> proof;
  };
  const std::vector<Case> cases = {
      {1, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {3, 7, {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
              "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
              "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
              "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
      {4, 8, {"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5, 8, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
              "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {6, 8, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 5, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const std::vector<Hash> leaves = EightTestLeafHashes();
  for (const Case& c : cases) {
    std::vector<Hash> proof;
    for (const char* hex : c.proof) proof.push_back(HashFromHex(hex));
    const auto d = std::span(leaves).first(c.n);
    EXPECT_EQ(proof, RefConsistency(c.m, d)) << c.m << " -> " << c.n;
    EXPECT_TRUE(VerifyConsistency(c.m, c.n, RefRoot(d.first(c.m)), RefRoot(d), proof).ok());
  }
}

TEST(MerkleConsistency, TrivialSizes) {
  const std::vector<Hash> leaves = EightTestLeafHashes();
  const Hash root = RefRoot(leaves);
  const Hash empty = EmptyRoot();
  EXPECT_TRUE(VerifyConsistency(0, 8, empty, root, {}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 0, empty, empty, {}).ok());
  EXPECT_EQ(VerifyConsistency(0, 8, root, root, {}).code(), Status::Code::kCorruption);
  EXPECT_EQ(VerifyConsistency(0, 8, empty, root, std::vector<Hash>{root}).code(),
            Status::Code::kCorruption);
  EXPECT_TRUE(VerifyConsistency(8, 8, root, root, {}).ok());
  EXPECT_EQ(VerifyConsistency(8, 8, root, empty, {}).code(), Status::Code::kCorruption);
  EXPECT_EQ(VerifyConsistency(8, 8, root, root, std::vector<Hash>{root}).code(),
            Status::Code::kCorruption);
  EXPECT_EQ(VerifyConsistency(9, 8, root, root, {}).code(), Status::Code::kInvalidArgument);
}

// C2SP tlog-witness: two checkpoints of the same size are consistent only if
// their roots are identical, and the empty tree has exactly one root.
TEST(MerkleConsistency, EqualSizesMeanIdenticalRoots) {
  const std::vector<Hash> leaves = EightTestLeafHashes();
  const Hash root = RefRoot(leaves);
  const Hash empty = EmptyRoot();
  EXPECT_EQ(VerifyConsistency(0, 0, empty, root, {}).code(), Status::Code::kCorruption);
  EXPECT_EQ(VerifyConsistency(0, 0, root, empty, {}).code(), Status::Code::kCorruption);
  EXPECT_EQ(VerifyConsistency(0, 0, root, root, {}).code(), Status::Code::kCorruption);
  const Hash three = RefRoot(std::span(leaves).first(3));
  EXPECT_EQ(VerifyConsistency(3, 3, three, root, {}).code(), Status::Code::kCorruption);
  EXPECT_TRUE(VerifyConsistency(3, 3, three, three, {}).ok());
}

TEST(MerkleConsistency, WrongLengthNamesTheCounts) {
  const std::vector<Hash> leaves = EightTestLeafHashes();
  const auto d = std::span(leaves).first(7);
  std::vector<Hash> proof = RefConsistency(3, d);
  proof.pop_back();
  const Status s = VerifyConsistency(3, 7, RefRoot(d.first(3)), RefRoot(d), proof);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), "consistency proof has 3 hashes, want 4 from size 3 to 7");
}

// --- The transparency-dev/merkle inclusion vectors, one test per file ---

std::filesystem::path VectorDir() {
  return std::filesystem::path(CUSTOS_SOURCE_DIR "/tests/vectors/rfc6962/inclusion");
}

std::vector<std::string> VectorFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(VectorDir(), ec)) {
    if (e.is_regular_file() && e.path().extension() == ".json") {
      out.push_back(std::filesystem::relative(e.path(), VectorDir()).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A base64 field that must be a 32-byte hash; nullopt (a rejection) otherwise.
std::optional<Hash> DecodeHash(const nlohmann::json& v) {
  std::optional<Bytes> b = Base64Decode(v.get<std::string>());
  if (!b) return std::nullopt;
  return Hash::FromSpan(*b);
}

// Whether the case's proof is accepted: every hash must decode, then verify.
bool Accepts(const nlohmann::json& c) {
  std::optional<Hash> root = DecodeHash(c.at("root"));
  std::optional<Hash> leaf = DecodeHash(c.at("leafHash"));
  if (!root || !leaf) return false;
  std::vector<Hash> proof;
  if (!c.at("proof").is_null()) {
    for (const auto& p : c.at("proof")) {
      std::optional<Hash> h = DecodeHash(p);
      if (!h) return false;
      proof.push_back(*h);
    }
  }
  return VerifyInclusion(*leaf, c.at("leafIdx").get<uint64_t>(),
                         c.at("treeSize").get<uint64_t>(), proof, *root)
      .ok();
}

class InclusionVector : public testing::TestWithParam<std::string> {};

TEST_P(InclusionVector, VerifierAgrees) {
  std::ifstream in(VectorDir() / GetParam());
  ASSERT_TRUE(in) << GetParam();
  const nlohmann::json c = nlohmann::json::parse(in);
  EXPECT_EQ(Accepts(c), !c.at("wantErr").get<bool>()) << GetParam() << ": " << c.at("desc");
}

std::string VectorTestName(const testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (char ch : info.param) {
    name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Rfc6962, InclusionVector, testing::ValuesIn(VectorFiles()),
                         VectorTestName);

TEST(InclusionVectors, DirectoryIsPresent) {
  // Guards against the parametrized suite silently having no cases.
  EXPECT_GE(VectorFiles().size(), 90u) << VectorDir();
}

}  // namespace
}  // namespace custos::merkle
