// Verifying the answer to "is this subject listed?" (ledger/listings/listing_check.h
// holds the answer and how a node builds it; docs/listings-map.md, "Listing
// checks"). The verifier checks each log's part against the federation it
// trusts and decides at its own time: a subject is listed in a log iff one of
// the answer's live entries has its publicationEnds still ahead.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/status.h"
#include "ledger/listings/listing_check.h"
#include "ledger/listings/listings_map.h"
#include "trust/federation.h"

namespace custos::listings {

// A listing found live in the map, as its entry says.
struct ListingFound : ListedEntry {
  bool lapsed = false;  // publication_ends <= the verifier's time
};

struct LogVerdict {
  std::string origin;
  uint64_t size = 0;
  uint32_t cosignatures = 0;  // valid ones from the policy's cosigners
  bool listed = false;        // some listing not lapsed
  std::vector<ListingFound> listings;
};

// Verifies one log's answer for `key` at `now_ms`. Checks, in this order: the
// checkpoint against the federation (trust::Federation::CheckCheckpoint: the
// origin's key, its origin line, the witness group, whose rule refuses a bad
// cosignature by a named cosigner), the "listings" line, each listing entry
// (parses, is a subjectListed of this subject, indexes increasing, inclusion
// proof to the checkpoint's root), and the map proof of the value those entries make (or of absence)
// against the listings root. Corruption naming the failed check ("checkpoint
// of O: …", "cosignature by W …", "witness policy: …", "listing at entry N:
// …", "map proof: …"), also for a log the federation does not list;
// InvalidArgument if the answer is malformed. Remembers the last checkpoint
// it verified of each log, so a run of checks against one checkpoint
// verifies its signatures once. Not thread-safe (one per thread).
class ListingVerifier {
 public:
  explicit ListingVerifier(trust::Federation trust) : trust_(std::move(trust)) {}
  Result<LogVerdict> Verify(const LogListingAnswer& answer, const SubjectKey& key, int64_t now_ms);

 private:
  Result<trust::TrustedCheckpoint> CheckNote(std::string_view origin, std::string_view note);

  trust::Federation trust_;
  // By origin: the note last verified and what it came to.
  std::map<std::string, std::pair<std::string, trust::TrustedCheckpoint>, std::less<>> verified_;
};

}  // namespace custos::listings
