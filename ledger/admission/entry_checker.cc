#include "ledger/admission/entry_checker.h"

#include <algorithm>

#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"

namespace custos {

namespace {
std::string At(uint64_t index) { return "entry " + std::to_string(index) + ": "; }
}  // namespace

ParsedEntry ParseEntry(ByteSpan raw, uint64_t index) {
  ParsedEntry p;
  auto entry = schema::ReadCanonical<schema::LogEntry>(raw, schema::kMaxEntryBytes, "entry");
  if (!entry.ok()) {
    p.status = Status::Corruption(At(index) + entry.status().message());
    return p;
  }
  // The submission inside a canonical entry is itself checked as the node
  // checked it on submission: canonical bytes, fields, identifiers, signature.
  auto sub_bytes = schema::Canonicalize(entry->get().getSubmission());
  auto checked = CheckSubmission(sub_bytes);
  if (!checked.ok()) {
    p.status = Status::Corruption(At(index) + checked.status().message());
    return p;
  }
  p.entry.emplace(std::move(entry).value());
  p.submission.emplace(std::move(checked).value());
  p.leaf_hash = merkle::LeafHash(raw);
  return p;
}

EntryChecker::EntryChecker(std::string origin, int64_t max_clock_skew_ms, std::optional<PublicKey> genesis_key)
    : origin_(std::move(origin)), max_clock_skew_ms_(max_clock_skew_ms), genesis_key_(genesis_key) {}

void EntryChecker::Resume(uint64_t next_index, const Hash& prev_leaf, int64_t last_time) {
  next_ = next_index;
  prev_ = prev_leaf;
  last_time_ = last_time;
}

Status EntryChecker::CheckNext(const ParsedEntry& p, const Authority& authority) {
  CUSTOS_RETURN_IF_ERROR(p.status);
  const uint64_t index = next_;
  auto e = p.entry->get();
  if (e.getIndex() != index) return Status::Corruption(At(index) + "carries index " + std::to_string(e.getIndex()));
  auto ph = e.getPrevHash();
  if (ph.size() != Hash::kSize || !std::equal(ph.begin(), ph.end(), prev_.bytes.begin())) {
    return Status::Corruption(At(index) + "prevHash does not match the previous entry's leaf hash");
  }
  if (e.getLogTime() < last_time_) return Status::Corruption(At(index) + "logTime goes backwards");
  auto statement = p.submission->statement.get();
  if (index == 0 && genesis_key_) {
    // Authority::Check below makes entry 0 a genesis for this origin, signed
    // by the key it names; that key must also be the one the origin is known by.
    if (!statement.getBody().isGenesis()) return Status::Corruption(At(index) + "entry 0 must be the log's genesis");
    auto nk = statement.getBody().getGenesis().getNodeKey();
    if (nk.size() != PublicKey::kSize || !std::equal(nk.begin(), nk.end(), genesis_key_->bytes.begin())) {
      return Status::Corruption(At(index) + "genesis: names a node key other than the origin's key");
    }
  }
  AppendContext ctx{origin_, index, e.getLogTime(), max_clock_skew_ms_, &authority};
  Status st = CheckInContext(*p.submission, ctx);
  if (!st.ok()) return Status::Corruption(At(index) + st.message());
  prev_ = p.leaf_hash;
  last_time_ = e.getLogTime();
  ++next_;
  return Status::OK();
}

}  // namespace custos
