// Helpers for the ledger tests (log_test, fault_injection_test, crash_test)
// and the crash_appender program: fixed keys, statements with counter nonces,
// logs in temporary directories with a manual clock, and byte-for-byte
// snapshots of a whole LevelDB.
//
// Nothing here depends on GoogleTest, so the crash_appender program can use
// it too. A helper that cannot do its job (a setup step failed) throws
// std::runtime_error with the reason; GoogleTest reports an exception thrown
// in a test body as that test's failure.
#pragma once

#include <leveldb/db.h>
#include <leveldb/env.h>

#include <cstdint>
#include <functional>
#include <initializer_list>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/keyfile.h"
#include "crypto/status.h"
#include "ledger/log/log.h"
#include "ledger/storage/clock.h"
#include "ledger/tlog/checkpoint.h"
#include "schema/custos.capnp.h"

namespace custos::testing {

// The origin every example statement names (examples/*.json).
inline constexpr char kOrigin[] = "suzhou-ipb.example/custos";
// Where every ManualClock starts: 2024-07-03T09:46:40Z.
inline constexpr int64_t kStartMillis = 1'720'000'000'000;
// The seed of the officer key 2289e2ac… granted by examples/key-grant.json.
inline constexpr char kOfficerSeedHex[] = "323847801f2a484f457935f1bf73f6fe70818be4171bfe1f1c930a7b56113d60";

// ------------------------------------------------------------ keys

SigningKey KeyFromSeedHex(std::string_view seed_hex);
// A deterministic key for a label: seed = SHA-256("custos-test-key/" || label).
SigningKey TestKey(std::string_view label);
// The node key of the test logs (named kOrigin), its first admin, and the
// officer of examples/key-grant.json.
NamedKey NodeKey();
SigningKey AdminKey();
SigningKey OfficerKey();

// ------------------------------------------------------------ statements

// Builds canonical statements whose nonces come from a counter, so that two
// statements made by one maker never collide and a run is reproducible:
// nonce = stream (8 bytes, big-endian) || counter (8 bytes, big-endian).
class StatementMaker {
 public:
  explicit StatementMaker(uint64_t stream = 0) : stream_(stream) {}

  Bytes NextNonce();

  // StatementFromJson + FillStatementDefaults (origin kOrigin, `time`, the
  // next nonce). Throws if the JSON is refused.
  Bytes FromJson(std::string_view json, int64_t time);
  // examples/<kind>.json, e.g. FromExample("case-opened", t).
  Bytes FromExample(std::string_view kind, int64_t time);

  // A statement with `origin`, `time` and the next nonce, whose body `fill` sets.
  Bytes Build(int64_t time, const std::function<void(schema::Statement::Builder)>& fill,
              std::string_view origin = kOrigin);
  Bytes KeyGrant(const PublicKey& key, std::initializer_list<schema::Role> roles, int64_t time,
                 int64_t valid_from = 0, int64_t valid_until = 0);
  Bytes KeyRevoke(const PublicKey& key, int64_t time);
  // A small valid case statement (caseClosed), needing the `case` role. The
  // rules accept it only for a case opened, and not closed, in the log.
  Bytes CaseClosed(std::string_view case_id, int64_t time, std::string_view origin = kOrigin);
  // A small valid statement (clueShared, clue id `clue_id`, no case) that
  // needs the `case` role and that no rule ties to earlier entries: the
  // filler of tests about the log rather than about the rules.
  Bytes Clue(std::string_view clue_id, int64_t time, std::string_view origin = kOrigin);
  // A valid caseOpened whose first party has `party_id` and whose patent
  // number is `patent_number` (the identifier tests spoil one of them).
  Bytes CaseOpened(std::string_view case_id, std::string_view party_id, std::string_view patent_number,
                   int64_t time);
  // examples/evidence-registered.json with its evidence id replaced by
  // `evidence_id` (evidence ids are unique in a log).
  Bytes EvidenceRegistered(std::string_view evidence_id, int64_t time);
  // examples/<kind>.json with the leafHash of its reference to an earlier
  // entry set to `leaf` (the files carry placeholders there).
  Bytes FromExampleReferring(std::string_view kind, const Hash& leaf, int64_t time);
  // A genesis statement for kOrigin naming `node_key` and `admin`.
  Bytes Genesis(const PublicKey& node_key, const PublicKey& admin, int64_t time);

 private:
  uint64_t stream_;
  uint64_t counter_ = 0;
};

// The path of examples/<kind>.json in the source tree.
std::string ExamplePath(std::string_view kind);
// The whole file; throws if it cannot be read.
std::string ReadTextFile(const std::string& path);

// ------------------------------------------------------------ storage

// Creates a fresh, empty, unique directory <base>/custos-<label>-<pid>-<n>
// and returns its path. Tests pass ::testing::TempDir() as `base`.
std::string FreshTempDir(const std::string& base, std::string_view label);

// A Store's two LevelDB databases at `path` (ledger/storage/store.h: the entries in
// their own), opened with LevelDB alone so that a test can read or change
// them behind the store's back; no one else may have them open. Throws if
// either does not open.
class RawDatabases {
 public:
  explicit RawDatabases(const std::string& path);
  // The database that holds `key`.
  leveldb::DB& For(std::string_view key) const;
  leveldb::DB& main() const { return *main_; }
  leveldb::DB& entries() const { return *entries_; }

 private:
  std::unique_ptr<leveldb::DB> main_, entries_;
};

// Every key and value of the Store at `path` (both databases), which no one
// may have open.
using DbContents = std::map<std::string, std::string>;
DbContents ReadAllKeys(const std::string& path);
// A short description of how `after` differs from `before` (for messages);
// empty when equal.
std::string DescribeDifference(const DbContents& before, const DbContents& after);

// Fails (throws) unless `r` holds a value.
template <typename T>
T Must(Result<T> r, std::string_view what) {
  if (!r.ok()) throw std::runtime_error(std::string(what) + ": " + r.status().ToString());
  return std::move(r).value();
}

// ------------------------------------------------------------ a test log

// A log in <dir>/db with a ManualClock at kStartMillis, created with
// NodeKey() and AdminKey() as its only admin. `dir` must exist (FreshTempDir).
class TestLog {
 public:
  // `write_buffer_bytes`: LevelDB's write buffer (0: the store's default).
  explicit TestLog(const std::string& dir, leveldb::Env* env = nullptr, size_t write_buffer_bytes = 0);
  ~TestLog();

  Log& log() { return *log_; }
  ManualClock& clock() { return clock_; }
  StatementMaker& maker() { return maker_; }
  const std::string& path() const { return options_.path; }
  // The options of the log: path, manual clock and the Env given.
  LogOptions options() const { return options_; }
  int64_t now() { return clock_.NowMillis(); }

  // Closes the log (releases the LevelDB lock); Reopen opens it again with
  // the node key and `env` (nullptr: the default Env).
  void Close();
  void Reopen(leveldb::Env* env = nullptr);
  bool is_open() const { return log_ != nullptr; }

  // Closes, reads every key and value, and reopens with the same Env.
  DbContents Snapshot();

  // Appends and throws unless every submission was accepted.
  std::vector<Receipt> AppendOk(const std::vector<Bytes>& submissions, BatchMode mode = BatchMode::kAllOrNothing);
  // Appends one submission; its receipt or the reason it was refused.
  Result<Receipt> AppendOne(const Bytes& submission);

  // Submits examples/key-grant.json signed by the admin: the officer gets
  // the evidence, case and listing roles.
  Receipt GrantOfficer();
  // A Clue signed by `key` with the current time.
  Bytes SignedCase(const SigningKey& key, std::string_view case_id);

 private:
  ManualClock clock_{kStartMillis};
  StatementMaker maker_;
  LogOptions options_;
  std::unique_ptr<Log> log_;
};

// Personal data (docs/personal-data.md): a listing of a person for kOrigin,
// committing to `digest`, listed from a day before `time`, publication ending
// at `ends`; and the delisting of the listing at (`index`, `leaf`) of kOrigin.
Bytes PersonListedStatement(StatementMaker& maker, int64_t time, int64_t ends, const Hash& digest);
Bytes DelistedStatement(StatementMaker& maker, int64_t time, uint64_t index, const Hash& leaf);

// Canonical SignedSubmission bytes (SignSubmission).
Bytes Sign(const Bytes& statement, const SigningKey& key);

// The leaf hash of entry `index` (merkle::LeafHash of its bytes); throws if absent.
Hash LeafOf(const Log& log, uint64_t index);
// The checkpoint inside `note`, which must verify with the verifier key string `vkey`.
Checkpoint OpenCheckpoint(const std::string& note, const std::string& vkey);

}  // namespace custos::testing
