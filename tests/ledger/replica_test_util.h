// Helpers for the replication and equivocation tests (replica_test,
// equivocation_test), on top of log_test_util.h:
//
//   - OpenedLog: a Log opened on a copy of another log's database, so that
//     two logs with the same node key and origin share a prefix and then
//     fork;
//   - ReplicaHolder: a Store with a manual clock holding one Replica of the
//     test origin, closed and reopened at will, with byte snapshots;
//   - RawLog: entries built by hand, outside Log's checks (a test-only origin
//     that can write anything: a broken chain, an unauthorised author, a
//     tampered byte), with a checkpoint over exactly those bytes;
//   - Fetch: what a follower fetches from an origin (entries, proofs);
//   - GrowTo, TextOf: a log grown to a size in one batch; a note's text.
//
// Like log_test_util.h, free of GoogleTest; a failed setup step throws.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "ledger/admission/submission.h"
#include "ledger/listings/histories.h"
#include "ledger/listings/listings_state.h"
#include "ledger/log/replica.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"
#include "tests/ledger/log_test_util.h"

namespace custos::testing {

// The federation's view of the test origin: its name and note key.
inline NoteVerifier OriginVerifier(const NamedKey& key = NodeKey()) {
  return NoteVerifier::ForKey(key.name, key.key.public_key());
}

// Canonical entries [from, to) of `log`.
inline std::vector<Bytes> Fetch(const Log& log, uint64_t from, uint64_t to) {
  std::vector<Bytes> out;
  for (uint64_t i = from; i < to; ++i) out.push_back(Must(log.Entry(i), "entry " + std::to_string(i)));
  return out;
}

// A log opened (with the node key) on a copy of `source`'s database, taken
// with `source` closed; `source` is reopened. From here on the two are forks.
class OpenedLog {
 public:
  OpenedLog(TestLog& source, const std::string& dir, uint64_t maker_stream) : maker_(maker_stream) {
    source.Close();
    std::filesystem::copy(source.path(), dir + "/db", std::filesystem::copy_options::recursive);
    source.Reopen();
    options_.path = dir + "/db";
    options_.clock = &clock_;
    options_.verify_threads = 2;
    log_ = Must(Log::Open(options_, NodeKey()), "Log::Open");
  }

  Log& log() { return *log_; }
  ManualClock& clock() { return clock_; }
  StatementMaker& maker() { return maker_; }
  int64_t now() { return clock_.NowMillis(); }
  Bytes SignedCase(const SigningKey& key, std::string_view case_id) {
    return Sign(maker_.Clue(case_id, now()), key);
  }
  void AppendOk(const std::vector<Bytes>& submissions) {
    for (const auto& r : log_->Append(submissions, BatchMode::kAllOrNothing)) {
      if (!r.ok()) throw std::runtime_error("append refused: " + r.status().ToString());
    }
  }

 private:
  ManualClock clock_{kStartMillis};
  StatementMaker maker_;
  LogOptions options_;
  std::unique_ptr<Log> log_;
};

// A Store at <dir>/db holding the replica of the log `origin_key` names.
class ReplicaHolder {
 public:
  explicit ReplicaHolder(const std::string& dir, NoteVerifier origin_key = OriginVerifier())
      : origin_key_(std::move(origin_key)) {
    options_.path = dir + "/db";
    options_.clock = &clock_;
    options_.verify_threads = 2;
    Reopen();
  }

  Store& store() { return *store_; }
  Replica& replica() { return *replica_; }
  ManualClock& clock() { return clock_; }
  const StoreOptions& options() const { return options_; }

  void Close() {
    replica_.reset();
    store_.reset();
  }
  void Reopen() {
    Close();
    store_ = Must(Store::Open(options_, OpenMode::kOpenOrCreate), "Store::Open");
    replica_ = Must(Replica::Open(*store_, origin_key_), "Replica::Open");
  }
  // Closes, reads every key and value, reopens.
  DbContents Snapshot() {
    Close();
    DbContents contents = ReadAllKeys(options_.path);
    Reopen();
    return contents;
  }

  // Replicates `origin` up to its current size in chunks of at most `chunk`
  // entries, each vouched for by the origin's latest checkpoint and a
  // consistency proof from the chunk's end to it. Throws if one is refused.
  void CatchUp(const Log& origin, uint64_t chunk) {
    const std::string note = origin.checkpoint();
    const uint64_t target = origin.size();
    while (replica_->size() < target) {
      const uint64_t from = replica_->size(), to = std::min(target, from + chunk);
      auto proof = Must(origin.ConsistencyProof(to, target), "ConsistencyProof");
      Status st = replica_->Apply(Fetch(origin, from, to), note, proof);
      if (!st.ok()) throw std::runtime_error("Apply [" + std::to_string(from) + ", " + std::to_string(to) + "): " + st.ToString());
    }
  }

 private:
  NoteVerifier origin_key_;
  ManualClock clock_{kStartMillis};
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Replica> replica_;
};

// Entries built by hand. Starts from a copy of entries [0, n) of a real log
// (or from nothing) and appends whatever a test wants, valid or not.
class RawLog {
 public:
  RawLog() = default;
  RawLog(const Log& log, uint64_t n) : entries_(Fetch(log, 0, n)) {}

  size_t size() const { return entries_.size(); }
  std::vector<Bytes>& entries() { return entries_; }
  std::span<const Bytes> From(size_t i) const { return std::span<const Bytes>(entries_).subspan(i); }

  // The leaf hash the next entry must name as prevHash.
  Hash LastLeaf() const { return entries_.empty() ? Hash{} : merkle::LeafHash(entries_.back()); }
  // The logTime of the last entry (kStartMillis if none).
  int64_t LastTime() const {
    if (entries_.empty()) return kStartMillis;
    auto e = Must(schema::ReadCanonical<schema::LogEntry>(entries_.back(), schema::kMaxEntryBytes, "entry"), "entry");
    return e.get().getLogTime();
  }

  // Appends a LogEntry for `submission` (canonical SignedSubmission bytes)
  // with the next index; `prev` and `index` default to the right ones.
  void Add(const Bytes& submission, int64_t log_time, std::optional<Hash> prev = std::nullopt,
           std::optional<uint64_t> index = std::nullopt) {
    auto sub = Must(schema::ReadCanonical<schema::SignedSubmission>(submission, schema::kMaxStatementBytes + 256, "sub"),
                    "submission");
    entries_.push_back(BuildEntry(index.value_or(entries_.size()), prev.value_or(LastLeaf()), log_time, sub.get()));
  }

  Hash Root() const {
    std::vector<Hash> leaves;
    for (const auto& e : entries_) leaves.push_back(merkle::LeafHash(e));
    return merkle::RootFromLeafHashes(leaves);
  }
  // A checkpoint over exactly these bytes, signed by `key` for `origin`.
  std::string Note(const NamedKey& key = NodeKey(), std::string_view origin = kOrigin) const {
    // Entries a test broke on purpose do not parse; the replica refuses them
    // before it looks at the listings root, so any root will do then.
    auto rebuilt = listings::RebuildListingsRoot(entries_);
    Hash listings_root = rebuilt.ok() ? *rebuilt : listings::EmptyRoot();
    Checkpoint cp{std::string(origin), entries_.size(), Root(), {listings::ListingsLine(listings_root)}};
    auto histories = listings::RebuildHistoryRoots(entries_);
    for (std::string& line : listings::HistoryLines(histories.ok() ? *histories : listings::HistoryRoots{})) {
      cp.extensions.push_back(std::move(line));
    }
    return Must(SignNote(cp.Format(), key.name, key.key), "SignNote");
  }

 private:
  std::vector<Bytes> entries_;
};

// Appends officer-signed cases to `t` (a TestLog or an OpenedLog) in one
// batch, so that the log signs a checkpoint at `size`; then advances its clock.
template <typename T>
void GrowTo(T& t, uint64_t size, const std::string& tag) {
  std::vector<Bytes> batch;
  for (uint64_t i = t.log().size(); i < size; ++i) batch.push_back(t.SignedCase(OfficerKey(), tag + std::to_string(i)));
  if (!batch.empty()) t.AppendOk(batch);
  t.clock().Advance(1000);
}

// The text of a signed note (its checkpoint body).
inline std::string TextOf(const std::string& note) { return Must(Note::Parse(note), "Note::Parse").text; }

}  // namespace custos::testing
