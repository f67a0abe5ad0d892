// The custody and authority maps (ledger/listings/histories.h) wired into the
// logs: every checkpoint carries the roots rebuilt from its entries; a key's
// history counts exactly the entries that bear on it; full verification finds
// a tampered history record; a replica refuses a checkpoint whose custody or
// authority line is forged or missing.
#include "ledger/listings/histories.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include "ledger/listings/listings_state.h"
#include "ledger/log/verify.h"
#include "ledger/tlog/checkpoint.h"
#include "tests/ledger/agency_test_util.h"

namespace custos::agency_testing {
namespace {

using listings::HistoryMap;

Checkpoint CheckpointOf(const std::string& note) {
  return Must(Checkpoint::Parse(Must(Note::Parse(note), "note").text), "checkpoint");
}

// `note` re-signed by the origin with its `keyword` line replaced (nullopt: removed).
std::string Resigned(const std::string& note, const std::string& keyword, std::optional<Hash> root) {
  Checkpoint cp = CheckpointOf(note);
  std::erase_if(cp.extensions, [&](const std::string& l) { return l.starts_with(keyword + " "); });
  if (root) cp.extensions.push_back(listings::RootLine(keyword, *root));
  const NamedKey key = NodeKeyOf(cp.origin);
  return Must(SignNote(cp.Format(), key.name, key.key), "SignNote");
}

class HistoriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ipb_ = std::make_unique<Agency>(dir_ + "/ipb", kOrigin, std::set<std::string>{kPsb});
    psb_ = std::make_unique<Agency>(dir_ + "/psb", kPsb, std::set<std::string>{kOrigin}, 1);
  }
  void TearDown() override {
    ipb_.reset();
    psb_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Two pieces of evidence, one examined twice and moved within the agency.
  void Play() {
    ipb_->Ok(Register("E1", "证据室"));
    ipb_->Ok(Register("E2", "证据室", "C-2"));
    ipb_->Ok(Examine("E1"));
    Receipt moved = ipb_->Ok(Transfer("E1", "证据室", "检验科"));
    ipb_->Ok(Receive("E1", ipb_->RefTo(moved), "检验科"));
    ipb_->Ok(Examine("E1"));
  }
  std::vector<Bytes> Entries(Agency& a) { return testing::Fetch(a.log(), 0, a.log().size()); }

  std::string dir_;
  std::unique_ptr<Agency> ipb_, psb_;
};

TEST_F(HistoriesTest, EveryCheckpointCarriesTheRootsRebuiltFromItsEntries) {
  Play();
  const Checkpoint cp = CheckpointOf(ipb_->log().checkpoint());
  const auto rebuilt = Must(listings::RebuildHistoryRoots(Entries(*ipb_)), "rebuild");
  EXPECT_TRUE(listings::CheckHistoryLines(cp.extensions, rebuilt).ok());
  ASSERT_EQ(cp.extensions.size(), 3u) << "listings, custody, authority";
  EXPECT_TRUE(cp.extensions[1].starts_with("custody "));
  EXPECT_TRUE(cp.extensions[2].starts_with("authority "));
  const listings::LogHistories histories(ipb_->log().stored());
  EXPECT_EQ(Must(histories.Roots(), "roots"), rebuilt);
  // E1: registration, two examinations, a transfer and its receipt; E2 only registered.
  EXPECT_EQ(Must(histories.HistoryOf(HistoryMap::kCustody, listings::CustodyKey("E1")), "E1").count, 5u);
  EXPECT_EQ(Must(histories.HistoryOf(HistoryMap::kCustody, listings::CustodyKey("E2")), "E2").count, 1u);
  EXPECT_EQ(Must(histories.HistoryOf(HistoryMap::kCustody, listings::CustodyKey("E3")), "E3").count, 0u);
  // The officer: its grant; the admin: the genesis.
  EXPECT_EQ(Must(histories.HistoryOf(HistoryMap::kAuthority, listings::AuthorityKey(OfficerKey().public_key())), "o").count, 1u);
  EXPECT_EQ(Must(histories.HistoryOf(HistoryMap::kAuthority, listings::AuthorityKey(AdminKey().public_key())), "a").count, 1u);
  // A proof of E1's value against the checkpoint's custody root.
  auto proof = Must(histories.Prove(HistoryMap::kCustody, listings::CustodyKey("E1")), "prove");
  auto value = Must(histories.HistoryOf(HistoryMap::kCustody, listings::CustodyKey("E1")), "E1").Value();
  EXPECT_TRUE(listings::VerifyCompactMapProof(rebuilt.custody, listings::CustodyKey("E1"), value, proof).ok());
  EXPECT_FALSE(listings::VerifyCompactMapProof(rebuilt.custody, listings::CustodyKey("E1"), std::nullopt, proof).ok());
  // E3 has no history: the proof of its absence leads to the same root.
  auto absent = Must(histories.Prove(HistoryMap::kCustody, listings::CustodyKey("E3")), "prove E3");
  EXPECT_TRUE(listings::VerifyCompactMapProof(rebuilt.custody, listings::CustodyKey("E3"), std::nullopt, absent).ok());
}

TEST_F(HistoriesTest, FullVerificationFindsATamperedHistoryRecord) {
  Play();
  ASSERT_TRUE(ipb_->log().VerifyAll(nullptr).ok());
  const std::string key = layout::HistoryKey(layout::kOwnLog, layout::kCustodyMapPrefix, Hash{listings::CustodyKey("E2").bytes});
  listings::History forged;
  forged.Add(99, Hash{});
  ipb_->Close();
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir_ + "/ipb/db", &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), key, forged.Encode()).ok());
  }
  ipb_->Reopen();
  Status st = ipb_->log().VerifyAll(nullptr).status();
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("history record"), std::string::npos) << st.ToString();
}

TEST_F(HistoriesTest, AReplicaRebuildsTheRootsAndRefusesAForgedOrMissingLine) {
  Play();
  psb_->Follow(*ipb_);  // the honest checkpoint: taken
  const uint64_t held = psb_->replica(kOrigin).size();
  ipb_->Ok(Examine("E2"));
  auto entries = testing::Fetch(ipb_->log(), held, ipb_->log().size());
  const std::string note = ipb_->log().checkpoint();
  for (const char* keyword : {"custody", "authority"}) {
    Status forged = psb_->replica(kOrigin).Apply(entries, Resigned(note, keyword, listings::EmptyRoot()), {});
    EXPECT_EQ(forged.code(), Status::Code::kCorruption) << forged.ToString();
    EXPECT_NE(forged.message().find(std::string(keyword) + " root"), std::string::npos) << forged.ToString();
    Status missing = psb_->replica(kOrigin).Apply(entries, Resigned(note, keyword, std::nullopt), {});
    EXPECT_EQ(missing.code(), Status::Code::kCorruption) << missing.ToString();
    EXPECT_NE(missing.message().find("no \"" + std::string(keyword) + "\" line"), std::string::npos) << missing.ToString();
  }
  EXPECT_EQ(psb_->replica(kOrigin).size(), held) << "nothing written";
  EXPECT_TRUE(psb_->replica(kOrigin).Apply(entries, note, {}).ok());
}

}  // namespace
}  // namespace custos::agency_testing
