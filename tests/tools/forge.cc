// custos_forge — TEST-ONLY. Makes a node's own log serve an entry that fails
// verification, the way a dishonest or broken node or a damaged disk would,
// so that integration tests can check that `custos log verify` and the
// followers of the log refuse to go past it. It lives under tests/, is built only with the tests and is
// never installed.
//
//   custos_forge bad-entry --data DIR --node-key FILE --kind KIND
//                          --key OFFICER_KEY --statement FILE.json
//
// DIR is a data directory made by `custos log init` (docs/leveldb-layout.md).
// The statement (JSON, as `custos submit --statement` reads it) is signed by
// OFFICER_KEY and appended at index size(), broken by KIND:
//
//   bad-signature  one byte of the submission's signature is flipped;
//   broken-chain   the entry's prevHash is not the previous entry's leaf hash;
//   unauthorized   nothing is changed, but Log::Append's authority check is
//                  not made: pass a key that holds no role for the statement.
//
// Everything else is what an honest append writes (ledger/log/log.cc): the entry,
// its replay record, the key-table changes, the tiles, the head and a new
// checkpoint signed by the node key, in one synced WriteBatch, through the
// public StoredLog API. So the log still opens, its checkpoint verifies with
// the origin's key and its root covers the bad entry: only replaying the
// entries (full verification, replication) finds what is wrong.
//
// Prints the index of the forged entry.
//
//   custos_forge damage-entry --data DIR --index I --offset K [--xor X]
//
// Rewrites the stored bytes of entry I of the own log with byte K xored with
// X (default 1), as damage that LevelDB's checksums do not see leaves them
// (a bad copy, a faulty disk under a rewritten file). Nothing else changes:
// the log opens, and only reading entry I finds what is wrong. Prints the
// byte's old and new value.
//
// Exit codes as the `custos` command line's (docs/cli.md): 0 done, 2 bad usage
// or input (including a log that does not open, or a node key that is not the
// log's), 3 I/O error.

#include <capnp/message.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keyfile.h"
#include "crypto/note.h"
#include "crypto/sha256.h"
#include "crypto/status.h"
#include "ledger/admission/key_table.h"
#include "ledger/admission/submission.h"
#include "ledger/listings/listings_state.h"
#include "ledger/log/entry_batch.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"
#include "schema/json.h"

namespace custos::forge {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 2;
constexpr int kExitIOError = 3;

enum class Kind { kBadSignature, kBrokenChain, kUnauthorized };

struct KindName {
  const char* name;
  Kind kind;
};
constexpr KindName kKinds[] = {
    {"bad-signature", Kind::kBadSignature},
    {"broken-chain", Kind::kBrokenChain},
    {"unauthorized", Kind::kUnauthorized},
};

struct Args {
  std::string data, node_key, kind, key, statement;  // kind: one of kKinds' names
};

struct DamageArgs {
  std::string data;
  uint64_t index = 0;
  uint64_t offset = 0;
  unsigned xor_with = 1;
};

Kind KindNamed(std::string_view name) {
  for (const auto& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  return Kind::kBadSignature;  // unreachable: the command line checked the name
}

int Fail(const Status& status) {
  std::cerr << "custos_forge: " << status.ToString() << "\n";
  return status.code() == Status::Code::kIOError ? kExitIOError : kExitBadInput;
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes, const char* what) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::InvalidArgument(std::string(what) + ": cannot read " + path + ": " + ec.message());
  if (size > max_bytes) return Status::InvalidArgument(std::string(what) + ": " + path + " is too large");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return Status::IOError(std::string(what) + ": reading " + path + " failed");
  return text.str();
}

// The origin DIR/custos.json names (written by `custos log init`).
Result<std::string> ReadOrigin(const std::string& dir) {
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(dir + "/custos.json", 64 * 1024, "--data"));
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("origin") || !j["origin"].is_string()) {
    return Status::InvalidArgument("--data: " + dir + "/custos.json is malformed (want {\"origin\": ...})");
  }
  return j["origin"].get<std::string>();
}

// The submission `custos submit` would make of the JSON statement: origin,
// time and a random nonce filled in where the JSON leaves them out.
Result<Bytes> SignStatement(std::string_view json, const std::string& origin, const SigningKey& key, int64_t now) {
  CUSTOS_ASSIGN_OR_RETURN(Bytes statement, schema::StatementFromJson(json));
  uint8_t nonce[16];
  randombytes_buf(nonce, sizeof nonce);
  return SignSubmission(schema::FillStatementDefaults(statement, origin, now, ByteSpan(nonce, sizeof nonce)), key);
}

// The same submission with the first byte of its signature flipped: still
// canonical and well-formed, but the signature no longer verifies.
Bytes FlipSignatureByte(const schema::SignedSubmission::Reader& submission) {
  capnp::MallocMessageBuilder builder;
  builder.setRoot(submission);
  auto forged = builder.getRoot<schema::SignedSubmission>();
  forged.getSignature()[0] ^= 0x01;
  return schema::Canonicalize(forged.asReader());
}

// Appends `submission` as entry size() in one batch, as Log::Append and
// Log::Commit do, but without checking it, and with a wrong prevHash when
// `kind` asks for it. Returns the entry's index.
Result<uint64_t> AppendUnchecked(StoredLog& log, const NamedKey& node_key, ByteSpan submission, Kind kind) {
  CUSTOS_ASSIGN_OR_RETURN(auto sub, schema::ReadCanonical<schema::SignedSubmission>(
                                        submission, schema::kMaxStatementBytes + 256, "submission"));
  auto statement_data = sub.get().getStatement();
  const ByteSpan statement_bytes(statement_data.begin(), statement_data.size());
  CUSTOS_ASSIGN_OR_RETURN(auto statement, schema::ReadCanonical<schema::Statement>(
                                              statement_bytes, schema::kMaxStatementBytes, "statement"));
  KeyTable keys;
  CUSTOS_RETURN_IF_ERROR(keys.Load(log));
  EntryBatch batch;
  BeginBatch(log, keys, batch);
  const uint64_t index = log.NextIndex(batch.stored);
  // logTime never goes backwards, as in Log::Append: only the chosen check may fail.
  const int64_t log_time = std::max(log.store().clock().NowMillis(), log.last_log_time());
  Hash prev = batch.stored.last_leaf;
  if (kind == Kind::kBrokenChain) prev.bytes[31] ^= 0x01;
  const Bytes entry = BuildEntry(index, prev, log_time, sub.get());
  AddEntry(log, batch, entry, merkle::LeafHash(entry), Sha256::Digest(statement_bytes), statement.get(), log_time,
           rules::RuleEffects());
  layout::LogHead head = log.Grow(batch.stored);
  CUSTOS_ASSIGN_OR_RETURN(Hash listings_root, listings::LogListings(log).Apply(batch.listing_changes, batch.stored.writes));
  // A new checkpoint signed by the node key: the node vouches for the bad entry.
  Checkpoint cp{log.origin(), head.size, head.root, {listings::ListingsLine(listings_root)}};
  CUSTOS_ASSIGN_OR_RETURN(head.checkpoint, SignNote(cp.Format(), node_key.name, node_key.key));
  batch.stored.writes.Put(layout::CheckpointKey(log.number(), head.size), head.checkpoint);
  CUSTOS_RETURN_IF_ERROR(log.Commit(batch.stored, std::move(head)));
  return index;
}

// Refuses a node key that could not have signed this log's checkpoints.
Status CheckNodeKey(const StoredLog& log, const NamedKey& node_key) {
  if (node_key.key.public_key() != log.node_key()) {
    return Status::InvalidArgument("--node-key: not the node key named in this log's genesis");
  }
  if (node_key.name != log.origin()) {
    return Status::InvalidArgument("--node-key: its name \"" + node_key.name + "\" is not the log's origin \"" +
                                   log.origin() + "\"");
  }
  return Status::OK();
}

// The store of the data directory `data` (made by `custos log init`).
Result<std::unique_ptr<Store>> OpenStore(const std::string& data) {
  StoreOptions options;
  options.path = data + "/ledger";
  options.verify_threads = 1;
  auto store = Store::Open(options, OpenMode::kOpenExisting);
  if (!store.ok()) return store.status().WithContext("--data: opening " + options.path);
  return std::move(store).value();
}

Result<uint64_t> ForgeBadEntry(const Args& args) {
  const Kind kind = KindNamed(args.kind);
  CUSTOS_ASSIGN_OR_RETURN(std::string origin, ReadOrigin(args.data));
  auto node_key = ReadKeyFile(args.node_key);
  if (!node_key.ok()) return node_key.status().WithContext("--node-key");
  auto officer = ReadKeyFile(args.key);
  if (!officer.ok()) return officer.status().WithContext("--key");
  CUSTOS_ASSIGN_OR_RETURN(std::string json,
                          ReadSmallFile(args.statement, schema::kMaxStatementBytes, "--statement"));

  CUSTOS_ASSIGN_OR_RETURN(auto store, OpenStore(args.data));
  StoredLog log(*store, layout::kOwnLog);
  CUSTOS_RETURN_IF_ERROR(log.Load());
  if (log.origin() != origin) {
    return Status::InvalidArgument("--data: custos.json names origin \"" + origin + "\", the log's genesis \"" +
                                   log.origin() + "\"");
  }
  CUSTOS_RETURN_IF_ERROR(CheckNodeKey(log, *node_key));

  auto submission = SignStatement(json, origin, officer->key, store->clock().NowMillis());
  if (!submission.ok()) return submission.status().WithContext(args.statement);
  if (kind == Kind::kBadSignature) {
    CUSTOS_ASSIGN_OR_RETURN(auto signed_sub, schema::ReadCanonical<schema::SignedSubmission>(
                                                 *submission, schema::kMaxStatementBytes + 256, "submission"));
    submission = FlipSignatureByte(signed_sub.get());
  }
  return AppendUnchecked(log, *node_key, *submission, kind);
}

Result<std::string> DamageEntry(const DamageArgs& args) {
  CUSTOS_ASSIGN_OR_RETURN(auto store, OpenStore(args.data));
  StoredLog log(*store, layout::kOwnLog);
  CUSTOS_RETURN_IF_ERROR(log.Load());
  CUSTOS_ASSIGN_OR_RETURN(Bytes entry, log.Entry(args.index));
  if (args.offset >= entry.size()) {
    return Status::InvalidArgument("--offset: entry " + std::to_string(args.index) + " has " +
                                   std::to_string(entry.size()) + " bytes");
  }
  const uint8_t old_byte = entry[args.offset];
  entry[args.offset] ^= static_cast<uint8_t>(args.xor_with);
  leveldb::WriteBatch nothing, entries;
  entries.Put(layout::EntryKey(layout::kOwnLog, args.index),
              leveldb::Slice(reinterpret_cast<const char*>(entry.data()), entry.size()));
  CUSTOS_RETURN_IF_ERROR(store->Write(nothing, &entries));
  return "entry " + std::to_string(args.index) + " byte " + std::to_string(args.offset) + ": " +
         std::to_string(old_byte) + " -> " + std::to_string(entry[args.offset]);
}

void AddDamageEntryCommand(CLI::App& app, DamageArgs& args) {
  auto* cmd = app.add_subcommand(
      "damage-entry",
      "Change one byte of a stored entry of the own log, and nothing else, as damage\n"
      "that LevelDB's checksums do not see leaves it.");
  cmd->add_option("--data", args.data, "The log's directory (made by `custos log init`)")->required();
  cmd->add_option("--index", args.index, "The entry")->required();
  cmd->add_option("--offset", args.offset, "The byte of the entry's canonical bytes")->required();
  cmd->add_option("--xor", args.xor_with, "What the byte is xored with (1 to 255; default 1)")->check(CLI::Range(1, 255));
}

void AddBadEntryCommand(CLI::App& app, Args& args) {
  auto* cmd = app.add_subcommand(
      "bad-entry",
      "Append one entry that fails verification, with its tiles, head and a new\n"
      "checkpoint signed by the node key. Prints the entry's index.");
  cmd->add_option("--data", args.data, "The log's directory (made by `custos log init`)")->required();
  cmd->add_option("--node-key", args.node_key, "The log's node key file (signs the checkpoint)")->required();
  std::vector<std::string> kinds;
  for (const auto& k : kKinds) kinds.emplace_back(k.name);
  cmd->add_option("--kind", args.kind, "What is wrong with the entry")->required()->check(CLI::IsMember(kinds));
  cmd->add_option("--key", args.key, "The author's key file (for unauthorized: one without the role)")->required();
  cmd->add_option("--statement", args.statement, "One JSON statement (see examples/)")->required();
}

int Main(int argc, char** argv) {
  InitCrypto();
  CLI::App app{"custos_forge: TEST-ONLY. Makes a log serve an entry that fails verification."};
  app.require_subcommand(1);
  Args args;
  AddBadEntryCommand(app, args);
  DamageArgs damage;
  AddDamageEntryCommand(app, damage);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  if (app.got_subcommand("damage-entry")) {
    auto done = DamageEntry(damage);
    if (!done.ok()) return Fail(done.status());
    std::cout << *done << "\n";
    return kExitOk;
  }
  auto index = ForgeBadEntry(args);
  if (!index.ok()) return Fail(index.status());
  std::cout << *index << "\n";
  return kExitOk;
}

}  // namespace
}  // namespace custos::forge

int main(int argc, char** argv) { return custos::forge::Main(argc, argv); }
