#include "tests/bench/workload.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "crypto/sha256.h"
#include "ledger/admission/submission.h"
#include "schema/canonical.h"
#include "schema/json.h"

namespace custos::bench {

namespace {
// Arbitrary fixed seeds for the keys the examples do not provide.
constexpr char kNodeSeedHex[] = "6e6f64652d6b65792d6f662d7468652d637573746f732d62656e63686d61726b";
constexpr char kAdminSeedHex[] = "61646d696e2d6b65792d6f662d7468652d637573746f732d62656e63686d6172";
// The seed of examples/keys/officer.key, which examples/key-grant.json grants.
constexpr char kOfficerSeedHex[] = "323847801f2a484f457935f1bf73f6fe70818be4171bfe1f1c930a7b56113d60";
constexpr char kOfficerPublicHex[] = "2289e2ac94b4ae603249716db691931571a2c8093619203fa996e4b203fd2427";

Result<SigningKey> KeyFromHex(const char* hex) {
  auto seed = HexDecode(hex);
  if (!seed) return Status::InvalidArgument("bad built-in seed");
  return SigningKey::FromSeed(*seed);
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A nonce that differs for every counter value.
std::array<uint8_t, 16> Nonce(uint64_t counter) {
  std::array<uint8_t, 16> nonce{'c', 'u', 's', 't', 'o', 's', 'b', 'n'};
  for (int i = 0; i < 8; ++i) nonce[15 - i] = static_cast<uint8_t>(counter >> (8 * i));
  return nonce;
}
}  // namespace

Result<Keys> MakeKeys() {
  CUSTOS_ASSIGN_OR_RETURN(SigningKey node, KeyFromHex(kNodeSeedHex));
  CUSTOS_ASSIGN_OR_RETURN(SigningKey admin, KeyFromHex(kAdminSeedHex));
  CUSTOS_ASSIGN_OR_RETURN(SigningKey officer, KeyFromHex(kOfficerSeedHex));
  if (HexEncode(officer.public_key().span()) != kOfficerPublicHex) {
    return Status::FailedPrecondition("the officer seed does not give the key examples/key-grant.json grants");
  }
  return Keys{NamedKey{std::string(kOrigin), node}, admin, officer};
}

Result<Workload> LoadWorkload(const std::string& examples_dir) {
  CUSTOS_ASSIGN_OR_RETURN(Keys keys, MakeKeys());
  CUSTOS_ASSIGN_OR_RETURN(Bytes evidence, ExampleStatement(examples_dir, "evidence-registered"));
  return Workload{std::move(keys), std::move(evidence)};
}

Result<Bytes> ExampleStatement(const std::string& examples_dir, std::string_view kind) {
  std::string path = examples_dir + "/" + std::string(kind) + ".json";
  CUSTOS_ASSIGN_OR_RETURN(std::string json, ReadFile(path));
  auto statement = schema::StatementFromJson(json);
  if (!statement.ok()) return statement.status().WithContext(path);
  return statement;
}

Result<Bytes> SignedOfficerGrant(const Keys& keys, const std::string& examples_dir, int64_t now_ms) {
  CUSTOS_ASSIGN_OR_RETURN(Bytes grant, ExampleStatement(examples_dir, "key-grant"));
  auto nonce = Nonce(~uint64_t{0});  // never one of the evidence statements' counters
  Bytes filled = schema::FillStatementDefaults(grant, kOrigin, now_ms, nonce);
  return SignSubmission(filled, keys.admin);
}

Result<std::unique_ptr<Log>> CreateGrantedLog(const LogOptions& options, const Keys& keys,
                                              const std::string& examples_dir, int64_t now_ms) {
  PublicKey admin = keys.admin.public_key();
  CUSTOS_ASSIGN_OR_RETURN(auto log, Log::Create(options, kOrigin, keys.node, std::span<const PublicKey>(&admin, 1)));
  auto grant = SignedOfficerGrant(keys, examples_dir, now_ms);
  if (!grant.ok()) return grant.status().WithContext("signing the officer's key grant");
  auto results = log->Append(std::span<const Bytes>(&*grant, 1), BatchMode::kAllOrNothing);
  if (!results[0].ok()) return results[0].status().WithContext("appending the officer's key grant");
  return log;
}

namespace {
// Registration number `n` registers evidence "<the example's id>-<n>", n
// zero-padded to ten digits (ids are unique in a log, docs/rules.md; an
// agency numbers its registrations in order, so ids sort roughly by time),
// with digests SHA-256(example digest || n): content hashes are random, as a
// real file's are, so the digest index gets random keys.
Bytes WithEvidenceNumber(ByteSpan statement, uint64_t n) {
  auto read = schema::ReadCanonical<schema::Statement>(statement, schema::kMaxStatementBytes, "statement");
  if (!read.ok() || !read->get().getBody().isEvidenceRegistered()) return Bytes(statement.begin(), statement.end());
  capnp::MallocMessageBuilder message;
  message.setRoot(read->get());
  auto r = message.getRoot<schema::Statement>().getBody().getEvidenceRegistered();
  char number[24];
  std::snprintf(number, sizeof number, "-%010llu", static_cast<unsigned long long>(n));
  const std::string id = std::string(r.getEvidenceId().cStr()) + number;
  r.setEvidenceId(capnp::Text::Reader(id.c_str(), id.size()));
  std::string counter;
  PutBigEndian64(&counter, n);
  for (auto d : r.getDigests()) {
    auto value = d.getValue();
    const Hash h = ThreadSha256().Update(ByteSpan(value.begin(), value.size())).Update(counter).Finish();
    d.setValue(capnp::Data::Reader(h.bytes.data(), h.bytes.size()));
  }
  return schema::Canonicalize(message.getRoot<schema::Statement>().asReader());
}
}  // namespace

std::vector<Bytes> PresignStatements(ByteSpan statement, const SigningKey& key, int64_t now_ms, uint64_t first,
                                     size_t count, WorkerPool& pool, uint64_t per_ms) {
  std::vector<Bytes> out(count);
  pool.ForEach(count, [&](size_t i) {
    auto nonce = Nonce(first + i);
    Bytes numbered = WithEvidenceNumber(statement, first + i);
    const int64_t time = per_ms > 0 ? now_ms + static_cast<int64_t>((first + i) / per_ms) : now_ms;
    out[i] = SignSubmission(schema::FillStatementDefaults(numbered, kOrigin, time, nonce), key);
  });
  return out;
}

}  // namespace custos::bench
