// The listings map wired into the logs (ledger/listings/listings_state.h): the root in
// every checkpoint equals the map rebuilt from the entries; random listing
// and delisting sequences through the real Log::Append path agree with a
// plain map; a replica recomputes the root and refuses a checkpoint whose
// "listings" line is forged or missing; and listing-check answers
// (ledger/listings/listing_check.h) verify, or fail with their reason when they are
// for another subject, an old root, a lapsed listing or a missing quorum.
#include <gtest/gtest.h>
#include <capnp/message.h>
#include <leveldb/db.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "crypto/cosignature.h"
#include "crypto/sha256.h"
#include "ledger/admission/validate.h"
#include "ledger/listings/listing_check.h"
#include "ledger/listings/listings_state.h"
#include "ledger/log/log.h"
#include "ledger/log/replica.h"
#include "ledger/log/verify.h"
#include "ledger/personal/private_data.h"
#include "ledger/storage/layout.h"
#include "ledger/tlog/checkpoint.h"
#include "tests/crypto/test_seed.h"
#include "tests/ledger/log_test_util.h"
#include "tests/ledger/replica_test_util.h"
#include "trust/federation.h"
#include "trust/listing_verifier.h"

namespace custos::listings {
namespace {

using custos::testing::Must;
using custos::testing::OfficerKey;
using custos::testing::Sign;
constexpr int64_t kDay = 24 * 60 * 60 * 1000;

// A valid unified social credit code: `seed` varies the organisation part,
// the check character is searched for.
std::string CompanyId(int seed) {
  char base[18];
  std::snprintf(base, sizeof base, "91320583MA%06uT", static_cast<unsigned>(seed) % 1000000u);
  for (char c : std::string_view("0123456789ABCDEFGHJKLMNPQRTUWXY")) {
    std::string id = std::string(base, 17) + c;
    if (ledger::ValidateUnifiedSocialCreditCode(id).ok()) return id;
  }
  throw std::runtime_error("no check character for " + std::string(base));
}

SubjectKey KeyOf(const std::string& id) { return DeriveSubjectKey(SubjectKind::kUnifiedSocialCreditCode, id); }

class ListingsWiringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ + "/origin");
    origin_ = std::make_unique<testing::TestLog>(dir_ + "/origin");
    origin_->GrantOfficer();
  }
  void TearDown() override {
    replica_.reset();
    follower_store_.reset();
    origin_.reset();
    std::filesystem::remove_all(dir_);
  }

  Log& log() { return origin_->log(); }

  Bytes Listing(const std::string& id, int64_t publication_ends) {
    return Sign(origin_->maker().Build(origin_->now(),
                                       [&](schema::Statement::Builder s) {
                                         auto l = s.getBody().initSubjectListed();
                                         l.setSubjectKind(schema::PartyKind::UNIFIED_SOCIAL_CREDIT_CODE);
                                         l.setSubjectId(id);
                                         l.setSubjectName("昆山鑫达五金制品有限公司");
                                         l.setCause("假冒专利");
                                         l.setLegalBasis("《知识产权信用管理规定》");
                                         l.setDecidingAgency("苏州市知识产权局");
                                         l.setDecisionNumber("苏知信列字〔2024〕第5号");
                                         l.setCaseRef("C-1");
                                         l.setListedFrom(testing::kStartMillis - kDay);
                                         l.setPublicationEnds(publication_ends);
                                       }),
                OfficerKey());
  }
  Bytes Delisting(const Receipt& listing) {
    return Sign(origin_->maker().Build(origin_->now(),
                                       [&](schema::Statement::Builder s) {
                                         auto d = s.getBody().initSubjectDelisted();
                                         auto r = d.initListing();
                                         r.setOrigin(testing::kOrigin);
                                         r.setIndex(listing.index);
                                         r.setLeafHash(capnp::Data::Reader(listing.leaf_hash.bytes.data(), 32));
                                         d.setReason(schema::DelistReason::CREDIT_REPAIR);
                                         d.setNote("信用修复");
                                       }),
                OfficerKey());
  }

  Hash RootInCheckpoint(const std::string& note) {
    Checkpoint cp = testing::OpenCheckpoint(note, log().VerifierKey());
    auto root = Must(ListingsRootOf(cp.extensions), "ListingsRootOf");
    if (!root) throw std::runtime_error("checkpoint without a listings line");
    return *root;
  }
  Hash Rebuilt() { return Must(RebuildListingsRoot(testing::Fetch(log(), 0, log().size())), "RebuildListingsRoot"); }

  Replica& Follower() {
    if (!replica_) {
      StoreOptions options;
      options.path = dir_ + "/follower";
      options.clock = &origin_->clock();
      options.verify_threads = 2;
      follower_store_ = Must(Store::Open(options, OpenMode::kCreateNew), "Store::Open");
      replica_ = Must(Replica::Open(*follower_store_, testing::OriginVerifier()), "Replica::Open");
    }
    return *replica_;
  }
  Status Follow() {
    return Follower().Apply(testing::Fetch(log(), Follower().size(), log().size()), log().checkpoint(), {});
  }
  // The origin's latest checkpoint text with its "listings" line replaced
  // (or dropped), signed again with the origin's own key.
  std::string ForgedCheckpoint(std::optional<Hash> listings_root) {
    Checkpoint cp = testing::OpenCheckpoint(log().checkpoint(), log().VerifierKey());
    cp.extensions.clear();
    if (listings_root) cp.extensions.push_back(ListingsLine(*listings_root));
    return Must(SignNote(cp.Format(), testing::NodeKey().name, testing::NodeKey().key), "SignNote");
  }

  static trust::Federation Trust(uint32_t quorum = 0, NoteVerifier origin_key = testing::OriginVerifier()) {
    trust::WitnessGroup witnesses({NoteVerifier::ForKey(kWitness, WitnessKey().public_key(), kAlgCosignatureV1)}, quorum);
    return trust::Federation({{origin_key.name, origin_key}}, std::move(witnesses));
  }
  static SigningKey WitnessKey() { return testing::TestKey("witness"); }
  static constexpr char kWitness[] = "suzhou-psb.example/custos";

  std::string dir_;
  std::unique_ptr<testing::TestLog> origin_;
  std::unique_ptr<Store> follower_store_;
  std::unique_ptr<Replica> replica_;
};

TEST_F(ListingsWiringTest, EveryCheckpointCarriesTheRootOfTheMapRebuiltFromItsEntries) {
  EXPECT_EQ(RootInCheckpoint(log().checkpoint()), EmptyRoot());
  const std::string a = CompanyId(1), b = CompanyId(2);
  Receipt la = origin_->AppendOk({Listing(a, testing::kStartMillis + 30 * kDay)}).at(0);
  EXPECT_NE(RootInCheckpoint(log().checkpoint()), EmptyRoot());
  EXPECT_EQ(RootInCheckpoint(log().checkpoint()), Rebuilt());
  origin_->AppendOk({Listing(b, testing::kStartMillis + 30 * kDay), Listing(a, testing::kStartMillis + 60 * kDay)});
  EXPECT_EQ(RootInCheckpoint(log().checkpoint()), Rebuilt());
  origin_->AppendOk({Delisting(la)});
  EXPECT_EQ(RootInCheckpoint(log().checkpoint()), Rebuilt());
  // Every checkpoint the log signed, not only the latest.
  for (uint64_t size = 1; size <= log().size(); ++size) {
    auto note = log().CheckpointAt(size);
    if (!note.ok()) continue;
    auto root = RebuildListingsRoot(testing::Fetch(log(), 0, size));
    EXPECT_EQ(RootInCheckpoint(*note), *root) << "size " << size;
  }
  // The value of a subject covers exactly its live listings.
  auto live = Must(log().listings().LiveListingsOf(KeyOf(a)), "LiveListingsOf");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].index, la.index + 2);
}

TEST_F(ListingsWiringTest, RandomListingsThroughTheAppendPathAgreeWithAPlainMap) {
  std::mt19937_64 rng(testing::TestSeed("RandomListingsThroughTheAppendPath", 20261126));
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(CompanyId(100 + i));
  std::map<std::string, std::vector<Receipt>> model;  // live listings per subject
  for (int round = 0; round < 25; ++round) {
    std::vector<Bytes> batch;
    std::vector<std::pair<std::string, bool>> what;  // (subject, listed)
    std::set<std::string> delisted_now;
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k) {
      const std::string& id = ids[rng() % ids.size()];
      auto& live = model[id];
      if (!live.empty() && rng() % 2 == 0 && !delisted_now.count(id)) {
        size_t which = rng() % live.size();
        batch.push_back(Delisting(live[which]));
        live.erase(live.begin() + static_cast<long>(which));
        delisted_now.insert(id);
        what.emplace_back(id, false);
      } else {
        batch.push_back(Listing(id, testing::kStartMillis + (10 + static_cast<int64_t>(rng() % 50)) * kDay));
        what.emplace_back(id, true);
      }
    }
    auto receipts = origin_->AppendOk(batch, BatchMode::kIndependent);
    for (size_t k = 0; k < what.size(); ++k) {
      if (what[k].second) model[what[k].first].push_back(receipts[k]);
    }
    const Hash root = RootInCheckpoint(log().checkpoint());
    ASSERT_EQ(root, Rebuilt()) << "round " << round;
    for (const auto& id : ids) {
      std::optional<Hash> value;
      std::vector<LiveListing> expected;
      for (const auto& r : model[id]) expected.push_back({r.index, r.leaf_hash});
      if (!expected.empty()) value = ListingStateDigest(expected);
      auto proof = Must(log().listings().Prove(KeyOf(id)), "ProveListing");
      EXPECT_TRUE(VerifyMapProof(root, KeyOf(id), value, proof).ok()) << "round " << round << " subject " << id;
    }
  }
}

TEST_F(ListingsWiringTest, FullVerificationRebuildsTheMapAndFindsATamperedRecord) {
  const std::string a = CompanyId(31);
  Receipt l = origin_->AppendOk({Listing(a, testing::kStartMillis + 30 * kDay)}).at(0);
  origin_->AppendOk({Listing(CompanyId(32), testing::kStartMillis + 30 * kDay), Delisting(l)});
  ASSERT_TRUE(log().VerifyAll(nullptr).ok());
  origin_->AppendOk({Listing(a, testing::kStartMillis + 40 * kDay)});
  origin_->Close();
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), origin_->path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Delete(leveldb::WriteOptions(), layout::ListingSetKey(layout::kOwnLog, Hash{KeyOf(a).bytes})).ok());
  }
  origin_->Reopen();
  Status st = log().VerifyAll(nullptr).status();
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("live listings"), std::string::npos) << st.ToString();
}

TEST_F(ListingsWiringTest, AReplicaRebuildsTheMapAndTakesTheOriginsCheckpoints) {
  ASSERT_TRUE(Follow().ok());
  Receipt l = origin_->AppendOk({Listing(CompanyId(7), testing::kStartMillis + 30 * kDay)}).at(0);
  ASSERT_TRUE(Follow().ok());
  origin_->AppendOk({Delisting(l), Listing(CompanyId(8), testing::kStartMillis + 30 * kDay)});
  ASSERT_TRUE(Follow().ok());
  EXPECT_EQ(Must(Follower().listings().Root(), "ListingsRoot"), RootInCheckpoint(log().checkpoint()));
}

TEST_F(ListingsWiringTest, AReplicaRefusesACheckpointWithAForgedOrMissingListingsLine) {
  ASSERT_TRUE(Follow().ok());
  const uint64_t held = Follower().size();
  origin_->AppendOk({Listing(CompanyId(9), testing::kStartMillis + 30 * kDay)});
  auto entries = testing::Fetch(log(), held, log().size());

  Status forged = Follower().Apply(entries, ForgedCheckpoint(EmptyRoot()), {});
  EXPECT_EQ(forged.code(), Status::Code::kCorruption);
  EXPECT_NE(forged.message().find("does not match the listings map rebuilt from the entries"), std::string::npos) << forged.ToString();
  Status missing = Follower().Apply(entries, ForgedCheckpoint(std::nullopt), {});
  EXPECT_EQ(missing.code(), Status::Code::kCorruption);
  EXPECT_NE(missing.message().find("no \"listings\" line"), std::string::npos) << missing.ToString();
  EXPECT_EQ(Follower().size(), held);  // nothing written

  ASSERT_TRUE(Follow().ok());
  // At the held size, a note with another listings root is never cosigned.
  auto cosigned = Follower().Cosign(ForgedCheckpoint(EmptyRoot()), NamedKey{kWitness, WitnessKey()}, 1'720'000'000);
  EXPECT_EQ(cosigned.status().code(), Status::Code::kCorruption) << cosigned.status().ToString();
  EXPECT_TRUE(Follower().Cosign(log().checkpoint(), NamedKey{kWitness, WitnessKey()}, 1'720'000'000).ok());
}

TEST_F(ListingsWiringTest, AnswersVerifyListedAndNotListedAndNameWhatFails) {
  const std::string a = CompanyId(11), b = CompanyId(12);
  Receipt la = origin_->AppendOk({Listing(a, testing::kStartMillis + 30 * kDay)}).at(0);
  const int64_t now = origin_->now();
  ListingVerifier verifier(Trust());

  auto listed = Must(BuildLogAnswer(log().listings(), KeyOf(a)), "BuildLogAnswer");
  auto verdict = Must(verifier.Verify(listed, KeyOf(a), now), "Verify listed");
  EXPECT_TRUE(verdict.listed);
  ASSERT_EQ(verdict.listings.size(), 1u);
  EXPECT_EQ(verdict.listings[0].index, la.index);
  auto absent = Must(BuildLogAnswer(log().listings(), KeyOf(b)), "BuildLogAnswer");
  EXPECT_FALSE(Must(verifier.Verify(absent, KeyOf(b), now), "Verify absent").listed);

  // The Cap'n Proto form round-trips, and only canonical bytes of a known
  // version with 32-byte hashes read as an answer.
  ListingAnswer whole{SubjectKind::kUnifiedSocialCreditCode, a, {listed, absent}};
  const Bytes bytes = whole.Encode();
  auto decoded = Must(ListingAnswer::Decode(bytes), "Decode");
  EXPECT_EQ(decoded.id, a);
  ASSERT_EQ(decoded.logs.size(), 2u);
  EXPECT_EQ(decoded.Encode(), bytes);
  EXPECT_TRUE(Must(verifier.Verify(decoded.logs.at(0), KeyOf(a), now), "Verify decoded").listed);
  EXPECT_FALSE(Must(verifier.Verify(decoded.logs.at(1), KeyOf(b), now), "Verify decoded absent").listed);
  auto refused = [&](const std::function<void(schema::ListingAnswer::Builder)>& damage) {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<schema::ListingAnswer>();
    whole.Fill(root);
    damage(root);
    Status read = ListingAnswer::Read(root.asReader()).status();
    EXPECT_EQ(read.code(), Status::Code::kInvalidArgument) << read.ToString();
    return read.message();
  };
  EXPECT_NE(refused([](auto r) { r.setVersion(2); }).find("version: 2 is not 1"), std::string::npos);
  EXPECT_NE(refused([](auto r) { r.setKind("company"); }).find("kind: \"company\""), std::string::npos);
  const uint8_t short_hash[31] = {};
  EXPECT_NE(refused([&](auto r) { r.getLogs()[0].getMapProof().setKey(capnp::Data::Reader(short_hash, 31)); })
                .find("logs[0].mapProof.key: 31 bytes, not 32"),
            std::string::npos);
  EXPECT_NE(refused([&](auto r) { r.getLogs()[0].getListings()[0].getProof().set(0, capnp::Data::Reader(short_hash, 31)); })
                .find("logs[0].listings[0].proof[0]: 31 bytes"),
            std::string::npos);
  EXPECT_NE(refused([](auto r) { r.getLogs()[1].setCheckpoint(""); }).find("logs[1].checkpoint: missing"),
            std::string::npos);
  // A NUL inside a text is written whole and refused on reading (found by
  // fuzz_listing: Cap'n Proto's conversion from std::string stopped at it).
  ListingAnswer nul = whole;
  nul.logs[0].checkpoint.insert(5, 1, '\0');
  Status nul_read = ListingAnswer::Decode(nul.Encode()).status();
  EXPECT_NE(nul_read.message().find("logs[0].checkpoint: holds a NUL byte"), std::string::npos) << nul_read.ToString();
  Bytes truncated(bytes.begin(), bytes.end() - 8);
  EXPECT_EQ(ListingAnswer::Decode(truncated).status().code(), Status::Code::kInvalidArgument);

  // A proof for the wrong subject.
  Status wrong = verifier.Verify(absent, KeyOf(a), now).status();
  EXPECT_EQ(wrong.code(), Status::Code::kCorruption);
  EXPECT_NE(wrong.message().find("map proof"), std::string::npos) << wrong.ToString();
  // A listing left out: the value no longer matches.
  auto omitted = listed;
  omitted.listings.clear();
  EXPECT_NE(verifier.Verify(omitted, KeyOf(a), now).status().message().find("map proof"), std::string::npos);
  // An old root: the proof made before the delisting against the new checkpoint.
  origin_->AppendOk({Delisting(la)});
  auto after = Must(BuildLogAnswer(log().listings(), KeyOf(a)), "BuildLogAnswer");
  EXPECT_FALSE(Must(verifier.Verify(after, KeyOf(a), now), "Verify after").listed);
  auto stale = listed;
  stale.checkpoint = after.checkpoint;
  Status old_root = verifier.Verify(stale, KeyOf(a), now).status();
  EXPECT_EQ(old_root.code(), Status::Code::kCorruption);
  EXPECT_NE(old_root.message().find("inclusion proof"), std::string::npos) << old_root.ToString();
  // The same for a subject not listed: its proof of absence from before a
  // later listing does not lead to the later root.
  origin_->AppendOk({Listing(CompanyId(13), testing::kStartMillis + 30 * kDay)});
  auto old_absent = absent;
  old_absent.checkpoint = log().checkpoint();
  Status absent_old_root = verifier.Verify(old_absent, KeyOf(b), now).status();
  EXPECT_EQ(absent_old_root.code(), Status::Code::kCorruption);
  EXPECT_NE(absent_old_root.message().find("map proof: computed root"), std::string::npos) << absent_old_root.ToString();
  // A lapsed listing is in the map but not listed.
  auto lapsed = Must(verifier.Verify(listed, KeyOf(a), testing::kStartMillis + 31 * kDay), "Verify later");
  EXPECT_FALSE(lapsed.listed);
  EXPECT_TRUE(lapsed.listings.at(0).lapsed);
}

TEST_F(ListingsWiringTest, APersonIsKeyedByTheListingsPrivateDigest) {
  // The name and id number stay in the private payload (docs/personal-data.md);
  // the map keys the person by the salted digest the entry holds.
  const personal::Attachment attachment = personal::NewAttachment(personal::Person{"11010519491231002X", "张伟"});
  const Hash digest = personal::PrivateDigest(attachment.salt, attachment.payload);
  Bytes person = Sign(testing::PersonListedStatement(origin_->maker(), origin_->now(),
                                                     testing::kStartMillis + 30 * kDay, digest),
                      OfficerKey());
  const std::optional<personal::Attachment> privates[] = {attachment};
  auto appended = log().Append(std::span<const Bytes>(&person, 1), BatchMode::kAllOrNothing, privates);
  ASSERT_TRUE(appended.at(0).ok()) << appended.at(0).status().ToString();
  std::string upper = HexEncode(digest.span());
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  auto subject = Must(SubjectOfQuery(SubjectKind::kResidentId, " " + upper + "\n"), "SubjectOfQuery");
  EXPECT_EQ(subject.id, HexEncode(digest.span()));
  auto answer = Must(BuildLogAnswer(log().listings(), subject.key), "BuildLogAnswer");
  EXPECT_TRUE(Must(ListingVerifier(Trust()).Verify(answer, subject.key, origin_->now()), "Verify").listed);
  EXPECT_EQ(SubjectOfQuery(SubjectKind::kResidentId, "11010519491231002X").status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(ListingsWiringTest, AQueryNamesAnOrganisationAsTypedAndNeverAnInvalidCode) {
  const std::string a = CompanyId(22);
  origin_->AppendOk({Listing(a, testing::kStartMillis + 30 * kDay)});
  std::string typed = a;
  std::transform(typed.begin(), typed.end(), typed.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  auto subject = Must(SubjectOfQuery(SubjectKind::kUnifiedSocialCreditCode, "\t" + typed + " "), "SubjectOfQuery");
  EXPECT_EQ(subject.id, a);
  EXPECT_EQ(subject.key, KeyOf(a));
  auto answer = Must(BuildLogAnswer(log().listings(), subject.key), "BuildLogAnswer");
  EXPECT_TRUE(Must(ListingVerifier(Trust()).Verify(answer, subject.key, origin_->now()), "Verify").listed);
  std::string wrong_check = a;
  wrong_check.back() = wrong_check.back() == '0' ? '1' : '0';
  auto refused = SubjectOfQuery(SubjectKind::kUnifiedSocialCreditCode, wrong_check);
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("id: \"" + wrong_check + "\" has a bad check character"), std::string::npos)
      << refused.status().ToString();
}

TEST_F(ListingsWiringTest, TheWitnessPolicyIsChecked) {
  const std::string a = CompanyId(21);
  origin_->AppendOk({Listing(a, testing::kStartMillis + 30 * kDay)});
  ListingVerifier strict(Trust(1));
  auto answer = Must(BuildLogAnswer(log().listings(), KeyOf(a)), "BuildLogAnswer");
  Status no_quorum = strict.Verify(answer, KeyOf(a), origin_->now()).status();
  EXPECT_NE(no_quorum.message().find("witness policy: 1 of 1"), std::string::npos) << no_quorum.ToString();

  ASSERT_TRUE(Follow().ok());
  auto line = Must(Follower().Cosign(log().checkpoint(), NamedKey{kWitness, WitnessKey()}, 1'720'000'000), "Cosign");
  ASSERT_TRUE(log().AddCosignature(log().checkpoint(),
                                   line, NoteVerifier::ForKey(kWitness, WitnessKey().public_key(), kAlgCosignatureV1))
                  .ok());
  answer = Must(BuildLogAnswer(log().listings(), KeyOf(a)), "BuildLogAnswer");
  auto verdict = Must(strict.Verify(answer, KeyOf(a), origin_->now()), "Verify cosigned");
  EXPECT_TRUE(verdict.listed);
  EXPECT_EQ(verdict.cosignatures, 1u);
  // Another origin's key does not open the checkpoint.
  trust::Federation other =
      Trust(0, NoteVerifier::ForKey(testing::kOrigin, testing::TestKey("not the node").public_key()));
  EXPECT_NE(ListingVerifier(other).Verify(answer, KeyOf(a), origin_->now()).status().message().find("checkpoint of"),
            std::string::npos);
}

// The one rule of trust/witness_group.h: a cosignature line by a key the
// policy names that does not verify is refused, not skipped, even when the
// policy needs no cosignature at all (it used to be skipped here).
TEST_F(ListingsWiringTest, ABadCosignatureByANamedCosignerIsRefused) {
  const std::string a = CompanyId(22);
  origin_->AppendOk({Listing(a, testing::kStartMillis + 30 * kDay)});
  ASSERT_TRUE(Follow().ok());
  auto line = Must(Follower().Cosign(log().checkpoint(), NamedKey{kWitness, WitnessKey()}, 1'720'000'000), "Cosign");
  ASSERT_TRUE(log().AddCosignature(log().checkpoint(),
                                   line, NoteVerifier::ForKey(kWitness, WitnessKey().public_key(), kAlgCosignatureV1))
                  .ok());
  auto answer = Must(BuildLogAnswer(log().listings(), KeyOf(a)), "BuildLogAnswer");
  EXPECT_TRUE(ListingVerifier(Trust(0)).Verify(answer, KeyOf(a), origin_->now()).ok());
  Note note = Must(Note::Parse(answer.checkpoint), "Parse");
  ASSERT_EQ(note.signatures.back().name, kWitness);
  note.signatures.back().sig.back() ^= 1;
  answer.checkpoint = note.Serialize();
  Status refused = ListingVerifier(Trust(0)).Verify(answer, KeyOf(a), origin_->now()).status();
  EXPECT_EQ(refused.code(), Status::Code::kCorruption) << refused.ToString();
  EXPECT_NE(refused.message().find("cosignature by suzhou-psb.example/custos"), std::string::npos) << refused.ToString();
}

}  // namespace
}  // namespace custos::listings
