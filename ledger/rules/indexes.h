// Queries over the query-index records the rules write ('d', 'e', 'g', 'j';
// ledger/rules/rules.h, docs/rules.md), across every log a store holds. Each
// returns the entries in (log, index) order with the record's value (the
// evidence id for a digest, the body kind as one byte otherwise); IOError if
// a read fails, Corruption for a malformed record. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"

namespace custos::rules {

struct IndexHit {
  layout::IndexedEntry entry;
  std::string value;
};

// The evidenceRegistered entries naming a content digest (algorithm: the
// schema::DigestAlgorithm ordinal).
Result<std::vector<IndexHit>> EvidenceByDigest(const Store& store, uint8_t algorithm, const Hash& digest);
// Every entry naming an evidence id (registration, custody, examination,
// disposal, referrals sending it along).
Result<std::vector<IndexHit>> EntriesByEvidence(const Store& store, std::string_view evidence_id);
// Every entry about a case id (evidence registered for it, opened, referred,
// answered, decided, closed, clues, listings with it as case reference).
Result<std::vector<IndexHit>> EntriesByCase(const Store& store, std::string_view case_id);
// The listings and delistings of an organisation, by subject key.
Result<std::vector<IndexHit>> ListingsBySubject(const Store& store, const Hash& subject_key);

}  // namespace custos::rules
