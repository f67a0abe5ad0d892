#include "ledger/log/verify.h"

#include <leveldb/iterator.h>

#include <optional>

#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/admission/entry_checker.h"
#include "ledger/admission/key_table.h"
#include "ledger/admission/submission.h"
#include "ledger/listings/histories.h"
#include "ledger/listings/listings_state.h"
#include "ledger/log/equivocation.h"
#include "ledger/log/replica.h"
#include "ledger/rules/rule_state.h"
#include "ledger/rules/rules.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"

namespace custos {

namespace {
constexpr size_t kEntriesPerRead = 4096;

// A tile source for an empty tree: there is nothing to read.
class NoTiles final : public merkle::TileSource {
 public:
  Result<std::string> ReadTile(merkle::TileId) override { return Status::NotFound("empty tree"); }
};

std::string At(uint64_t index) { return "entry " + std::to_string(index) + ": "; }

// The rule state of the verified log as the entries so far leave it, rebuilt
// in memory: the stored rule-state records are never read for it, only
// compared at the end. Other logs' records and entries are read from the
// store (they are checked when those logs are verified).
class RebuiltRuleSource final : public rules::RuleSource {
 public:
  RebuiltRuleSource(const Store& store, layout::LogNumber log) : store_(store), log_(log) {}
  Result<std::optional<std::string>> Get(const std::string& key) override {
    if (!rules::IsStateKey(key, log_)) return store_.Get(key);
    auto it = state_.find(key);
    if (it == state_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  std::map<std::string, std::string>& state() { return state_; }

 private:
  const Store& store_;
  const layout::LogNumber log_;
  std::map<std::string, std::string> state_;
};

// An order-independent digest of a set of records: their count and the sum
// mod 2^256 of SHA-256(len(key) || key || value). The query indexes of a
// large log are compared through it without holding them in memory.
struct RecordSetDigest {
  uint64_t count = 0;
  std::array<uint8_t, 32> sum{};

  void Add(std::string_view key, std::string_view value) {
    std::string bytes;
    PutBigEndian32(&bytes, static_cast<uint32_t>(key.size()));
    bytes.append(key).append(value);
    const Hash h = Sha256::Digest(bytes);
    unsigned carry = 0;
    for (size_t i = sum.size(); i-- > 0;) {
      unsigned v = sum[i] + h.bytes[i] + carry;
      sum[i] = static_cast<uint8_t>(v);
      carry = v >> 8;
    }
    ++count;
  }
  bool operator==(const RecordSetDigest&) const = default;
};

// What a rule-state key is about, for messages.
std::string DescribeStateKey(std::string_view key) {
  std::string_view rest = key.substr(5);
  switch (key[0]) {
    case layout::kEvidenceStatePrefix: return "evidence " + std::string(rest);
    case layout::kCaseStatePrefix: return "case " + std::string(rest);
    case layout::kTargetPrefix:
      return rest.size() == 8 ? "entry " + std::to_string(GetBigEndian64(reinterpret_cast<const uint8_t*>(rest.data())))
                              : "a malformed key";
    default: {
      size_t nul = rest.find('\0');
      if (nul == std::string_view::npos || rest.size() != nul + 9) return "a malformed key";
      return "the use of " + std::string(rest.substr(0, nul)) + " entry " +
             std::to_string(GetBigEndian64(reinterpret_cast<const uint8_t*>(rest.data() + nul + 1)));
    }
  }
}

// Walks a whole log once, rebuilding what a node derives from the entries
// (key table, tree) and comparing it with what is stored. The same walk
// serves the own log and the replicas; they differ only in where the node
// key comes from and in which checkpoints the log must hold.
class LogVerifier {
 public:
  // `genesis_key`: a replica's origin key, which entry 0 must name (nullopt
  // for the own log, whose key comes from its genesis). `replica`: the head's
  // checkpoint may be older than the head, or absent (a replica stores the
  // origin's notes only at the sizes where it was given one).
  LogVerifier(const StoredLog& log, std::optional<PublicKey> genesis_key, bool replica)
      : log_(log),
        checker_(log.origin(), log.store().options().max_clock_skew_ms, genesis_key),
        replica_(replica),
        rules_(log.store(), log.number()) {}

  Result<VerifyReport> Run(const ProgressFn& progress) {
    const layout::LogHead head = log_.head();
    NoTiles none;
    CUSTOS_ASSIGN_OR_RETURN(auto tree, merkle::TreeAppender::Load(none, 0));
    // A full scan must not evict the proof-serving working set.
    std::unique_ptr<leveldb::Iterator> it(log_.store().entries_db().NewIterator(CheckedReads(/*fill_cache=*/false)));
    it->Seek(layout::EntryKey(log_.number(), 0));
    uint64_t index = 0;
    while (index < head.size) {
      CUSTOS_ASSIGN_OR_RETURN(auto raw, ReadChunk(it.get(), index, head.size));
      std::vector<ParsedEntry> parsed(raw.size());
      log_.store().ForEach(raw.size(), [&](size_t i) { parsed[i] = ParseEntry(AsBytes(raw[i]), index + i); });
      std::vector<Hash> leaves;
      for (size_t i = 0; i < raw.size(); ++i, ++index) {
        CUSTOS_RETURN_IF_ERROR(CheckInOrder(parsed[i], index));
        leaves.push_back(parsed[i].leaf_hash);
      }
      CUSTOS_RETURN_IF_ERROR(CheckTiles(tree.Append(leaves)));
      if (progress) progress(index, head.size);
    }
    if (tree.Root() != head.root) return Status::Corruption("log head: root does not match the entries");
    if (head.size > 0 && leaves_end_ != head.last_leaf) {
      return Status::Corruption("log head: last leaf hash does not match the entries");
    }
    for (const auto& [id, value] : partial_) CUSTOS_RETURN_IF_ERROR(CompareTile(id, value));
    CUSTOS_RETURN_IF_ERROR(CheckCheckpoint(head));
    CUSTOS_RETURN_IF_ERROR(CheckKeyTable());
    CUSTOS_RETURN_IF_ERROR(CheckReplayCount(head.size));
    CUSTOS_RETURN_IF_ERROR(CheckCheckpointHistory(head.size));
    CUSTOS_RETURN_IF_ERROR(CheckCosignatures());
    CUSTOS_RETURN_IF_ERROR(CheckRuleState());
    CUSTOS_RETURN_IF_ERROR(CheckQueryIndexes());
    CUSTOS_RETURN_IF_ERROR(CheckListings(head));
    CUSTOS_RETURN_IF_ERROR(CheckHistories(head));
    return VerifyReport{head.size, head.root, head.checkpoint, unchecked_references_, log_.origin()};
  }

 private:
  // The next chunk of raw entries; every index must be present, in order.
  Result<std::vector<std::string>> ReadChunk(leveldb::Iterator* it, uint64_t index, uint64_t size) {
    std::vector<std::string> raw;
    for (; it->Valid() && raw.size() < kEntriesPerRead && index + raw.size() < size; it->Next()) {
      if (it->key().ToString() != layout::EntryKey(log_.number(), index + raw.size())) break;
      raw.push_back(it->value().ToString());
    }
    if (!it->status().ok()) return Status::IOError("reading entries: " + it->status().ToString());
    if (raw.empty()) return Status::Corruption(At(index) + "missing from storage");
    return raw;
  }

  // The checks that depend on the entries before this one (EntryChecker),
  // then the replay index, then the entry's effect on the key table.
  Status CheckInOrder(const ParsedEntry& p, uint64_t index) {
    CUSTOS_RETURN_IF_ERROR(checker_.CheckNext(p, authority_));
    CUSTOS_RETURN_IF_ERROR(CheckReplayIndex(*p.submission, index));
    CUSTOS_ASSIGN_OR_RETURN(auto effects, rules::CheckEntryRules(p, log_.origin(), log_.number(), rules_));
    for (auto& [key, value] : effects.state) rules_.state()[key] = std::move(value);
    for (const auto& [key, value] : effects.index) indexes_.Add(key, value);
    unchecked_references_ += effects.unchecked_references;
    CUSTOS_RETURN_IF_ERROR(listings_.Add(p.submission->statement.get(), index, p.leaf_hash));
    std::vector<PublicKey> keys_changed;
    authority_.Apply(p.submission->statement.get(),
                     [&](const PublicKey& key, const KeyState&) { keys_changed.push_back(key); });
    std::vector<listings::HistoryChange> changes;
    listings::AddHistoryChanges(p.submission->statement.get(), index, p.leaf_hash, keys_changed, changes);
    for (const auto& c : changes) histories_.Add(c);
    leaves_end_ = p.leaf_hash;
    return Status::OK();
  }

  // The replay index must map this statement to exactly this entry: so no
  // statement appears twice, and the index the node consults is complete.
  Status CheckReplayIndex(const CheckedSubmission& c, uint64_t index) {
    auto where = log_.ReplayIndexOf(c.statement_time(), c.statement_hash);
    if (!where.ok() || !*where || **where != index) {
      return Status::Corruption(At(index) + "replay index does not point at this entry (statement appended twice?)");
    }
    return Status::OK();
  }

  // Full tiles rebuilt from the entries must equal the stored ones byte for
  // byte as soon as they are full; partial ones are kept and checked at the
  // end, when they are the right edge of the tree.
  Status CheckTiles(const std::map<merkle::TileId, std::string>& rebuilt) {
    for (const auto& [id, value] : rebuilt) {
      if (merkle::StoredTileWidth(value.size()) != merkle::kTileWidth) {
        partial_[id] = value;
        continue;
      }
      partial_.erase(id);
      CUSTOS_RETURN_IF_ERROR(CompareTile(id, value));
    }
    return Status::OK();
  }

  Status CompareTile(merkle::TileId id, const std::string& rebuilt) {
    auto stored = log_.tiles().ReadTile(id);
    if (!stored.ok()) return Status::Corruption("tile " + TileName(id) + ": " + stored.status().message());
    if (*stored != rebuilt) return Status::Corruption("tile " + TileName(id) + ": does not match the entries");
    return Status::OK();
  }

  NoteVerifier OriginVerifier() const { return NoteVerifier::ForKey(log_.origin(), log_.node_key()); }

  // The head's note: the own log's is the one it signed at its size; a
  // replica's is the origin's latest note at a size it holds, if any.
  Status CheckCheckpoint(const layout::LogHead& head) {
    if (replica_ && head.checkpoint.empty()) return Status::OK();
    auto note = OpenNote(head.checkpoint, OriginVerifier());
    if (!note.ok()) return Status::Corruption("checkpoint: " + note.status().message());
    auto cp = Checkpoint::Parse(note->text);
    if (!cp.ok()) return Status::Corruption(cp.status().message());
    if (cp->origin != log_.origin()) return Status::Corruption("checkpoint: does not state the log's origin, size and root");
    if (!replica_ && (cp->size != head.size || cp->root != head.root)) {
      return Status::Corruption("checkpoint: does not state the log's origin, size and root");
    }
    if (replica_) {
      auto root = log_.RootAt(cp->size);
      if (!root.ok() || *root != cp->root) return Status::Corruption("checkpoint: root does not match the entries");
    }
    return Status::OK();
  }

  // The stored listings map and 'l' records must be exactly what the entries
  // make, and a head checkpoint at the head's size must carry that root.
  Status CheckListings(const layout::LogHead& head) {
    CUSTOS_ASSIGN_OR_RETURN(Hash rebuilt, listings_.Root());
    auto stored = listings::LogListings(log_).Root();
    if (!stored.ok()) return Status::Corruption("listings map: " + stored.status().message());
    if (*stored != rebuilt) return Status::Corruption("listings map: its root does not match the entries");
    size_t records = 0;
    CUSTOS_RETURN_IF_ERROR(log_.ForEachRecord(layout::kListingSetPrefix, [&](std::string_view key, std::string_view value) {
      ++records;
      auto subject = Hash::FromSpan(AsBytes(key));
      auto it = subject ? listings_.live().find(listings::SubjectKey{subject->bytes}) : listings_.live().end();
      auto decoded = listings::DecodeLiveListings(value);
      if (it == listings_.live().end() || !decoded || *decoded != it->second) {
        return Status::Corruption("live listings of subject " + HexEncode(AsBytes(key)) + ": do not match the entries");
      }
      return Status::OK();
    }));
    if (records != listings_.live().size()) return Status::Corruption("live listings: a listed subject has no record");
    if (head.checkpoint.empty()) return Status::OK();
    auto note = Note::Parse(head.checkpoint);
    auto cp = note.ok() ? Checkpoint::Parse(note->text) : Result<Checkpoint>(note.status());
    if (!cp.ok() || cp->size != head.size) return Status::OK();  // CheckCheckpoint judged the note
    return listings::CheckListingsLine(cp->extensions, rebuilt);
  }

  // The stored custody and authority maps and their 'b' records must be
  // exactly what the entries make, and a head checkpoint at the head's size
  // must carry those roots.
  Status CheckHistories(const layout::LogHead& head) {
    CUSTOS_ASSIGN_OR_RETURN(listings::HistoryRoots rebuilt, histories_.Roots());
    auto stored = listings::LogHistories(log_).Roots();
    if (!stored.ok()) return Status::Corruption("custody and authority maps: " + stored.status().message());
    if (stored->custody != rebuilt.custody) return Status::Corruption("custody map: its root does not match the entries");
    if (stored->authority != rebuilt.authority) {
      return Status::Corruption("authority map: its root does not match the entries");
    }
    size_t records = 0;
    CUSTOS_RETURN_IF_ERROR(log_.ForEachRecord(layout::kHistoryPrefix, [&](std::string_view key, std::string_view value) {
      ++records;
      auto hash = key.size() == 1 + Hash::kSize ? Hash::FromSpan(AsBytes(key.substr(1))) : std::nullopt;
      const auto map = static_cast<listings::HistoryMap>(key.empty() ? 0 : key[0]);
      const bool known = hash && (map == listings::HistoryMap::kCustody || map == listings::HistoryMap::kAuthority);
      const auto& held = histories_.histories(known ? map : listings::HistoryMap::kCustody);
      auto it = known ? held.find(listings::SubjectKey::FromHash(*hash)) : held.end();
      auto decoded = listings::History::Decode(value);
      if (it == held.end() || !decoded || *decoded != it->second) {
        return Status::Corruption("history record " + HexEncode(AsBytes(key)) + ": does not match the entries");
      }
      return Status::OK();
    }));
    const size_t want = histories_.histories(listings::HistoryMap::kCustody).size() +
                        histories_.histories(listings::HistoryMap::kAuthority).size();
    if (records != want) return Status::Corruption("history records: a key the entries name has no record");
    if (head.checkpoint.empty()) return Status::OK();
    auto note = Note::Parse(head.checkpoint);
    auto cp = note.ok() ? Checkpoint::Parse(note->text) : Result<Checkpoint>(note.status());
    if (!cp.ok() || cp->size != head.size) return Status::OK();  // CheckCheckpoint judged the note
    return listings::CheckHistoryLines(cp->extensions, rebuilt);
  }

  // The stored key table must be exactly the one the entries produce.
  Status CheckKeyTable() {
    CUSTOS_ASSIGN_OR_RETURN(auto stored, KeyTable::Read(log_));
    if (stored != authority_.keys()) return Status::Corruption("key table: does not match the key grants and revokes in the log");
    return Status::OK();
  }

  // Every entry was checked to have its replay record; a record more would
  // make the node refuse a new statement as "already in the log".
  Status CheckReplayCount(uint64_t size) {
    uint64_t count = 0;
    CUSTOS_RETURN_IF_ERROR(log_.ForEachRecord(layout::kReplayPrefix, [&](std::string_view, std::string_view) {
      ++count;
      return Status::OK();
    }));
    if (count != size) {
      return Status::Corruption("replay index: holds " + std::to_string(count) + " records for " +
                                std::to_string(size) + " entries");
    }
    return Status::OK();
  }

  // Every checkpoint the log kept (one per batch, or the origin's notes a
  // replica was given) must be signed by the node key and state the root of
  // the verified tree at its size.
  Status CheckCheckpointHistory(uint64_t size) {
    NoteVerifier verifier = OriginVerifier();
    return log_.ForEachRecord(layout::kCheckpointPrefix, [&](std::string_view key, std::string_view note) {
      uint64_t at = key.size() == 8 ? GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data())) : 0;
      std::string what = "checkpoint at size " + std::to_string(at) + ": ";
      auto opened = OpenNote(note, verifier);
      if (!opened.ok()) return Status::Corruption(what + opened.status().message());
      auto cp = Checkpoint::Parse(opened->text);
      if (!cp.ok() || cp->size != at || at == 0 || at > size || cp->origin != log_.origin()) {
        return Status::Corruption(what + "does not state this log's origin and that size");
      }
      auto root = merkle::TreeRoot(log_.tiles(), at);
      if (!root.ok() || *root != cp->root) return Status::Corruption(what + "root does not match the entries");
      return Status::OK();
    });
  }

  // Cosignature lines are checked with the witness's key when they are
  // stored, and verification has no witness keys; what it can check is that
  // each is one well-formed line, by the witness its key names, for a
  // checkpoint the log holds, so that the cosigned notes served stay valid.
  Status CheckCosignatures() {
    return log_.ForEachRecord(layout::kCosignaturePrefix, [&](std::string_view key, std::string_view line) {
      if (key.size() < 8 + 4 + 1) return Status::Corruption("cosignature: malformed key");
      const uint64_t at = GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data()));
      const uint32_t key_id = GetBigEndian32(reinterpret_cast<const uint8_t*>(key.data() + 8));
      std::string what = "cosignature for size " + std::to_string(at) + ": ";
      auto note = log_.CheckpointAt(at);
      if (!note.ok()) return Status::Corruption(what + "no checkpoint of that size is stored");
      auto held = Note::Parse(*note);
      auto with_line = Note::Parse(*note + std::string(line));
      if (!held.ok() || !with_line.ok() || with_line->signatures.size() != held->signatures.size() + 1 ||
          with_line->signatures.back().name != key.substr(12) || with_line->signatures.back().key_id != key_id) {
        return Status::Corruption(what + "not one signature line by the witness its key names");
      }
      return Status::OK();
    });
  }

  // The stored rule state of the log must be exactly the one its entries
  // produce: a changed, added or removed record would make the node accept
  // or refuse entries the rules decide otherwise.
  Status CheckRuleState() {
    const auto& rebuilt = rules_.state();
    size_t matched = 0;
    for (char prefix : {layout::kCaseStatePrefix, layout::kTargetPrefix, layout::kUsedPrefix,
                        layout::kEvidenceStatePrefix}) {
      const std::string head = layout::LogPrefix(prefix, log_.number());
      CUSTOS_RETURN_IF_ERROR(log_.ForEachRecord(prefix, [&](std::string_view key, std::string_view value) {
        const std::string full = head + std::string(key);
        auto it = rebuilt.find(full);
        if (it == rebuilt.end()) {
          return Status::Corruption("rule state: a record for " + DescribeStateKey(full) + " that no entry made");
        }
        if (it->second != value) {
          return Status::Corruption("rule state: the record for " + DescribeStateKey(full) +
                                    " does not match the entries");
        }
        ++matched;
        return Status::OK();
      }));
    }
    if (matched != rebuilt.size()) {
      for (const auto& [key, value] : rebuilt) {
        CUSTOS_ASSIGN_OR_RETURN(auto stored, log_.store().Get(key));
        if (!stored) return Status::Corruption("rule state: the record for " + DescribeStateKey(key) + " is missing");
      }
    }
    return Status::OK();
  }

  // The query-index records naming this log must be exactly those its
  // entries produce (compared by count and an order-independent digest).
  // TODO(perf): the scan covers every log's index records; a store with
  // many replicas could key a per-log summary instead.
  Status CheckQueryIndexes() {
    RecordSetDigest stored;
    for (char prefix : {layout::kDigestIndexPrefix, layout::kEvidenceIndexPrefix, layout::kCaseIndexPrefix,
                        layout::kSubjectIndexPrefix}) {
      CUSTOS_RETURN_IF_ERROR(log_.store().ScanPrefix(std::string(1, prefix), [&](std::string_view key, std::string_view value) {
        auto log = rules::IndexKeyLog(key);
        if (!log) return Status::Corruption("query index: a malformed key");
        if (*log == log_.number()) stored.Add(key, value);
        return Status::OK();
      }));
    }
    if (!(stored == indexes_)) {
      return Status::Corruption("query index: the stored records of this log (" + std::to_string(stored.count) +
                                ") do not match the ones its entries make (" + std::to_string(indexes_.count) + ")");
    }
    return Status::OK();
  }

  static std::string TileName(merkle::TileId id) {
    return std::to_string(id.level) + "/" + std::to_string(id.index);
  }

  const StoredLog& log_;
  listings::ListingsRebuild listings_;
  listings::HistoriesRebuild histories_;
  EntryChecker checker_;
  const bool replica_;
  Authority authority_;
  Hash leaves_end_;
  std::map<merkle::TileId, std::string> partial_;
  RebuiltRuleSource rules_;
  RecordSetDigest indexes_;
  uint64_t unchecked_references_ = 0;
};

}  // namespace

Result<VerifyReport> VerifyStoredLog(const LogOptions& options, const ProgressFn& progress) {
  CUSTOS_ASSIGN_OR_RETURN(auto reports, VerifyStoredLogs(options, {}, [&](const std::string&, uint64_t done, uint64_t total) {
    if (progress) progress(done, total);
  }));
  return std::move(reports.front());
}

Result<VerifyReport> VerifyEntries(const StoredLog& log, std::optional<PublicKey> origin_key, bool replica,
                                   const ProgressFn& progress) {
  return LogVerifier(log, origin_key, replica).Run(progress);
}

Result<VerifyReport> VerifyStoredReplica(Store& store, const NoteVerifier& origin_key, const ProgressFn& progress) {
  auto replica = Replica::Open(store, origin_key, /*create_if_missing=*/false);
  if (!replica.ok()) {
    if (replica.status().code() == Status::Code::kCorruption) return replica.status();
    return replica.status().WithContext("opening the replica of " + origin_key.name);
  }
  return (*replica)->VerifyAll(progress);
}

Result<std::vector<VerifyReport>> VerifyStoredLogs(const LogOptions& options, const std::vector<NoteVerifier>& replicas,
                                                   const LogProgressFn& progress) {
  LogOptions read_only = options;
  read_only.read_only = true;
  auto log = Log::Open(read_only);
  if (!log.ok()) {
    if (log.status().code() == Status::Code::kCorruption) return log.status();
    return log.status().WithContext("opening the log");
  }
  const std::string own = (*log)->origin();
  std::vector<VerifyReport> reports;
  CUSTOS_ASSIGN_OR_RETURN(auto own_report, (*log)->VerifyAll([&](uint64_t done, uint64_t total) {
    if (progress) progress(own, done, total);
  }));
  reports.push_back(std::move(own_report));
  Store& store = (*log)->store();
  for (const auto& origin_key : replicas) {
    if (origin_key.name == own) continue;
    CUSTOS_ASSIGN_OR_RETURN(auto number, store.FindLog(origin_key.name));
    if (!number) continue;  // the node does not follow it
    auto report = VerifyStoredReplica(store, origin_key, [&](uint64_t done, uint64_t total) {
      if (progress) progress(origin_key.name, done, total);
    });
    if (!report.ok()) return report.status().WithContext("replica of " + origin_key.name);
    reports.push_back(std::move(report).value());
  }
  return reports;
}

}  // namespace custos
