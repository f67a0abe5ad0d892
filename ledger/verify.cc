#include "ledger/verify.h"

#include <leveldb/iterator.h>

#include <optional>

#include "crypto/note.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/submission.h"

namespace custos {

namespace {
constexpr size_t kChunk = 4096;

// A tile source for an empty tree: there is nothing to read.
class NoTiles final : public merkle::TileSource {
 public:
  Result<std::string> ReadTile(merkle::TileId) override { return Status::NotFound("empty tree"); }
};

std::string At(uint64_t index) { return "entry " + std::to_string(index) + ": "; }

// One stored entry parsed and checked on its own (no log state needed).
struct ParsedEntry {
  std::optional<schema::CanonicalMessage<schema::LogEntry>> entry;
  std::optional<CheckedSubmission> submission;
  Status status;
};

ParsedEntry ParseEntry(const std::string& raw, uint64_t index) {
  ParsedEntry p;
  auto entry = schema::ReadCanonical<schema::LogEntry>(AsBytes(raw), schema::kMaxEntryBytes, "entry");
  if (!entry.ok()) {
    p.status = Status::Corruption(At(index) + entry.status().message());
    return p;
  }
  auto sub_bytes = schema::Canonicalize(entry->get().getSubmission());
  auto checked = CheckSubmission(sub_bytes);
  if (!checked.ok()) {
    p.status = Status::Corruption(At(index) + checked.status().message());
    return p;
  }
  p.entry.emplace(std::move(entry).value());
  p.submission.emplace(std::move(checked).value());
  return p;
}

}  // namespace

Result<VerifyReport> VerifyStoredLog(const LogOptions& options, const ProgressFn& progress) {
  auto log = Log::Open(options);
  if (!log.ok()) {
    if (log.status().code() == Status::Code::kCorruption) return log.status();
    return log.status().WithContext("opening the log");
  }
  return (*log)->VerifyAll(progress);
}

// Walks a whole log once, rebuilding what a node derives from the entries
// (key table, tree) and comparing it with what is stored.
class LogVerifier {
 public:
  explicit LogVerifier(const Log& log) : log_(log) {}

  Result<VerifyReport> Run(const ProgressFn& progress) {
    layout::LogHead head;
    {
      std::lock_guard<std::mutex> lock(log_.head_mu_);
      head = log_.head_;
    }
    NoTiles none;
    CUSTOS_ASSIGN_OR_RETURN(auto tree, merkle::TreeAppender::Load(none, 0));
    leveldb::ReadOptions ro;
    ro.fill_cache = false;  // a full scan must not evict the proof-serving working set
    std::unique_ptr<leveldb::Iterator> it(log_.db_->NewIterator(ro));
    it->Seek(layout::EntryKey(layout::kOwnLog, 0));
    uint64_t index = 0;
    while (index < head.size) {
      CUSTOS_ASSIGN_OR_RETURN(auto raw, ReadChunk(it.get(), index, head.size));
      std::vector<ParsedEntry> parsed(raw.size());
      log_.pool_->ForEach(raw.size(), [&](size_t i) { parsed[i] = ParseEntry(raw[i], index + i); });
      std::vector<Hash> leaves;
      for (size_t i = 0; i < raw.size(); ++i, ++index) {
        CUSTOS_RETURN_IF_ERROR(parsed[i].status);
        CUSTOS_RETURN_IF_ERROR(CheckInOrder(parsed[i], index));
        prev_ = merkle::LeafHash(AsBytes(raw[i]));
        leaves.push_back(prev_);
      }
      CUSTOS_RETURN_IF_ERROR(CheckTiles(tree.Append(leaves)));
      if (progress) progress(index, head.size);
    }
    if (tree.Root() != head.root) return Status::Corruption("log head: root does not match the entries");
    if (prev_ != head.last_leaf) return Status::Corruption("log head: last leaf hash does not match the entries");
    CUSTOS_RETURN_IF_ERROR(CheckCheckpoint(head));
    CUSTOS_RETURN_IF_ERROR(CheckKeyTable());
    CUSTOS_RETURN_IF_ERROR(CheckReplayCount(head.size));
    CUSTOS_RETURN_IF_ERROR(CheckCheckpointHistory(head.size));
    return VerifyReport{head.size, head.root, head.checkpoint};
  }

 private:
  // The next chunk of raw entries; every index must be present, in order.
  Result<std::vector<std::string>> ReadChunk(leveldb::Iterator* it, uint64_t index, uint64_t size) {
    std::vector<std::string> raw;
    for (; it->Valid() && raw.size() < kChunk && index + raw.size() < size; it->Next()) {
      if (it->key().ToString() != layout::EntryKey(layout::kOwnLog, index + raw.size())) break;
      raw.push_back(it->value().ToString());
    }
    if (!it->status().ok()) return Status::IOError("reading entries: " + it->status().ToString());
    if (raw.empty()) return Status::Corruption(At(index) + "missing from storage");
    return raw;
  }

  // The checks that depend on the entries before this one.
  Status CheckInOrder(const ParsedEntry& p, uint64_t index) {
    auto e = p.entry->get();
    if (e.getIndex() != index) return Status::Corruption(At(index) + "carries index " + std::to_string(e.getIndex()));
    auto ph = e.getPrevHash();
    if (ph.size() != Hash::kSize || !std::equal(ph.begin(), ph.end(), prev_.bytes.begin())) {
      return Status::Corruption(At(index) + "prevHash does not match the previous entry's leaf hash");
    }
    if (e.getLogTime() < last_time_) return Status::Corruption(At(index) + "logTime goes backwards");
    last_time_ = e.getLogTime();
    AppendContext ctx{log_.origin_, index, e.getLogTime(), log_.options_.max_clock_skew_ms, &authority_};
    Status st = CheckInContext(*p.submission, ctx);
    if (!st.ok()) return Status::Corruption(At(index) + st.message());
    CUSTOS_RETURN_IF_ERROR(CheckReplayIndex(*p.submission, index));
    authority_.Apply(p.submission->statement.get(), [](const PublicKey&, const KeyState&) {});
    return Status::OK();
  }

  // The replay index must map this statement to exactly this entry: so no
  // statement appears twice, and the index the node consults is complete.
  Status CheckReplayIndex(const CheckedSubmission& c, uint64_t index) {
    std::string where;
    leveldb::Status s = log_.db_->Get(leveldb::ReadOptions(), layout::ReplayKey(layout::kOwnLog, c.statement_hash), &where);
    if (!s.ok() || where.size() != 8 || GetBigEndian64(reinterpret_cast<const uint8_t*>(where.data())) != index) {
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
    auto stored = log_.tiles_->ReadTile(id);
    if (!stored.ok()) return Status::Corruption("tile " + TileName(id) + ": " + stored.status().message());
    if (*stored != rebuilt) return Status::Corruption("tile " + TileName(id) + ": does not match the entries");
    return Status::OK();
  }

  Status CheckCheckpoint(const layout::LogHead& head) {
    for (const auto& [id, value] : partial_) CUSTOS_RETURN_IF_ERROR(CompareTile(id, value));
    auto note = OpenNote(head.checkpoint, NoteVerifier::ForKey(log_.origin_, log_.node_public_));
    if (!note.ok()) return Status::Corruption("checkpoint: " + note.status().message());
    auto cp = Checkpoint::Parse(note->text);
    if (!cp.ok()) return Status::Corruption(cp.status().message());
    if (cp->origin != log_.origin_ || cp->size != head.size || cp->root != head.root) {
      return Status::Corruption("checkpoint: does not state the log's origin, size and root");
    }
    return Status::OK();
  }

  // The stored key table must be exactly the one the entries produce.
  Status CheckKeyTable() {
    std::map<PublicKey, KeyState> stored;
    CUSTOS_RETURN_IF_ERROR(ForEachWithPrefix(layout::kKeyPrefix, [&](std::string_view key, std::string_view value) {
      auto pub = PublicKey::FromSpan(AsBytes(key));
      auto state = KeyState::Decode(value);
      if (!pub || !state) return Status::Corruption("key table: malformed record");
      stored[*pub] = *state;
      return Status::OK();
    }));
    if (stored != authority_.keys()) return Status::Corruption("key table: does not match the key grants and revokes in the log");
    return Status::OK();
  }

  // Every entry was checked to have its replay record; a record more would
  // make the node refuse a new statement as "already in the log".
  Status CheckReplayCount(uint64_t size) {
    uint64_t count = 0;
    CUSTOS_RETURN_IF_ERROR(ForEachWithPrefix(layout::kReplayPrefix, [&](std::string_view, std::string_view) {
      ++count;
      return Status::OK();
    }));
    if (count != size) {
      return Status::Corruption("replay index: holds " + std::to_string(count) + " records for " +
                                std::to_string(size) + " entries");
    }
    return Status::OK();
  }

  // Every checkpoint the log kept (one per batch) must be signed by the node
  // key and state the root of the verified tree at its size.
  Status CheckCheckpointHistory(uint64_t size) {
    NoteVerifier verifier = NoteVerifier::ForKey(log_.origin_, log_.node_public_);
    return ForEachWithPrefix(layout::kCheckpointPrefix, [&](std::string_view key, std::string_view note) {
      uint64_t at = key.size() == 8 ? GetBigEndian64(reinterpret_cast<const uint8_t*>(key.data())) : 0;
      std::string what = "checkpoint at size " + std::to_string(at) + ": ";
      auto opened = OpenNote(note, verifier);
      if (!opened.ok()) return Status::Corruption(what + opened.status().message());
      auto cp = Checkpoint::Parse(opened->text);
      if (!cp.ok() || cp->size != at || at == 0 || at > size || cp->origin != log_.origin_) {
        return Status::Corruption(what + "does not state this log's origin and that size");
      }
      auto root = merkle::TreeRoot(*log_.tiles_, at);
      if (!root.ok() || *root != cp->root) return Status::Corruption(what + "root does not match the entries");
      return Status::OK();
    });
  }

  // Calls fn(key without the prefix and log number, value) for every record
  // of one kind of the verified log.
  template <typename F>
  Status ForEachWithPrefix(char kind, F&& fn) {
    leveldb::ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<leveldb::Iterator> it(log_.db_->NewIterator(ro));
    std::string prefix = layout::LogPrefix(kind, layout::kOwnLog);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string_view key(it->key().data() + prefix.size(), it->key().size() - prefix.size());
      CUSTOS_RETURN_IF_ERROR(fn(key, std::string_view(it->value().data(), it->value().size())));
    }
    if (!it->status().ok()) return Status::IOError("reading records: " + it->status().ToString());
    return Status::OK();
  }

  static std::string TileName(merkle::TileId id) {
    return std::to_string(id.level) + "/" + std::to_string(id.index);
  }

  const Log& log_;
  Authority authority_;
  Hash prev_;
  int64_t last_time_ = INT64_MIN;
  std::map<merkle::TileId, std::string> partial_;
};

Result<VerifyReport> Log::VerifyAll(const std::function<void(uint64_t, uint64_t)>& progress) const {
  return LogVerifier(*this).Run(progress);
}

}  // namespace custos
