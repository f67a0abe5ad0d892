// Personal data (ledger/personal/private_data.h, docs/personal-data.md) on a real
// LevelDB: a listing of a person is appended with its private payload in the
// same batch, refused (the database unchanged) when the payload is missing or
// does not bind; a replica stores the payload a peer sends only if it binds
// and the listing is live; a delisting (own append or replica apply) and the
// expiry sweep delete it, after which no file of the LevelDB directory holds
// the name, the id number or the salt, and full verification still passes;
// custosd's sweeper thread does the expiry sweep by itself.
#include "ledger/personal/private_data.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "ledger/admission/submission.h"
#include "ledger/log/log.h"
#include "ledger/log/replica.h"
#include "ledger/log/verify.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/merkle.h"
#include "node/logging.h"
#include "node/payload_sweeper.h"
#include "tests/ledger/log_test_util.h"
#include "tests/ledger/replica_test_util.h"

namespace custos {
namespace {

using testing::kOrigin;
using testing::Must;
using Code = Status::Code;

constexpr int64_t kDay = 24 * 60 * 60 * 1000;
constexpr char kId[] = "11010519491231002X";  // GB 11643's own example
constexpr char kName[] = "李秀英";

const personal::Person kPerson{kId, kName};

std::string Bytes2Str(ByteSpan b) { return std::string(AsString(b)); }

// How many files under `dir` hold `needle`, naming them in `where`.
int FilesHolding(const std::string& dir, std::string_view needle, std::string* where = nullptr) {
  int n = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) {
      ++n;
      if (where) *where += f.path().filename().string() + " ";
    }
  }
  return n;
}

// A listing of a person committing to `digest`, and a delisting, by the officer.
Bytes PersonListing(testing::StatementMaker& maker, int64_t now, int64_t ends, const Hash& digest) {
  return testing::Sign(testing::PersonListedStatement(maker, now, ends, digest), testing::OfficerKey());
}

Bytes Delisting(testing::StatementMaker& maker, int64_t now, const Receipt& listing) {
  return testing::Sign(testing::DelistedStatement(maker, now, listing.index, listing.leaf_hash), testing::OfficerKey());
}

class PrivateDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), "private");
    log_ = std::make_unique<testing::TestLog>(dir_);
    log_->GrantOfficer();
    attachment_ = personal::NewAttachment(kPerson);
    digest_ = personal::PrivateDigest(attachment_.salt, attachment_.payload);
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  Result<Receipt> Append(const Bytes& submission, std::optional<personal::Attachment> a) {
    std::vector<std::optional<personal::Attachment>> privates{std::move(a)};
    return log_->log().Append(std::span<const Bytes>(&submission, 1), BatchMode::kAllOrNothing, privates).at(0);
  }
  Bytes Listing(int64_t ends) { return PersonListing(log_->maker(), log_->now(), ends, digest_); }
  Receipt ListPerson() { return Must(Append(Listing(log_->now() + 30 * kDay), attachment_), "append listing"); }

  // Every secret of the payload is in no file of the LevelDB directory.
  void ExpectErasedFromFiles() {
    std::string where;
    EXPECT_EQ(FilesHolding(log_->path(), kName, &where), 0) << "name in " << where;
    EXPECT_EQ(FilesHolding(log_->path(), kId, &where), 0) << "id in " << where;
    EXPECT_EQ(FilesHolding(log_->path(), Bytes2Str(attachment_.salt), &where), 0) << "salt in " << where;
  }
  void ExpectVerifies() {
    log_->Close();
    auto report = VerifyStoredLog(log_->options(), {});
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    log_->Reopen();
  }

  std::string dir_;
  std::unique_ptr<testing::TestLog> log_;
  personal::Attachment attachment_;
  Hash digest_;
};

TEST(PrivatePayloadFormat, CanonicalPayloadsParseAndOthersAreRefusedNamingTheField) {
  constexpr int64_t kNow = testing::kStartMillis;
  const std::string canonical = personal::CanonicalPayload(kPerson);
  EXPECT_EQ(canonical, std::string("custos/private-payload/v1\nkind residentId\nid ") + kId + "\nname " + kName + "\n");
  EXPECT_EQ(Must(personal::ParsePayload(canonical, kNow), "parse"), kPerson);

  auto bad_id = personal::ParsePayload(personal::CanonicalPayload({"110105194912310021", kName}), kNow);
  EXPECT_EQ(bad_id.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad_id.status().message().find("private.payload.id"), std::string::npos) << bad_id.status().ToString();
  EXPECT_NE(bad_id.status().message().find("check character"), std::string::npos);

  auto no_name = personal::ParsePayload(personal::CanonicalPayload({kId, ""}), kNow);
  EXPECT_NE(no_name.status().message().find("private.payload.name"), std::string::npos);
  EXPECT_FALSE(personal::ParsePayload(canonical + "extra\n", kNow).ok());
  EXPECT_FALSE(personal::ParsePayload(canonical.substr(0, canonical.size() - 1), kNow).ok());  // no final newline

  auto a = personal::NewAttachment(kPerson);
  EXPECT_EQ(personal::DecodeRecord(personal::EncodeRecord(a)), a);
  EXPECT_EQ(a.salt.size(), personal::kSaltBytes);
  EXPECT_NE(personal::NewAttachment(kPerson).salt, a.salt);  // a fresh salt each time
}

TEST_F(PrivateDataTest, AListingIsAppendedWithItsPayloadInTheSameBatch) {
  Receipt r = ListPerson();
  auto held = Must(personal::ReadPayload(log_->log().store(), layout::kOwnLog, r.index), "read");
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(*held, attachment_);
  // The leaf holds only the digest: the entry bytes name nobody.
  Bytes entry = Must(log_->log().Entry(r.index), "entry");
  EXPECT_EQ(Bytes2Str(entry).find(kId), std::string::npos);
  EXPECT_EQ(Bytes2Str(entry).find(kName), std::string::npos);
  EXPECT_EQ(personal::EntryListedDigest(entry), digest_);
  // Positive control for the file scans below: the payload is on disk now.
  EXPECT_GT(FilesHolding(log_->path(), kName), 0);
}

TEST_F(PrivateDataTest, AListingWithoutItsPayloadOrWithOneThatDoesNotBindIsRefusedAndTheLogUnchanged) {
  const auto before = log_->Snapshot();
  auto expect_refused = [&](Result<Receipt> r, const std::string& field) {
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().ToString();
    EXPECT_EQ(testing::DescribeDifference(before, log_->Snapshot()), "");
  };
  const int64_t ends = log_->now() + 30 * kDay;
  expect_refused(Append(Listing(ends), std::nullopt), "private: a listing of a person needs");

  personal::Attachment other_salt = attachment_;
  other_salt.salt[0] ^= 1;
  expect_refused(Append(Listing(ends), other_salt), "body.subjectListed.privateDigest");

  personal::Attachment bad_id{attachment_.salt, personal::CanonicalPayload({"110105194912310021", kName})};
  Hash bad_digest = personal::PrivateDigest(bad_id.salt, bad_id.payload);
  expect_refused(Append(PersonListing(log_->maker(), log_->now(), ends, bad_digest), bad_id), "private.payload.id");

  personal::Attachment unborn{attachment_.salt, personal::CanonicalPayload({"110105209901010020", kName})};
  Hash unborn_digest = personal::PrivateDigest(unborn.salt, unborn.payload);
  expect_refused(Append(PersonListing(log_->maker(), log_->now(), ends, unborn_digest), unborn),
                 "private.payload.id: \"110105209901010020\" has a birth date (2099-01-01) after");

  personal::Attachment short_salt{Bytes(16, 7), attachment_.payload};
  expect_refused(Append(Listing(ends), short_salt), "private.salt");

  Bytes clue = log_->SignedCase(testing::OfficerKey(), "CLUE-1");
  expect_refused(Append(clue, attachment_), "private: the statement is not a listing of a person");
}

TEST_F(PrivateDataTest, ADelistingDeletesThePayloadFromEveryLevelDbFileAndTheLogStillVerifies) {
  Receipt listed = ListPerson();
  // Reopening turns the write-ahead log into a table file: the payload is
  // then in a table, not only in the log.
  log_->Close();
  log_->Reopen();
  ASSERT_GT(FilesHolding(log_->path(), kName), 0);
  Bytes delist = Delisting(log_->maker(), log_->now(), listed);
  Must(Append(delist, std::nullopt), "delist");

  EXPECT_FALSE(Must(personal::ReadPayload(log_->log().store(), layout::kOwnLog, listed.index), "read").has_value());
  ExpectErasedFromFiles();
  ExpectVerifies();
  ExpectErasedFromFiles();  // and reopening brought nothing back
}

TEST_F(PrivateDataTest, ListingAndDelistingInOneBatchLeaveNoPayload) {
  Bytes listing = Listing(log_->now() + 30 * kDay);
  auto checked = Must(CheckSubmission(listing), "check");
  Receipt would_be{log_->log().size(), {}};
  Bytes entry = BuildEntry(would_be.index, testing::LeafOf(log_->log(), would_be.index - 1), log_->now(),
                           checked.submission.get());
  would_be.leaf_hash = merkle::LeafHash(entry);
  Bytes delist = Delisting(log_->maker(), log_->now(), would_be);
  std::vector<Bytes> both{listing, delist};
  std::vector<std::optional<personal::Attachment>> privates{attachment_, std::nullopt};
  auto results = log_->log().Append(both, BatchMode::kAllOrNothing, privates);
  ASSERT_TRUE(results[0].ok()) << results[0].status().ToString();
  ASSERT_TRUE(results[1].ok()) << results[1].status().ToString();
  EXPECT_FALSE(Must(personal::ReadPayload(log_->log().store(), layout::kOwnLog, would_be.index), "read").has_value());
  ExpectErasedFromFiles();
}

TEST_F(PrivateDataTest, TheSweepDeletesThePayloadOnceThePublicationEnds) {
  Receipt listed = Must(Append(Listing(log_->now() + 2 * kDay), attachment_), "append");
  Store& store = log_->log().store();
  EXPECT_EQ(Must(personal::SweepExpired(store, log_->now()), "sweep"), 0u);
  EXPECT_TRUE(Must(personal::ReadPayload(store, layout::kOwnLog, listed.index), "read").has_value());
  log_->clock().Advance(2 * kDay);
  EXPECT_EQ(Must(personal::SweepExpired(store, log_->now()), "sweep"), 1u);
  EXPECT_FALSE(Must(personal::ReadPayload(store, layout::kOwnLog, listed.index), "read").has_value());
  ExpectErasedFromFiles();
  ExpectVerifies();
}

// custosd's sweeper thread (node/payload_sweeper.h) runs the same sweep at
// start and then periodically; it is polled here, bounded, since the thread
// decides when its first sweep runs.
TEST_F(PrivateDataTest, TheNodesSweeperDeletesALapsedPayload) {
  Receipt listed = Must(Append(Listing(log_->now() + kDay), attachment_), "append");
  log_->clock().Advance(kDay);
  Store& store = log_->log().store();
  bool gone = false;
  {
    node::PayloadSweeper sweeper(store, node::NewNullLogger(), std::chrono::milliseconds(20));
    for (int i = 0; i < 500 && !gone; ++i) {
      gone = !Must(personal::ReadPayload(store, layout::kOwnLog, listed.index), "read").has_value();
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(gone) << "the sweeper did not delete the lapsed payload within 10 s";
  ExpectErasedFromFiles();
}

TEST_F(PrivateDataTest, AReplicaStoresABindingPayloadAndItsDelistingDeletesIt) {
  Receipt listed = ListPerson();
  ManualClock clock(testing::kStartMillis);
  StoreOptions options;
  options.path = dir_ + "/peer";
  options.clock = &clock;
  auto store = Must(Store::Open(options, OpenMode::kCreateNew), "open peer store");
  auto replica = Must(Replica::Open(*store, NoteVerifier::ForKey(kOrigin, testing::NodeKey().key.public_key())), "replica");
  auto follow = [&] {
    Status st = replica->Apply(testing::Fetch(log_->log(), replica->size(), log_->log().size()), log_->log().checkpoint(), {});
    ASSERT_TRUE(st.ok()) << st.ToString();
  };
  follow();
  // A payload that does not bind, or for an entry that lists no person, is refused.
  personal::Attachment wrong = attachment_;
  wrong.payload = personal::CanonicalPayload({kId, "李秀"});
  EXPECT_EQ(replica->StorePayload(listed.index, wrong, clock.NowMillis()).code(), Code::kInvalidArgument);
  EXPECT_EQ(replica->StorePayload(1, attachment_, clock.NowMillis()).code(), Code::kInvalidArgument);
  EXPECT_EQ(FilesHolding(options.path, kName), 0);
  Status stored = replica->StorePayload(listed.index, attachment_, clock.NowMillis());
  ASSERT_TRUE(stored.ok()) << stored.ToString();
  EXPECT_EQ(Must(personal::ReadPayload(*store, replica->number(), listed.index), "read"), attachment_);
  EXPECT_GT(FilesHolding(options.path, kName), 0);

  Must(Append(Delisting(log_->maker(), log_->now(), listed), std::nullopt), "delist");
  follow();
  EXPECT_FALSE(Must(personal::ReadPayload(*store, replica->number(), listed.index), "read").has_value());
  EXPECT_EQ(FilesHolding(options.path, kName), 0);
  EXPECT_EQ(FilesHolding(options.path, kId), 0);
  EXPECT_EQ(FilesHolding(options.path, Bytes2Str(attachment_.salt)), 0);
  // Once delisted, a late payload is not stored again.
  EXPECT_EQ(replica->StorePayload(listed.index, attachment_, clock.NowMillis()).code(), Code::kFailedPrecondition);
  auto report = VerifyStoredReplica(*store, replica->origin_key(), {});
  EXPECT_TRUE(report.ok()) << report.status().ToString();
}

}  // namespace
}  // namespace custos
