// The answer to "is this subject listed?" (`custos listing check`, RPC
// listingCheck): its Cap'n Proto form (schema/listing.capnp) and how a node
// builds it. A client verifies
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
#include "schema/listing.capnp.h"

namespace custos::listings {

class LogListings;

// One log's part of an answer.
struct LogListingAnswer {
  struct Listing {
    Bytes entry;                  // canonical LogEntry bytes; the entry names its index
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

  // Into `out` (an RPC result, or a message of its own), version 1.
  void Fill(schema::ListingAnswer::Builder out) const;
  // The bytes of its blobs (checkpoints, entries, hashes): a size hint for Fill's message.
  size_t BlobBytes() const;
  // The canonical bytes of Fill's message: what a client keeps.
  Bytes Encode() const;
  // From a received struct, which a newer node may have extended (fields this
  // build does not know are ignored). InvalidArgument naming the field that
  // is wrong: a version other than 1, an unknown kind, a map proof's key,
  // value or bitmap that is not 32 bytes, a sibling or inclusion hash that is
  // not, a pointer that leads outside the message. Never throws.
  static Result<ListingAnswer> Read(schema::ListingAnswer::Reader in);
  // Strict inverse of Encode: canonical bytes of at most kMaxAnswerBytes
  // (schema::ReadCanonical), then Read. InvalidArgument as they say.
  static Result<ListingAnswer> Decode(ByteSpan bytes);
};

// A bound on an answer's bytes: a few listings of one subject per log.
inline constexpr size_t kMaxAnswerBytes = 16 << 20;

// What a subjectListed entry of an answer says, read from its bytes.
struct ListedEntry {
  uint64_t index = 0;
  Hash leaf;                 // its RFC 6962 leaf hash
  SubjectKey key;            // the map key of the subject it lists
  std::string subject_id;    // empty for a person (the id is in the private payload)
  std::string subject_name;  // empty for a person
  std::string cause, legal_basis, deciding_agency, decision_number, case_ref;
  int64_t listed_from = 0, publication_ends = 0;  // ms since the epoch
};

// Reads a canonical LogEntry whose statement is a subjectListed. Its
// signature and authority are not checked (see ListingVerifier).
// InvalidArgument naming what is wrong: not a canonical LogEntry or
// statement, or another kind of statement.
Result<ListedEntry> ReadListedEntry(ByteSpan entry);

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
