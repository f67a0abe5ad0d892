#include "ledger/rules/rule_state.h"

#include "ledger/rules/indexes.h"
#include "ledger/storage/layout.h"

namespace custos::rules {

namespace {
template <typename T>
Result<std::optional<T>> ReadRecord(const StoredLog& log, const std::string& key, const char* what) {
  CUSTOS_ASSIGN_OR_RETURN(auto raw, log.store().Get(key));
  if (!raw) return std::optional<T>();
  auto record = T::Decode(*raw);
  if (!record) return Status::Corruption(std::string("rule state: malformed ") + what + " record");
  return record;
}
}  // namespace

Result<std::optional<EvidenceRecord>> EvidenceOf(const StoredLog& log, std::string_view evidence_id) {
  return ReadRecord<EvidenceRecord>(log, layout::EvidenceStateKey(log.number(), evidence_id), "evidence");
}

Result<std::optional<CaseRecord>> CaseOf(const StoredLog& log, std::string_view case_id) {
  return ReadRecord<CaseRecord>(log, layout::CaseStateKey(log.number(), case_id), "case");
}

Result<std::optional<TargetRecord>> TargetAt(const StoredLog& log, uint64_t index) {
  return ReadRecord<TargetRecord>(log, layout::TargetKey(log.number(), index), "target");
}

Result<std::optional<uint64_t>> UsedBy(const StoredLog& log, std::string_view origin, uint64_t index) {
  CUSTOS_ASSIGN_OR_RETURN(auto raw, log.store().Get(layout::UsedKey(log.number(), origin, index)));
  if (!raw) return std::optional<uint64_t>();
  auto by = DecodeUse(*raw);
  if (!by) return Status::Corruption("rule state: malformed use record");
  return by;
}

Result<std::vector<ListingState>> ListingsOf(const StoredLog& log, const Hash& subject_key, int64_t at) {
  CUSTOS_ASSIGN_OR_RETURN(auto hits, ListingsBySubject(log.store(), subject_key));
  std::vector<ListingState> out;
  for (const auto& hit : hits) {
    if (hit.entry.log != log.number()) continue;
    CUSTOS_ASSIGN_OR_RETURN(auto target, TargetAt(log, hit.entry.index));
    if (!target || target->kind != TargetKind::kListing) continue;  // a delisting
    ListingState state{hit.entry.index, *target, std::nullopt, false};
    CUSTOS_ASSIGN_OR_RETURN(state.delisted_by, UsedBy(log, log.origin(), hit.entry.index));
    state.live = !state.delisted_by && at < target->publication_ends;
    out.push_back(std::move(state));
  }
  return out;
}

Result<std::optional<std::string>> BatchRuleSource::Get(const std::string& key) {
  if (auto it = batch_.state.find(key); it != batch_.state.end()) return std::optional<std::string>(it->second);
  if (prefetched_) {
    if (auto it = prefetched_->find(key); it != prefetched_->end()) return it->second;
  }
  return log_.store().Get(key);
}

std::optional<Hash> BatchRuleSource::PendingLeaf(uint64_t index) {
  const uint64_t first = log_.FirstIndex();
  if (index < first || index - first >= batch_.leaves.size()) return std::nullopt;
  return batch_.leaves[index - first];
}

Result<std::optional<std::string>> PrefetchRuleSource::Get(const std::string& key) {
  CUSTOS_ASSIGN_OR_RETURN(auto value, store_.Get(key));
  cache_[key] = value;
  return value;
}

void PutEffects(StoredLog::Batch& batch, const RuleEffects& effects) {
  for (const auto& [key, value] : effects.state) batch.PutState(key, value);
  for (const auto& [key, value] : effects.index) batch.writes.Put(key, value);
}

Result<RuleEffects> CheckEntryRules(const ParsedEntry& p, std::string_view origin, layout::LogNumber log,
                                    RuleSource& source) {
  auto e = p.entry->get();
  RuleContext ctx;
  ctx.origin = origin;
  ctx.log = log;
  ctx.index = e.getIndex();
  ctx.log_time = e.getLogTime();
  ctx.require_held_references = false;  // replication must not depend on sync order
  auto statement = p.submission->statement.get();
  auto effects = CheckRules(statement, ctx, source);
  if (effects.ok()) return effects;
  const Status& st = effects.status();
  if (st.code() == Status::Code::kIOError) return st;
  const char* family = RuleFamily(statement.getBody().which());
  return Status::Corruption("entry " + std::to_string(ctx.index) + ": " +
                            (family ? std::string(family) + " rule: " : std::string()) + st.message());
}

}  // namespace custos::rules
