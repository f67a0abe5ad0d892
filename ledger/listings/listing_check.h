// The answer to "is this subject listed?" (`custos listing check`, RPC
// listingCheck): its text form and how a node builds it. A client verifies
// it with trust/listing_verifier.h. See docs/listings-map.md, "Listing
// checks".
//
// For each log, an answer carries the log's latest checkpoint (a signed note
// with the witnesses' cosignatures), the map proof of the subject against the
// listings root in that checkpoint, and the subject's live listing entries,
// each with its inclusion proof to that checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/listings/listings_map.h"

namespace custos::listings {

class LogListings;

// One log's part of an answer.
struct LogListingAnswer {
  struct Listing {
    uint64_t index = 0;
    Bytes entry;                  // canonical LogEntry bytes
    std::vector<Hash> inclusion;  // RFC 9162 proof to the checkpoint's tree
  };
  std::string origin;
  std::string checkpoint;  // signed note, cosignatures included
  MapProof proof;          // against the checkpoint's "listings" root
  std::vector<Listing> listings;  // the live listings the map value covers, index order
};

struct ListingAnswer {
  SubjectKind kind = SubjectKind::kUnifiedSocialCreditCode;
  std::string id;
  std::vector<LogListingAnswer> logs;

  // "custos/listing-answer/v1\n" "subject <org|person> <id>\n", then per log:
  // "log <origin>\n" "checkpoint <base64 note>\n" "map-proof <base64 MapProof::Encode>\n"
  // and per listing "listing <index> <base64 entry>[ <base64 hash>]...\n".
  std::string Format() const;
  // Strict inverse of Format: InvalidArgument naming the line that is wrong.
  static Result<ListingAnswer> Parse(std::string_view text);
};

// "org" / "person"; ParseSubjectKind is its inverse (InvalidArgument naming "kind").
std::string_view SubjectKindName(SubjectKind kind);
Result<SubjectKind> ParseSubjectKind(std::string_view name);

// Builds the answer of the log whose map `listings` is for `key` from one committed state: the head, the map
// proof and the live listings are read under one LevelDB snapshot, so the
// proof is for exactly the root in the returned checkpoint however appends
// run meanwhile. FailedPrecondition if the log holds no checkpoint at its size (a
// replica between two notes of the origin while it catches up); IOError /
// Corruption from the store. Thread-safe.
Result<LogListingAnswer> BuildLogAnswer(const LogListings& listings, const SubjectKey& key);

}  // namespace custos::listings
