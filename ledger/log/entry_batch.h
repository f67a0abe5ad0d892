// One batch of entries of a log, with what each entry changes beyond its
// storage: the key table, the rule state and query indexes, the listings
// map, the private payloads. Log::Append and Replica::Apply gather a batch
// here; each module computes its own effects and the store only writes them
// (StoredLog::Commit).
//
// Serialised with the log's writer, like the batch.
#pragma once

#include <cstdint>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/admission/authority.h"
#include "ledger/admission/key_table.h"
#include "ledger/listings/histories.h"
#include "ledger/listings/listings_state.h"
#include "ledger/rules/rules.h"
#include "ledger/storage/store.h"
#include "schema/custos.capnp.h"

namespace custos {

struct EntryBatch {
  StoredLog::Batch stored;
  Authority authority;  // the key table after the batch's entries
  // The listings and delistings among the batch's entries, in index order
  // (for listings::LogListings::Apply).
  std::vector<listings::ListingChange> listing_changes;
  // What the batch's entries add to the custody and authority histories, in
  // index order (for listings::LogHistories::Apply).
  std::vector<listings::HistoryChange> history_changes;
  // The batch's listings of persons (entries whose private payload a
  // follower fetches next; ledger/personal/private_data.h), in index order.
  std::vector<uint64_t> person_listings;
};

// Starts a batch of `log` from its committed state and key table.
void BeginBatch(const StoredLog& log, const KeyTable& keys, EntryBatch& batch);

// Adds `entry` (canonical LogEntry bytes with leaf hash `leaf`, whose
// statement passed every check as entry log.NextIndex(batch.stored)) and
// what it changes: the key states, the rule state and index records
// (`effects`), the listings map's change, and for a delisting the deletion
// of the delisted listing's private payload.
void AddEntry(const StoredLog& log, EntryBatch& batch, ByteSpan entry, const Hash& leaf, const Hash& statement_hash,
              schema::Statement::Reader statement, int64_t log_time, const rules::RuleEffects& effects);

}  // namespace custos
