#include "ledger/rules/indexes.h"

#include <algorithm>

#include "ledger/admission/bundle_entry.h"

namespace custos::rules {

namespace {
// The records of one query-index prefix: each key is the prefix, then
// log (u32) and index (u64).
Result<std::vector<IndexHit>> IndexHits(const Store& store, const std::string& prefix) {
  std::vector<IndexHit> hits;
  CUSTOS_RETURN_IF_ERROR(store.ScanPrefix(prefix, [&](std::string_view key, std::string_view value) {
    if (key.size() != prefix.size() + 12) return Status::Corruption("index: malformed key");
    hits.push_back(IndexHit{layout::IndexedEntryAtEnd(key), std::string(value)});
    return Status::OK();
  }));
  return hits;
}
}  // namespace

Result<std::vector<IndexHit>> EvidenceByDigest(const Store& store, uint8_t algorithm, const Hash& digest) {
  // The index holds a prefix of the digest: each hit's registration is read
  // and kept only if it names the whole digest.
  CUSTOS_ASSIGN_OR_RETURN(auto candidates, IndexHits(store, layout::DigestIndexPrefix(algorithm, digest.span())));
  std::vector<IndexHit> hits;
  for (auto& hit : candidates) {
    CUSTOS_ASSIGN_OR_RETURN(auto raw, store.Get(layout::EntryKey(hit.entry.log, hit.entry.index)));
    if (!raw) return Status::Corruption("digest index: names entry " + std::to_string(hit.entry.index) + " of log " +
                                        std::to_string(hit.entry.log) + ", which is not stored");
    CUSTOS_ASSIGN_OR_RETURN(auto entry, bundle::ReadLightEntry(AsBytes(*raw)));
    auto body = entry.statement.get().getBody();
    if (!body.isEvidenceRegistered()) return Status::Corruption("digest index: names an entry that registers nothing");
    auto registered = body.getEvidenceRegistered();
    for (auto d : registered.getDigests()) {
      auto value = d.getValue();
      if (static_cast<uint8_t>(d.getAlgorithm()) == algorithm &&
          std::equal(value.begin(), value.end(), digest.bytes.begin(), digest.bytes.end())) {
        hits.push_back(IndexHit{hit.entry, registered.getEvidenceId().cStr()});
        break;
      }
    }
  }
  return hits;
}

Result<std::vector<IndexHit>> EntriesByEvidence(const Store& store, std::string_view evidence_id) {
  return IndexHits(store, layout::EvidenceIndexPrefix(evidence_id));
}

Result<std::vector<IndexHit>> EntriesByCase(const Store& store, std::string_view case_id) {
  return IndexHits(store, layout::CaseIndexPrefix(case_id));
}

Result<std::vector<IndexHit>> ListingsBySubject(const Store& store, const Hash& subject_key) {
  return IndexHits(store, layout::SubjectIndexPrefix(subject_key));
}

}  // namespace custos::rules
