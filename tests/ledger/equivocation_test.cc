// Equivocation: two logs with the SAME node key and origin but different
// histories (a fork made by copying one log's database and appending other
// entries to each copy). A witness holding a replica of fork A sees fork B's
// checkpoints, proves the origin lied, keeps the proof and stops cosigning;
// anyone with the origin's key checks the proof, and forged or altered
// proofs are refused.
#include "ledger/log/equivocation.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>

#include "crypto/cosignature.h"
#include "ledger/log/replica.h"
#include "ledger/log/verify.h"
#include "tests/ledger/replica_test_util.h"

namespace custos {
namespace {

using custos::testing::GrowTo;
using custos::testing::kOrigin;
using custos::testing::Must;
using custos::testing::NodeKey;
using custos::testing::OfficerKey;
using custos::testing::OpenedLog;
using custos::testing::OriginVerifier;
using custos::testing::ReplicaHolder;
using custos::testing::TestKey;
using custos::testing::TestLog;
using custos::testing::TextOf;
using Code = Status::Code;

// The witness of these tests, and its verifier key (cosignature/v1).
NamedKey Witness() { return NamedKey{"witness.example", TestKey("witness")}; }
NoteVerifier WitnessVerifier() {
  return NoteVerifier::ForKey(Witness().name, Witness().key.public_key(), kAlgCosignatureV1);
}

// The cosignature in `line` must verify over `note`'s text.
void ExpectCosignatureVerifies(const std::string& note, const std::string& line) {
  auto with_line = Must(Note::Parse(note + line), "Note::Parse");
  auto t = VerifyCosignature(with_line.text, with_line.signatures.back(), WitnessVerifier());
  EXPECT_TRUE(t.ok()) << t.status().ToString();
}

class EquivocationTest : public ::testing::Test {
 protected:
  // Fork A and fork B share entries [0, 10); A then holds 15 entries (one
  // batch), B 15 in two batches (checkpoints at 12 and 15). The replica
  // follows A up to 15.
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (const char* sub : {"/a", "/b", "/replica", "/peer"}) std::filesystem::create_directories(dir_ + sub);
    a_ = std::make_unique<TestLog>(dir_ + "/a");
    a_->GrantOfficer();
    GrowTo(*a_, 10, "S-");
    b_ = std::make_unique<OpenedLog>(*a_, dir_ + "/b", /*maker_stream=*/7);
    GrowTo(*a_, 15, "A-");
    GrowTo(*b_, 12, "B-");
    GrowTo(*b_, 15, "B-");
    holder_ = std::make_unique<ReplicaHolder>(dir_ + "/replica");
    holder_->CatchUp(a(), 100);
  }
  void TearDown() override {
    holder_.reset();
    b_.reset();
    a_.reset();
    std::filesystem::remove_all(dir_);
  }

  Log& a() { return a_->log(); }
  Log& b() { return b_->log(); }
  Replica& replica() { return holder_->replica(); }

  // Observe must classify `note` as an equivocation and return a proof that
  // checks; the replica keeps it and refuses to cosign from then on.
  EquivocationProof ExpectEquivocation(const std::string& note, std::span<const Hash> proof) {
    auto obs = replica().Observe(note, proof);
    EXPECT_TRUE(obs.ok()) << obs.status().ToString();
    if (!obs.ok()) return {};
    EXPECT_EQ(obs->kind, CheckpointClass::kEquivocation) << CheckpointClassName(obs->kind) << ": " << obs->reason;
    EXPECT_TRUE(obs->proof.has_value());
    if (!obs->proof) return {};
    Status st = CheckEquivocationProof(*obs->proof, OriginVerifier());
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(replica().equivocation(), obs->proof);
    auto refused = replica().Cosign(a().checkpoint(), Witness(), 1'720'000'500);
    EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find("equivocation"), std::string::npos) << refused.status().ToString();
    return *obs->proof;
  }

  std::string dir_;
  std::unique_ptr<TestLog> a_;
  std::unique_ptr<OpenedLog> b_;
  std::unique_ptr<ReplicaHolder> holder_;
};

TEST_F(EquivocationTest, TheForksShareAPrefixAndOneKey) {
  EXPECT_EQ(a().VerifierKey(), b().VerifierKey());
  EXPECT_EQ(*a().RootAt(10), *b().RootAt(10));
  EXPECT_NE(a().root(), b().root());
  EXPECT_EQ(a().size(), b().size());
}

// ------------------------------------------------------------ classification

TEST_F(EquivocationTest, HonestCheckpointsAreHeldOrAhead) {
  auto held = replica().Observe(a().checkpoint(), {});
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(held->kind, CheckpointClass::kHeld);
  auto older = replica().Observe(*a().CheckpointAt(10), {});
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older->kind, CheckpointClass::kHeld);
  EXPECT_EQ(older->checkpoint.size, 10u);

  GrowTo(*a_, 25, "A-");
  auto ahead = replica().Observe(a().checkpoint(), *a().ConsistencyProof(15, 25));
  ASSERT_TRUE(ahead.ok());
  EXPECT_EQ(ahead->kind, CheckpointClass::kAhead);
  // From an older size the witness holds (tlog-witness's old size).
  auto from_ten = replica().Observe(a().checkpoint(), 10, *a().ConsistencyProof(10, 25));
  ASSERT_TRUE(from_ten.ok());
  EXPECT_EQ(from_ten->kind, CheckpointClass::kAhead);

  auto tampered = *a().ConsistencyProof(15, 25);
  tampered.back().bytes[5] ^= 0x01;
  auto bad = replica().Observe(a().checkpoint(), tampered);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->kind, CheckpointClass::kBadProof) << bad->reason;
  EXPECT_FALSE(replica().equivocation().has_value());
  EXPECT_TRUE(replica().Cosign(*a().CheckpointAt(15), Witness(), 1'720'000'100).ok());
}

TEST_F(EquivocationTest, ObserveRefusesNotesThatAreNotTheOrigins) {
  const std::string text = TextOf(b().checkpoint());
  const std::string impostor = Must(SignNote(text, kOrigin, TestKey("impostor")), "SignNote");
  EXPECT_EQ(replica().Observe(impostor, {}).status().code(), Code::kCorruption);
  EXPECT_EQ(replica().Observe("not a note", {}).status().code(), Code::kInvalidArgument);
  GrowTo(*a_, 25, "A-");
  EXPECT_EQ(replica().Observe(a().checkpoint(), 16, {}).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(replica().equivocation().has_value());
}

// ------------------------------------------------------------ detection

TEST_F(EquivocationTest, SameSizeDifferentRootIsDetected) {
  EquivocationProof proof = ExpectEquivocation(b().checkpoint(), {});
  EXPECT_EQ(proof.origin, kOrigin);
  EXPECT_TRUE(proof.consistency.empty());
  EXPECT_EQ(TextOf(proof.note_a), TextOf(a().checkpoint()));
  EXPECT_EQ(TextOf(proof.note_b), TextOf(b().checkpoint()));
  // Kept across a restart, and the replica still verifies.
  holder_->Reopen();
  EXPECT_EQ(replica().equivocation(), proof);
  EXPECT_TRUE(replica().VerifyAll(nullptr).ok());
  EXPECT_EQ(replica().Cosign(a().checkpoint(), Witness(), 1'720'000'600).status().code(), Code::kFailedPrecondition);
}

TEST_F(EquivocationTest, ALargerCheckpointWithItsOwnConsistencyProofIsDetected) {
  GrowTo(*b_, 30, "B-");
  EquivocationProof proof = ExpectEquivocation(b().checkpoint(), *b().ConsistencyProof(15, 30));
  EXPECT_EQ(TextOf(proof.note_a), TextOf(a().checkpoint()));  // size 15, what the replica held
  EXPECT_EQ(TextOf(proof.note_b), TextOf(b().checkpoint()));  // size 30
  EXPECT_EQ(proof.consistency, *b().ConsistencyProof(15, 30));
}

TEST_F(EquivocationTest, ASmallerCheckpointIsDetectedAgainstTheHeldTree) {
  // B's checkpoint at 12 against the replica's note at 15: the consistency
  // path from 12 to 15 comes from the replica's own tree.
  EquivocationProof proof = ExpectEquivocation(*b().CheckpointAt(12), {});
  EXPECT_EQ(TextOf(proof.note_a), TextOf(*b().CheckpointAt(12)));
  EXPECT_EQ(TextOf(proof.note_b), TextOf(a().checkpoint()));
  EXPECT_EQ(proof.consistency, *a().ConsistencyProof(12, 15));
}

TEST_F(EquivocationTest, APowerOfTwoSizeCarriesTheOldTreesHash) {
  // A log forked from its genesis on (same key and origin, a new genesis),
  // with a checkpoint at 8: RFC 9162 leaves the hash of a power-of-two old
  // tree out of the proof, so the equivocation proof puts it in.
  std::filesystem::create_directories(dir_ + "/c");
  TestLog c(dir_ + "/c");
  c.GrantOfficer();
  GrowTo(c, 8, "C-");
  EquivocationProof proof = ExpectEquivocation(c.log().checkpoint(), {});
  ASSERT_EQ(proof.consistency.size(), a().ConsistencyProof(8, 15)->size() + 1);
  EXPECT_EQ(proof.consistency[0], *a().RootAt(8));
  // Without that hash the proof does not check.
  EquivocationProof rfc = proof;
  rfc.consistency.erase(rfc.consistency.begin());
  EXPECT_FALSE(CheckEquivocationProof(rfc, OriginVerifier()).ok());
}

TEST_F(EquivocationTest, FromAPowerOfTwoHeldSizeAFailingProofCannotTell) {
  // A replica holding 16 entries of A with A's note at 16, shown B's larger
  // checkpoint with B's proof from 16: RFC 9162 proofs from a power-of-two
  // size carry no old root, so the witness cannot tell a fork from a bad proof.
  GrowTo(*a_, 16, "A-");
  GrowTo(*b_, 30, "B-");
  ReplicaHolder sixteen(dir_ + "/peer");
  ASSERT_TRUE(sixteen.replica().Apply(testing::Fetch(a(), 0, 15), *a().CheckpointAt(15), {}).ok());
  ASSERT_TRUE(sixteen.replica().Apply(testing::Fetch(a(), 15, 16), a().checkpoint(), {}).ok());
  ASSERT_EQ(sixteen.replica().size(), 16u);
  auto obs = sixteen.replica().Observe(b().checkpoint(), *b().ConsistencyProof(16, 30));
  ASSERT_TRUE(obs.ok());
  EXPECT_EQ(obs->kind, CheckpointClass::kBadProof);
  // From an older size that is not a power of two, whose note it holds, it can.
  auto from_15 = sixteen.replica().Observe(b().checkpoint(), 15, *b().ConsistencyProof(15, 30));
  ASSERT_TRUE(from_15.ok());
  EXPECT_EQ(from_15->kind, CheckpointClass::kEquivocation);
  ASSERT_TRUE(from_15->proof.has_value());
  EXPECT_TRUE(CheckEquivocationProof(*from_15->proof, OriginVerifier()).ok());
}

TEST_F(EquivocationTest, APeerChecksAProofBeforeKeepingIt) {
  EquivocationProof proof = ExpectEquivocation(b().checkpoint(), {});
  ReplicaHolder peer(dir_ + "/peer");
  peer.CatchUp(a(), 7);
  EquivocationProof forged = proof;
  forged.note_b = Must(SignNote(TextOf(proof.note_b), kOrigin, TestKey("impostor")), "SignNote");
  EXPECT_EQ(peer.replica().ReportEquivocation(forged).code(), Code::kCorruption);
  EXPECT_FALSE(peer.replica().equivocation().has_value());
  ASSERT_TRUE(peer.replica().Cosign(a().checkpoint(), Witness(), 1'720'000'100).ok());

  ASSERT_TRUE(peer.replica().ReportEquivocation(proof).ok());
  EXPECT_EQ(peer.replica().equivocation(), proof);
  EXPECT_EQ(peer.replica().Cosign(a().checkpoint(), Witness(), 1'720'000'200).status().code(),
            Code::kFailedPrecondition);
  peer.Reopen();
  EXPECT_EQ(peer.replica().equivocation(), proof);
}

// ------------------------------------------------------------ forged and altered proofs

class ProofCheckTest : public EquivocationTest {
 protected:
  void SetUp() override {
    EquivocationTest::SetUp();
    GrowTo(*b_, 30, "B-");
    good_ = EquivocationProof{kOrigin, a().checkpoint(), b().checkpoint(), *b().ConsistencyProof(15, 30)};
    ASSERT_TRUE(CheckEquivocationProof(good_, OriginVerifier()).ok());
  }
  void ExpectRefused(const EquivocationProof& p, Code code, const std::string& part) {
    Status st = CheckEquivocationProof(p, OriginVerifier());
    ASSERT_FALSE(st.ok()) << "a bad proof was accepted";
    EXPECT_EQ(st.code(), code) << st.ToString();
    EXPECT_NE(st.message().find(part), std::string::npos) << st.ToString();
    EXPECT_FALSE(replica().ReportEquivocation(p).ok());
    EXPECT_FALSE(replica().equivocation().has_value());
  }
  EquivocationProof good_;
};

TEST_F(ProofCheckTest, ANoteSignedByAnotherKeyIsRefused) {
  EquivocationProof p = good_;
  p.note_b = Must(SignNote(TextOf(good_.note_b), kOrigin, TestKey("impostor")), "SignNote");
  ExpectRefused(p, Code::kCorruption, "noteB");
  p = good_;
  p.note_a = Must(SignNote(TextOf(good_.note_a), kOrigin, TestKey("impostor")), "SignNote");
  ExpectRefused(p, Code::kCorruption, "noteA");
}

TEST_F(ProofCheckTest, ConsistentNotesAreRefused) {
  GrowTo(*a_, 30, "A-");
  ExpectRefused(EquivocationProof{kOrigin, *a().CheckpointAt(15), a().checkpoint(), *a().ConsistencyProof(15, 30)},
                Code::kInvalidArgument, "consistent");
  ExpectRefused(EquivocationProof{kOrigin, *a().CheckpointAt(10), *a().CheckpointAt(15), *a().ConsistencyProof(10, 15)},
                Code::kInvalidArgument, "consistent");
  ExpectRefused(EquivocationProof{kOrigin, a().checkpoint(), a().checkpoint(), {}}, Code::kInvalidArgument,
                "consistent");
  // A's tree and B's share their first 10 entries.
  ExpectRefused(EquivocationProof{kOrigin, *a().CheckpointAt(10), b().checkpoint(), *b().ConsistencyProof(10, 30)},
                Code::kInvalidArgument, "consistent");
}

// The origin's note of size 0 with any root but the empty tree's is false,
// beside another note of size 0 just as beside a larger one.
TEST_F(ProofCheckTest, TwoNotesOfSizeZeroProveEquivocationUnlessBothHoldTheEmptyRoot) {
  auto note0 = [](const Hash& root) {
    Checkpoint cp{kOrigin, 0, root, {}};
    return Must(SignNote(cp.Format(), NodeKey().name, NodeKey().key), "SignNote");
  };
  const std::string empty = note0(merkle::EmptyRoot());
  const std::string other = note0(a().root());
  EXPECT_TRUE(CheckEquivocationProof(EquivocationProof{kOrigin, empty, other, {}}, OriginVerifier()).ok());
  EXPECT_TRUE(CheckEquivocationProof(EquivocationProof{kOrigin, other, empty, {}}, OriginVerifier()).ok());
  EXPECT_TRUE(CheckEquivocationProof(EquivocationProof{kOrigin, other, other, {}}, OriginVerifier()).ok());
  ExpectRefused(EquivocationProof{kOrigin, empty, empty, {}}, Code::kInvalidArgument, "consistent");
}

TEST_F(ProofCheckTest, ATamperedProofHashIsRefused) {
  for (size_t i = 0; i < good_.consistency.size(); ++i) {
    EquivocationProof p = good_;
    p.consistency[i].bytes[31] ^= 0x80;
    ExpectRefused(p, Code::kCorruption, "consistency");
  }
  EquivocationProof shorter = good_;
  shorter.consistency.pop_back();
  ExpectRefused(shorter, Code::kInvalidArgument, "wrong length");
  EquivocationProof longer = good_;
  longer.consistency.push_back(good_.consistency[0]);
  ExpectRefused(longer, Code::kInvalidArgument, "wrong length");
}

TEST_F(ProofCheckTest, MalformedProofsAreRefused) {
  EquivocationProof swapped = good_;
  std::swap(swapped.note_a, swapped.note_b);
  ExpectRefused(swapped, Code::kInvalidArgument, "noteA");
  EquivocationProof other_origin = good_;
  other_origin.origin = "elsewhere.example/custos";
  ExpectRefused(other_origin, Code::kInvalidArgument, "origin");
  EquivocationProof same_size_with_path{kOrigin, a().checkpoint(), *b().CheckpointAt(15), good_.consistency};
  ExpectRefused(same_size_with_path, Code::kInvalidArgument, "consistency");
  EquivocationProof garbage = good_;
  garbage.note_a = "not a note";
  ExpectRefused(garbage, Code::kInvalidArgument, "noteA");
}

TEST_F(ProofCheckTest, TheStorageFormRoundTrips) {
  EXPECT_EQ(EquivocationProof::Decode(good_.Encode()), good_);
  const std::string bytes = good_.Encode();
  EXPECT_FALSE(EquivocationProof::Decode(bytes.substr(0, bytes.size() - 1)).has_value());
  EXPECT_FALSE(EquivocationProof::Decode(bytes + "x").has_value());
  EXPECT_FALSE(EquivocationProof::Decode("").has_value());
}

// ------------------------------------------------------------ cosigning

TEST_F(EquivocationTest, CosignOnlyHeldCheckpointsNeverOlderOnes) {
  const std::string at15 = a().checkpoint();
  auto line = replica().Cosign(at15, Witness(), 1'720'000'100);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  ExpectCosignatureVerifies(at15, *line);
  ASSERT_TRUE(replica().witness_state().has_value());
  EXPECT_EQ(replica().witness_state()->size, 15u);
  // The replica serves the note with the cosignature.
  auto served = Must(OpenNote(*replica().CosignedCheckpoint(), OriginVerifier()), "OpenNote");
  EXPECT_EQ(*VerifyNoteCosignature(served, WitnessVerifier()), 1'720'000'100u);

  // Again at the same size: fine (a newer timestamp).
  EXPECT_TRUE(replica().Cosign(at15, Witness(), 1'720'000'200).ok());
  // An older checkpoint: a conflict, as tlog-witness answers.
  auto stale = replica().Cosign(*a().CheckpointAt(10), Witness(), 1'720'000'300);
  EXPECT_EQ(stale.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find("conflict: witness holds size 15"), std::string::npos);
  // A checkpoint the replica does not hold yet.
  GrowTo(*a_, 25, "A-");
  auto ahead = replica().Cosign(a().checkpoint(), Witness(), 1'720'000'400);
  EXPECT_EQ(ahead.status().code(), Code::kFailedPrecondition);
  holder_->CatchUp(a(), 4);
  auto later = replica().Cosign(a().checkpoint(), Witness(), 1'720'000'500);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  ExpectCosignatureVerifies(a().checkpoint(), *later);
  holder_->Reopen();
  EXPECT_EQ(replica().witness_state()->size, 25u);
  EXPECT_TRUE(replica().VerifyAll(nullptr).ok());
}

TEST_F(EquivocationTest, CosigningTheOtherForkRecordsTheEquivocation) {
  auto refused = replica().Cosign(b().checkpoint(), Witness(), 1'720'000'100);
  EXPECT_EQ(refused.status().code(), Code::kCorruption);
  ASSERT_TRUE(replica().equivocation().has_value());
  EXPECT_TRUE(CheckEquivocationProof(*replica().equivocation(), OriginVerifier()).ok());
  EXPECT_EQ(replica().Cosign(a().checkpoint(), Witness(), 1'720'000'200).status().code(),
            Code::kFailedPrecondition);
}

// ------------------------------------------------------------ the consistency path

TEST_F(EquivocationTest, ImpliedRootsAgreeWithRfc9162Verification) {
  GrowTo(*a_, 40, "A-");
  for (uint64_t m = 1; m < 40; ++m) {
    for (uint64_t n = m + 1; n <= 40; ++n) {
      std::vector<Hash> path = *a().ConsistencyProof(m, n);
      if (std::has_single_bit(m)) path.insert(path.begin(), *a().RootAt(m));
      auto roots = RootsFromConsistencyPath(m, n, path);
      ASSERT_TRUE(roots.ok()) << m << " -> " << n << ": " << roots.status().ToString();
      EXPECT_EQ(roots->old_root, *a().RootAt(m)) << m << " -> " << n;
      EXPECT_EQ(roots->new_root, *a().RootAt(n)) << m << " -> " << n;
      path.push_back(path.back());
      EXPECT_FALSE(RootsFromConsistencyPath(m, n, path).ok()) << m << " -> " << n << " with a hash too many";
      path.resize(path.size() - 2);
      EXPECT_FALSE(RootsFromConsistencyPath(m, n, path).ok()) << m << " -> " << n << " with a hash too few";
    }
  }
}

}  // namespace
}  // namespace custos
