#include "tests/ledger/log_test_util.h"

#include <leveldb/db.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/admission/submission.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"
#include "schema/json.h"
#include "schema/text.h"

namespace custos::testing {

namespace {
capnp::Text::Reader TextOf(const std::string& s) { return {s.c_str(), s.size()}; }

std::string Printable(const std::string& bytes) {
  std::string hex = HexEncode(AsBytes(bytes));
  return hex.size() > 48 ? hex.substr(0, 48) + "…" : hex;
}
}  // namespace

// ------------------------------------------------------------ keys

SigningKey KeyFromSeedHex(std::string_view seed_hex) {
  auto seed = HexDecode(seed_hex);
  if (!seed) throw std::runtime_error("bad seed hex");
  return Must(SigningKey::FromSeed(*seed), "SigningKey::FromSeed");
}

SigningKey TestKey(std::string_view label) {
  Hash seed = Sha256::Digest("custos-test-key/" + std::string(label));
  return Must(SigningKey::FromSeed(seed.span()), "SigningKey::FromSeed");
}

NamedKey NodeKey() { return NamedKey{kOrigin, TestKey("node")}; }
SigningKey AdminKey() { return TestKey("admin"); }
SigningKey OfficerKey() { return KeyFromSeedHex(kOfficerSeedHex); }

Bytes Sign(const Bytes& statement, const SigningKey& key) { return SignSubmission(statement, key); }

Hash LeafOf(const Log& log, uint64_t index) {
  return merkle::LeafHash(Must(log.Entry(index), "entry " + std::to_string(index)));
}

Checkpoint OpenCheckpoint(const std::string& note, const std::string& vkey) {
  auto verifier = Must(NoteVerifier::Parse(vkey), "NoteVerifier::Parse");
  auto opened = Must(OpenNote(note, verifier), "OpenNote");
  return Must(Checkpoint::Parse(opened.text), "Checkpoint::Parse");
}

// ------------------------------------------------------------ statements

Bytes StatementMaker::NextNonce() {
  std::string nonce;
  PutBigEndian64(&nonce, stream_);
  PutBigEndian64(&nonce, counter_++);
  auto b = AsBytes(nonce);
  return Bytes(b.begin(), b.end());
}

Bytes StatementMaker::FromJson(std::string_view json, int64_t time) {
  Bytes parsed = Must(schema::StatementFromJson(json), "StatementFromJson");
  return schema::FillStatementDefaults(parsed, kOrigin, time, NextNonce());
}

Bytes StatementMaker::FromExample(std::string_view kind, int64_t time) {
  return FromJson(ReadTextFile(ExamplePath(kind)), time);
}

Bytes StatementMaker::EvidenceRegistered(std::string_view evidence_id, int64_t time) {
  std::string json = ReadTextFile(ExamplePath("evidence-registered"));
  const std::string example_id = "\"SZIPB-2024-0017-E01\"";
  size_t at = json.find(example_id);
  if (at == std::string::npos) throw std::runtime_error("evidence-registered.json: no evidence id to replace");
  json.replace(at, example_id.size(), "\"" + std::string(evidence_id) + "\"");
  return FromJson(json, time);
}

Bytes StatementMaker::FromExampleReferring(std::string_view kind, const Hash& leaf, int64_t time) {
  std::string json = ReadTextFile(ExamplePath(kind));
  const std::string field = "\"leafHash\": \"";
  size_t at = json.find(field);
  if (at == std::string::npos) throw std::runtime_error(std::string(kind) + ".json: no leafHash");
  json.replace(at + field.size(), 64, HexEncode(leaf.span()));
  return FromJson(json, time);
}

Bytes StatementMaker::Build(int64_t time, const std::function<void(schema::Statement::Builder)>& fill,
                            std::string_view origin) {
  capnp::MallocMessageBuilder message;
  auto s = message.initRoot<schema::Statement>();
  std::string o(origin);
  s.setOrigin(TextOf(o));
  s.setTime(time);
  Bytes nonce = NextNonce();
  s.setNonce(DataOf(nonce));
  fill(s);
  return schema::Canonicalize(s.asReader());
}

Bytes StatementMaker::KeyGrant(const PublicKey& key, std::initializer_list<schema::Role> roles, int64_t time,
                               int64_t valid_from, int64_t valid_until) {
  return Build(time, [&](schema::Statement::Builder s) {
    auto g = s.getBody().initKeyGrant();
    g.setKey(DataOf(key.span()));
    g.setHolder("测试员");
    g.setPost("test officer");
    auto list = g.initRoles(static_cast<unsigned>(roles.size()));
    unsigned i = 0;
    for (auto role : roles) list.set(i++, role);
    g.setValidFrom(valid_from);
    g.setValidUntil(valid_until);
  });
}

Bytes StatementMaker::KeyRevoke(const PublicKey& key, int64_t time) {
  return Build(time, [&](schema::Statement::Builder s) {
    auto r = s.getBody().initKeyRevoke();
    r.setKey(DataOf(key.span()));
    r.setReason("device lost");
  });
}

Bytes StatementMaker::CaseClosed(std::string_view case_id, int64_t time, std::string_view origin) {
  std::string id(case_id);
  return Build(
      time,
      [&](schema::Statement::Builder s) {
        auto c = s.getBody().initCaseClosed();
        c.setCaseId(TextOf(id));
        c.setReason("closed by the test");
      },
      origin);
}

Bytes StatementMaker::Clue(std::string_view clue_id, int64_t time, std::string_view origin) {
  std::string id(clue_id);
  return Build(
      time,
      [&](schema::Statement::Builder s) {
        auto c = s.getBody().initClueShared();
        c.setClueId(TextOf(id));
        c.initToOrigins(1).set(0, "wuxi-ipb.example/custos");
        c.setSummary("shared by the test");
      },
      origin);
}

Bytes StatementMaker::CaseOpened(std::string_view case_id, std::string_view party_id,
                                 std::string_view patent_number, int64_t time) {
  std::string id(case_id), party(party_id), patent(patent_number);
  return Build(time, [&](schema::Statement::Builder s) {
    auto c = s.getBody().initCaseOpened();
    c.setCaseId(TextOf(id));
    c.setCaseType(schema::CaseType::PASSING_OFF);
    c.setPatentNumber(TextOf(patent));
    auto p = c.initParties(1)[0];
    p.setKind(schema::PartyKind::UNIFIED_SOCIAL_CREDIT_CODE);
    p.setId(TextOf(party));
    p.setName("昆山鑫达五金制品有限公司");
    c.setRegion("320583");
    c.setSummary("opened by the test");
  });
}

Bytes StatementMaker::Genesis(const PublicKey& node_key, const PublicKey& admin, int64_t time) {
  return Build(time, [&](schema::Statement::Builder s) {
    auto g = s.getBody().initGenesis();
    g.setOrigin(kOrigin);
    g.setNodeKey(DataOf(node_key.span()));
    g.setSuite("ed25519-sha256");
    g.initAdminKeys(1).set(0, DataOf(admin.span()));
  });
}

std::string ExamplePath(std::string_view kind) {
  return std::string(CUSTOS_SOURCE_DIR) + "/examples/" + std::string(kind) + ".json";
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// ------------------------------------------------------------ storage

std::string FreshTempDir(const std::string& base, std::string_view label) {
  static std::atomic<int> counter{0};
  std::filesystem::path dir = std::filesystem::path(base) /
                              ("custos-" + std::string(label) + "-" + std::to_string(getpid()) + "-" +
                               std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

namespace {
std::unique_ptr<leveldb::DB> OpenRaw(const std::string& path) {
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(leveldb::Options(), path, &raw);
  if (!s.ok()) throw std::runtime_error("opening " + path + ": " + s.ToString());
  return std::unique_ptr<leveldb::DB>(raw);
}
}  // namespace

RawDatabases::RawDatabases(const std::string& path)
    : main_(OpenRaw(path)), entries_(OpenRaw(Store::EntriesPath(path))) {}

leveldb::DB& RawDatabases::For(std::string_view key) const {
  return !key.empty() && key[0] == layout::kEntryPrefix ? *entries_ : *main_;
}

DbContents ReadAllKeys(const std::string& path) {
  RawDatabases dbs(path);
  DbContents contents;
  for (leveldb::DB* db : {&dbs.main(), &dbs.entries()}) {
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) contents[it->key().ToString()] = it->value().ToString();
    if (!it->status().ok()) throw std::runtime_error("reading " + path + ": " + it->status().ToString());
  }
  return contents;
}

std::string DescribeDifference(const DbContents& before, const DbContents& after) {
  std::ostringstream out;
  int shown = 0;
  auto note = [&](const std::string& what, const std::string& key) {
    if (shown++ < 8) out << what << " key " << Printable(key) << "\n";
  };
  for (const auto& [key, value] : before) {
    auto it = after.find(key);
    if (it == after.end()) {
      note("removed", key);
    } else if (it->second != value) {
      note("changed", key);
    }
  }
  for (const auto& [key, value] : after) {
    if (!before.count(key)) note("added", key);
  }
  if (shown > 8) out << "… " << (shown - 8) << " more\n";
  return out.str();
}

// ------------------------------------------------------------ a test log

TestLog::TestLog(const std::string& dir, leveldb::Env* env, size_t write_buffer_bytes) {
  options_.path = dir + "/db";
  if (write_buffer_bytes != 0) options_.write_buffer_bytes = write_buffer_bytes;
  options_.clock = &clock_;
  options_.env = env;
  options_.verify_threads = 2;
  PublicKey admin = AdminKey().public_key();
  log_ = Must(Log::Create(options_, kOrigin, NodeKey(), std::span<const PublicKey>(&admin, 1)), "Log::Create");
}

TestLog::~TestLog() = default;

void TestLog::Close() { log_.reset(); }

void TestLog::Reopen(leveldb::Env* env) {
  log_.reset();
  options_.env = env;
  log_ = Must(Log::Open(options_, NodeKey()), "Log::Open");
}

DbContents TestLog::Snapshot() {
  Close();
  DbContents contents = ReadAllKeys(options_.path);
  Reopen(options_.env);
  return contents;
}

std::vector<Receipt> TestLog::AppendOk(const std::vector<Bytes>& submissions, BatchMode mode) {
  auto results = log_->Append(submissions, mode);
  std::vector<Receipt> receipts;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      throw std::runtime_error("submission " + std::to_string(i) + " refused: " + results[i].status().ToString());
    }
    receipts.push_back(*results[i]);
  }
  return receipts;
}

Result<Receipt> TestLog::AppendOne(const Bytes& submission) {
  auto results = log_->Append(std::span<const Bytes>(&submission, 1), BatchMode::kAllOrNothing);
  return results.at(0);
}

Receipt TestLog::GrantOfficer() {
  return AppendOk({Sign(maker_.FromExample("key-grant", now()), AdminKey())}).at(0);
}

Bytes TestLog::SignedCase(const SigningKey& key, std::string_view case_id) {
  return Sign(maker_.Clue(case_id, now()), key);
}

Bytes PersonListedStatement(StatementMaker& maker, int64_t time, int64_t ends, const Hash& digest) {
  return maker.Build(time, [&](schema::Statement::Builder s) {
    auto l = s.getBody().initSubjectListed();
    l.setSubjectKind(schema::PartyKind::RESIDENT_ID);
    l.setCause("假冒专利，受到较重行政处罚");
    l.setLegalBasis("《知识产权信用管理规定》");
    l.setDecidingAgency("苏州市知识产权局");
    l.setDecisionNumber("苏知信列字〔2024〕第9号");
    l.setCaseRef("SZIPB-2024-0031");
    l.setListedFrom(time - 24 * 60 * 60 * 1000);
    l.setPublicationEnds(ends);
    l.setPrivateDigest(DataOf(digest.span()));
  });
}

Bytes DelistedStatement(StatementMaker& maker, int64_t time, uint64_t index, const Hash& leaf) {
  return maker.Build(time, [&](schema::Statement::Builder s) {
    auto d = s.getBody().initSubjectDelisted();
    auto r = d.initListing();
    r.setOrigin(kOrigin);
    r.setIndex(index);
    r.setLeafHash(DataOf(leaf.span()));
    d.setReason(schema::DelistReason::CREDIT_REPAIR);
    d.setNote("信用修复");
  });
}

}  // namespace custos::testing
