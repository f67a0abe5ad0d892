// Verifying a listing-check answer (trust/listing_verifier.h): the
// checkpoint against the federation, then what the answer says against the
// checkpoint.
#include "trust/listing_verifier.h"

#include "ledger/listings/listings_state.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"

namespace custos::listings {

Result<trust::TrustedCheckpoint> ListingVerifier::CheckNote(std::string_view origin, std::string_view note) {
  auto held = verified_.find(origin);
  if (held != verified_.end() && held->second.first == note) return held->second.second;
  auto checked = trust_.CheckCheckpoint(note, origin);
  // A log the federation does not list is a wrong answer here, not a lookup.
  if (!checked.ok()) return Status::Corruption(checked.status().message());
  verified_.insert_or_assign(std::string(origin), std::make_pair(std::string(note), *checked));
  return checked;
}

namespace {

// Checks one listing entry of the answer and returns what it says.
Result<ListingFound> CheckListing(const LogListingAnswer::Listing& l, size_t position, const Checkpoint& cp,
                                  const SubjectKey& key, int64_t now_ms) {
  // The author's signature and authority are not checked again: the origin
  // checked them before appending, and every witness of the quorum before
  // cosigning (a signature without the key table would prove nothing more).
  auto listed = ReadListedEntry(l.entry);
  if (!listed.ok()) return Status::Corruption("listing " + std::to_string(position) + ": " + listed.status().message());
  const std::string at = "listing at entry " + std::to_string(listed->index) + ": ";
  Status included = merkle::VerifyInclusion(listed->leaf, listed->index, cp.size, l.inclusion, cp.root);
  if (!included.ok()) return Status::Corruption(at + "inclusion proof: " + included.message());
  if (listed->key != key) return Status::Corruption(at + "lists another subject");
  ListingFound found;
  static_cast<ListedEntry&>(found) = std::move(listed).value();
  found.lapsed = found.publication_ends <= now_ms;
  return found;
}

}  // namespace

Result<LogVerdict> ListingVerifier::Verify(const LogListingAnswer& answer, const SubjectKey& key, int64_t now_ms) {
  CUSTOS_ASSIGN_OR_RETURN(trust::TrustedCheckpoint checked, CheckNote(answer.origin, answer.checkpoint));
  const Checkpoint& cp = checked.checkpoint;
  auto root = ListingsRootOf(cp.extensions);
  if (!root.ok()) return Status::Corruption(root.status().message());
  if (!*root) return Status::Corruption("checkpoint: no \"listings\" line");
  const auto cosignatures = static_cast<uint32_t>(checked.cosignatures.cosigners.size());
  LogVerdict verdict{answer.origin, cp.size, cosignatures, false, {}};
  std::vector<LiveListing> live;
  for (size_t i = 0; i < answer.listings.size(); ++i) {
    CUSTOS_ASSIGN_OR_RETURN(ListingFound found, CheckListing(answer.listings[i], i, cp, key, now_ms));
    const LiveListing item{found.index, found.leaf};
    if (!live.empty() && live.back().index >= item.index) {
      return Status::Corruption("listing at entry " + std::to_string(item.index) + ": listings out of index order");
    }
    live.push_back(item);
    verdict.listed = verdict.listed || !found.lapsed;
    verdict.listings.push_back(std::move(found));
  }
  std::optional<Hash> value;
  if (!live.empty()) value = ListingStateDigest(live);
  Status proved = VerifyMapProof(**root, key, value, answer.proof);
  if (!proved.ok()) return Status::Corruption("map proof: " + proved.message());
  return verdict;
}

}  // namespace custos::listings
