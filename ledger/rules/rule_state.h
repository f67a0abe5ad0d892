// The rule state of one stored log, read back (ledger/rules/rules.h has the
// records), and the two RuleSource implementations that feed CheckRules
// during a batch: what the batch already changed first, then the database.
//
// Thread-safety: the read functions may be called from any thread and see the
// last committed batch. A BatchRuleSource is serialised with the log's writer,
// like its batch; a PrefetchRuleSource belongs to one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/admission/entry_checker.h"
#include "ledger/rules/rules.h"
#include "ledger/storage/store.h"

namespace custos::rules {

// The custody state of an evidence id in `log`; nullopt if the log never knew it.
Result<std::optional<EvidenceRecord>> EvidenceOf(const StoredLog& log, std::string_view evidence_id);
// The state of a case opened in `log`; nullopt if never opened there.
Result<std::optional<CaseRecord>> CaseOf(const StoredLog& log, std::string_view case_id);
// What the rules keep of entry `index` if it is a transfer, referral or listing.
Result<std::optional<TargetRecord>> TargetAt(const StoredLog& log, uint64_t index);
// The entry of `log` that used the reference to (origin, index): the receipt,
// answer or delisting; nullopt if none did.
Result<std::optional<uint64_t>> UsedBy(const StoredLog& log, std::string_view origin, uint64_t index);

// A listing of a log and where it stands at some time.
struct ListingState {
  uint64_t index = 0;
  TargetRecord listing;
  std::optional<uint64_t> delisted_by;
  bool live = false;  // not delisted, and the time is before its publication end
};
// The listings of the organisation with `subject_key` in `log`, in index
// order, as they stand at `at` (ms since the epoch).
Result<std::vector<ListingState>> ListingsOf(const StoredLog& log, const Hash& subject_key, int64_t at);

// Reads the rule state as a batch leaves it for its next entry: the batch's
// own records first (StoredLog::Batch::state), then `prefetched` values (read
// before the batch began, when the log has not moved since), then the
// database.
class BatchRuleSource final : public RuleSource {
 public:
  using Cache = std::unordered_map<std::string, std::optional<std::string>>;
  BatchRuleSource(const StoredLog& log, const StoredLog::Batch& batch, const Cache* prefetched = nullptr)
      : log_(log), batch_(batch), prefetched_(prefetched) {}
  Result<std::optional<std::string>> Get(const std::string& key) override;
  std::optional<Hash> PendingLeaf(uint64_t index) override;

 private:
  const StoredLog& log_;
  const StoredLog::Batch& batch_;
  const Cache* prefetched_;
};

// Reads the committed state from the database and remembers every value
// read, so that the checks of a submission can be tried on the worker pool
// and their point reads served again under the append lock. One per thread.
class PrefetchRuleSource final : public RuleSource {
 public:
  explicit PrefetchRuleSource(const Store& store) : store_(store) {}
  Result<std::optional<std::string>> Get(const std::string& key) override;
  BatchRuleSource::Cache& cache() { return cache_; }

 private:
  const Store& store_;
  BatchRuleSource::Cache cache_;
};

// Puts what the rules decided for an entry (its rule state and query-index
// records) into `batch`; the state also goes to batch.state, where later
// entries of the batch read it.
void PutEffects(StoredLog::Batch& batch, const RuleEffects& effects);

// The rules for `p`, an entry that passed EntryChecker::CheckNext, of log
// `log` whose origin is `origin`, against the state `source` gives. As a
// follower checks them: a reference to another log that the store does not
// hold (or not up to that index) is accepted and counted in
// RuleEffects::unchecked_references, and the federation's origins are not
// checked. Corruption "entry N: <family> rule: <reason>".
Result<RuleEffects> CheckEntryRules(const ParsedEntry& p, std::string_view origin, layout::LogNumber log,
                                    RuleSource& source);

}  // namespace custos::rules
