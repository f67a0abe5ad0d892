// Full verification must detect every kind of tampering with a stored log:
// each test changes a copy of one log's LevelDB directly and expects
// VerifyStoredLog to report Corruption naming what failed.

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <filesystem>

#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/log/verify.h"
#include "ledger/rules/rules.h"
#include "ledger/storage/layout.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "tests/ledger/log_test_util.h"

namespace custos {
namespace {

using custos::testing::kOrigin;
using custos::testing::NodeKey;
using custos::testing::OfficerKey;
using custos::testing::RawDatabases;
using custos::testing::TestKey;
using custos::testing::TestLog;
using Code = Status::Code;

std::string CaseId(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "T-%06llu", static_cast<unsigned long long>(n));
  return buf;
}

// ------------------------------------------------------------ tampering

// A log of about 300 entries, built once and copied for each test, which
// changes the copy's LevelDB directly and expects full verification to
// report Corruption naming what failed.
class TamperTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new std::string(testing::FreshTempDir(::testing::TempDir(), "tamper-base"));
    TestLog t(*base_);
    t.GrantOfficer();
    // Entries with rule state and query-index records (ledger/rules/rules.h).
    t.AppendOk({testing::Sign(t.maker().FromExample("case-opened", t.now()), OfficerKey()),
                testing::Sign(t.maker().FromExample("evidence-registered", t.now()), OfficerKey())});
    while (t.log().size() < 300) {
      std::vector<Bytes> batch;
      for (int i = 0; i < 23; ++i) batch.push_back(t.SignedCase(OfficerKey(), CaseId(t.log().size() + i)));
      t.AppendOk(batch);
    }
    size_ = t.log().size();
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*base_);
    delete base_;
  }

  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), "tamper");
    std::filesystem::copy(*base_ + "/db", dir_ + "/db", std::filesystem::copy_options::recursive);
    options_.path = dir_ + "/db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Opens the copy with LevelDB alone, lets `edit` change it, closes it.
  void Edit(const std::function<void(RawDatabases&)>& edit) {
    RawDatabases dbs(options_.path);
    edit(dbs);
  }
  static std::string Get(RawDatabases& db, const std::string& key) {
    std::string value;
    EXPECT_TRUE(db.For(key).Get(leveldb::ReadOptions(), key, &value).ok()) << "no such key";
    return value;
  }
  static void Put(RawDatabases& db, const std::string& key, const std::string& value) {
    ASSERT_TRUE(db.For(key).Put(leveldb::WriteOptions(), key, value).ok());
  }
  static void Delete(RawDatabases& db, const std::string& key) {
    ASSERT_TRUE(db.For(key).Delete(leveldb::WriteOptions(), key).ok());
  }

  // VerifyStoredLog must fail with Corruption whose message holds every part.
  void ExpectCorruption(std::initializer_list<std::string> parts) {
    auto report = VerifyStoredLog(options_, nullptr);
    ASSERT_FALSE(report.ok()) << "tampering was not detected";
    EXPECT_EQ(report.status().code(), Code::kCorruption) << report.status().ToString();
    for (const auto& part : parts) {
      EXPECT_NE(report.status().message().find(part), std::string::npos)
          << "message \"" << report.status().message() << "\" should contain \"" << part << "\"";
    }
  }

  static std::string* base_;
  static uint64_t size_;
  std::string dir_;
  LogOptions options_;
};
std::string* TamperTest::base_ = nullptr;
uint64_t TamperTest::size_ = 0;

std::string EntryKey(uint64_t i) { return layout::EntryKey(layout::kOwnLog, i); }

// Changes the byte at the first occurrence of `needle` in `value` (+ offset).
void ChangeByteAt(std::string& value, const std::string& needle, size_t offset = 0) {
  size_t at = value.find(needle);
  ASSERT_NE(at, std::string::npos) << "\"" << needle << "\" not in the value";
  value[at + offset] ^= 0x01;
}

TEST_F(TamperTest, AnUntouchedCopyVerifies) {
  std::vector<uint64_t> seen;
  auto report = VerifyStoredLog(options_, [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, size_);
    seen.push_back(done);
  });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->size, size_);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), size_);
}

TEST_F(TamperTest, DetectsAChangedByteInAnEntry) {
  Edit([](RawDatabases& db) {
    std::string value = Get(db, EntryKey(100));
    ChangeByteAt(value, CaseId(100), 7);  // a digit of the case id: still canonical
    Put(db, EntryKey(100), value);
  });
  ExpectCorruption({"entry 100: ", "signature"});
}

TEST_F(TamperTest, DetectsAChangedPrevHash) {
  Edit([](RawDatabases& db) {
    std::string value = Get(db, EntryKey(50));
    std::string prev = std::string(AsString(merkle::LeafHash(AsBytes(Get(db, EntryKey(49)))).span()));
    ChangeByteAt(value, prev, 31);
    Put(db, EntryKey(50), value);
  });
  ExpectCorruption({"entry 50: ", "prevHash"});
}

TEST_F(TamperTest, DetectsAChangedByteInTheLastEntry) {
  Edit([](RawDatabases& db) {
    std::string value = Get(db, EntryKey(size_ - 1));
    ChangeByteAt(value, CaseId(size_ - 1), 7);
    Put(db, EntryKey(size_ - 1), value);
  });
  ExpectCorruption({"log head", "last leaf hash"});
}

TEST_F(TamperTest, DetectsADeletedEntry) {
  Edit([](RawDatabases& db) { Delete(db, EntryKey(100)); });
  ExpectCorruption({"entry 100: ", "missing"});
}

TEST_F(TamperTest, DetectsADeletedLastEntry) {
  Edit([](RawDatabases& db) { Delete(db, EntryKey(size_ - 1)); });
  ExpectCorruption({"entry " + std::to_string(size_ - 1)});
}

TEST_F(TamperTest, DetectsADeletedGenesis) {
  Edit([](RawDatabases& db) { Delete(db, EntryKey(0)); });
  ExpectCorruption({"entry 0"});
}

TEST_F(TamperTest, DetectsAnOverwrittenFullTile) {
  Edit([](RawDatabases& db) {
    std::string key = layout::TileKey(layout::kOwnLog, merkle::TileId{0, 0});
    std::string value = Get(db, key);
    value[200] ^= 0x01;
    Put(db, key, value);
  });
  ExpectCorruption({"tile 0/0: ", "does not match"});
}

// The right-edge tile is read when the log opens: a changed peak (the last
// hash of a row) is caught there, any other changed hash by the full check.
TEST_F(TamperTest, DetectsAnOverwrittenEdgeTile) {
  Edit([](RawDatabases& db) {
    std::string key = layout::TileKey(layout::kOwnLog, merkle::TileId{0, 1});
    std::string value = Get(db, key);
    value[0] ^= 0x01;
    Put(db, key, value);
  });
  ExpectCorruption({"tile 0/1: ", "does not match"});
}

TEST_F(TamperTest, DetectsAnOverwrittenPeakInTheEdgeTile) {
  Edit([](RawDatabases& db) {
    std::string key = layout::TileKey(layout::kOwnLog, merkle::TileId{0, 1});
    std::string value = Get(db, key);
    value.back() ^= 0x01;
    Put(db, key, value);
  });
  ExpectCorruption({"log head: root does not match"});
}

TEST_F(TamperTest, DetectsADeletedTile) {
  Edit([](RawDatabases& db) { Delete(db, layout::TileKey(layout::kOwnLog, merkle::TileId{0, 0})); });
  ExpectCorruption({"tile 0/0"});
}

TEST_F(TamperTest, DetectsAChangedKeyTableRecord) {
  Edit([](RawDatabases& db) {
    std::string key = layout::KeyStateKey(layout::kOwnLog, OfficerKey().public_key());
    auto state = KeyState::Decode(Get(db, key));
    ASSERT_TRUE(state.has_value());
    state->roles |= RoleBit(schema::Role::ADMIN);
    Put(db, key, state->Encode());
  });
  ExpectCorruption({"key table"});
}

TEST_F(TamperTest, DetectsAnAddedKeyTableRecord) {
  Edit([](RawDatabases& db) {
    KeyState admin{RoleBit(schema::Role::ADMIN), 0, 0, false};
    Put(db, layout::KeyStateKey(layout::kOwnLog, TestKey("intruder").public_key()), admin.Encode());
  });
  ExpectCorruption({"key table"});
}

TEST_F(TamperTest, DetectsADeletedKeyTableRecord) {
  Edit([](RawDatabases& db) { Delete(db, layout::KeyStateKey(layout::kOwnLog, OfficerKey().public_key())); });
  ExpectCorruption({"key table"});
}

// Replaces the head's checkpoint by one signed as the log's origin by `key`,
// stating the true size and root, or a root with one bit flipped.
void ReplaceHeadCheckpoint(RawDatabases& db, const SigningKey& key, bool change_root) {
  std::string key_name = layout::HeadKey(layout::kOwnLog);
  std::string value;
  ASSERT_TRUE(db.For(key_name).Get(leveldb::ReadOptions(), key_name, &value).ok());
  auto head = layout::LogHead::Decode(value);
  ASSERT_TRUE(head.has_value());
  Checkpoint cp{kOrigin, head->size, head->root, {}};
  if (change_root) cp.root.bytes[0] ^= 1;
  head->checkpoint = testing::Must(SignNote(cp.Format(), kOrigin, key), "SignNote");
  ASSERT_TRUE(db.For(key_name).Put(leveldb::WriteOptions(), key_name, head->Encode()).ok());
}

TEST_F(TamperTest, DetectsAHeadCheckpointSignedByAnotherKey) {
  Edit([](RawDatabases& db) { ReplaceHeadCheckpoint(db, TestKey("impostor"), /*change_root=*/false); });
  ExpectCorruption({"checkpoint: "});
}

TEST_F(TamperTest, DetectsAHeadCheckpointStatingAnotherRoot) {
  Edit([](RawDatabases& db) { ReplaceHeadCheckpoint(db, NodeKey().key, /*change_root=*/true); });
  ExpectCorruption({"checkpoint: ", "root"});
}

TEST_F(TamperTest, DetectsAMissingReplayIndexRecord) {
  Edit([](RawDatabases& db) {
    std::string prefix = layout::LogPrefix(layout::kReplayPrefix, layout::kOwnLog);
    std::unique_ptr<leveldb::Iterator> it(db.main().NewIterator(leveldb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (GetBigEndian64(reinterpret_cast<const uint8_t*>(it->value().data())) == 7) {
        Delete(db, it->key().ToString());
        return;
      }
    }
    FAIL() << "no replay record for entry 7";
  });
  ExpectCorruption({"entry 7: ", "replay index"});
}

TEST_F(TamperTest, DetectsAnExtraReplayIndexRecord) {
  Edit([](RawDatabases& db) {
    Hash stray = Sha256::Digest(std::string_view("a statement that was never appended"));
    std::string where;
    PutBigEndian64(&where, 3);
    Put(db, layout::ReplayKey(layout::kOwnLog, 1700000000000, stray), where);
  });
  ExpectCorruption({"replay index", "records"});
}

TEST_F(TamperTest, DetectsAForgedCheckpointInTheHistory) {
  Edit([](RawDatabases& db) {
    Checkpoint cp{kOrigin, 24, Sha256::Digest(std::string_view("another tree")), {}};
    Put(db, layout::CheckpointKey(layout::kOwnLog, 24),
        testing::Must(SignNote(cp.Format(), kOrigin, NodeKey().key), "SignNote"));
  });
  ExpectCorruption({"checkpoint at size 24", "root"});
}

TEST_F(TamperTest, DetectsAHistoryCheckpointSignedByAnotherKey) {
  Edit([](RawDatabases& db) {
    Checkpoint cp{kOrigin, 5, Hash{}, {}};
    Put(db, layout::CheckpointKey(layout::kOwnLog, 5),
        testing::Must(SignNote(cp.Format(), kOrigin, TestKey("impostor")), "SignNote"));
  });
  ExpectCorruption({"checkpoint at size 5"});
}

// The rule state is rebuilt from the entries and compared: a changed
// custody record would let the node accept a transfer from the wrong holder.
TEST_F(TamperTest, DetectsAChangedRuleStateRecord) {
  Edit([](RawDatabases& db) {
    const std::string key = layout::EvidenceStateKey(layout::kOwnLog, "SZIPB-2024-0017-E01");
    auto record = rules::EvidenceRecord::Decode(Get(db, key));
    ASSERT_TRUE(record.has_value());
    record->holder = "someone else";
    Put(db, key, record->Encode());
  });
  ExpectCorruption({"rule state: ", "evidence SZIPB-2024-0017-E01", "does not match the entries"});
}

TEST_F(TamperTest, DetectsADeletedRuleStateRecord) {
  Edit([](RawDatabases& db) { Delete(db, layout::CaseStateKey(layout::kOwnLog, "SZIPB-2024-0017")); });
  ExpectCorruption({"rule state: ", "case SZIPB-2024-0017", "missing"});
}

TEST_F(TamperTest, DetectsAnAddedRuleStateRecord) {
  Edit([](RawDatabases& db) {
    Put(db, layout::CaseStateKey(layout::kOwnLog, "NEVER-OPENED"), rules::CaseRecord{5, 0, 0}.Encode());
  });
  ExpectCorruption({"rule state: ", "case NEVER-OPENED", "no entry made"});
}

TEST_F(TamperTest, DetectsAChangedQueryIndexRecord) {
  Edit([](RawDatabases& db) {
    const std::string prefix = layout::CaseIndexPrefix("SZIPB-2024-0017");
    std::unique_ptr<leveldb::Iterator> it(db.main().NewIterator(leveldb::ReadOptions()));
    it->Seek(prefix);
    ASSERT_TRUE(it->Valid() && it->key().starts_with(prefix));
    const std::string key = it->key().ToString();
    it.reset();
    Delete(db, key);
    // The same entry filed under another case.
    Put(db, layout::CaseIndexKey("SZIPB-2024-9999", layout::kOwnLog, layout::IndexedEntryAtEnd(key).index), "x");
  });
  ExpectCorruption({"query index: "});
}

}  // namespace
}  // namespace custos
