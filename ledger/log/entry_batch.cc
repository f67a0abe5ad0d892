#include "ledger/log/entry_batch.h"

#include "ledger/personal/private_data.h"
#include "ledger/rules/rule_state.h"

namespace custos {

void BeginBatch(const StoredLog& log, const KeyTable& keys, EntryBatch& batch) {
  log.Begin(&batch.stored);
  batch.authority = keys.authority();
}

void AddEntry(const StoredLog& log, EntryBatch& batch, ByteSpan entry, const Hash& leaf, const Hash& statement_hash,
              schema::Statement::Reader statement, int64_t log_time, const rules::RuleEffects& effects) {
  const uint64_t index = log.NextIndex(batch.stored);
  log.AddEntry(batch.stored, entry, leaf, log_time, statement.getTime(), statement_hash);
  std::vector<PublicKey> keys_changed;
  KeyTable::Apply(batch.authority, statement, log.number(), batch.stored.writes, &keys_changed);
  AddHistoryChanges(statement, index, leaf, keys_changed, batch.history_changes);
  rules::PutEffects(batch.stored, effects);
  // The listing ends: its payload goes in the same batch (docs/personal-data.md).
  // The rules have checked that the delisting names a listing of this log.
  if (auto listing = personal::DelistedIndex(statement, log.origin())) {
    personal::DeletePayload(batch.stored.writes, log.number(), *listing);
    batch.stored.erased.push_back(layout::PrivateKey(log.number(), *listing));
  }
  if (auto change = listings::ListingChangeOf(statement, index, leaf)) batch.listing_changes.push_back(*change);
  if (personal::ListedDigest(statement)) batch.person_listings.push_back(index);
}

}  // namespace custos
