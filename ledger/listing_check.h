// The answer to "is this subject listed?" (`custos listing check`, RPC
// listingCheck) and its verification. See docs/listings-map.md, "Listing
// checks".
//
// For each log, an answer carries the log's latest checkpoint (a signed note
// with the witnesses' cosignatures), the map proof of the subject against the
// listings root in that checkpoint, and the subject's live listing entries,
// each with its inclusion proof to that checkpoint. The verifier checks all of
// it against a trust policy and decides at its own time: a subject is listed
// in a log iff one of those entries' publicationEnds is still ahead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/listings_map.h"

namespace custos {
class StoredLog;
}  // namespace custos

namespace custos::listings {

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

// Builds `log`'s answer for `key` from one committed state: the head, the map
// proof and the live listings are read under one LevelDB snapshot, so the
// proof is for exactly the root in the returned checkpoint however appends
// run meanwhile. FailedPrecondition if the log holds no checkpoint at its size (a
// replica between two notes of the origin while it catches up); IOError /
// Corruption from the store. Thread-safe.
Result<LogListingAnswer> BuildLogAnswer(const StoredLog& log, const SubjectKey& key);

// What a verifier trusts for one log: the origin's key, and the witness
// policy (at least `quorum` valid cosignatures by distinct `cosigners`, alg
// 0x04 keys).
struct LogTrust {
  NoteVerifier origin_key;
  std::vector<NoteVerifier> cosigners;
  uint32_t quorum = 0;
};

// A listing found live in the map, as its entry says.
struct ListingFound {
  uint64_t index = 0;
  int64_t publication_ends = 0;  // ms since the epoch
  bool lapsed = false;           // publication_ends <= the verifier's time
  std::string cause;
  std::string deciding_agency;
  std::string decision_number;
};

struct LogVerdict {
  std::string origin;
  uint64_t size = 0;
  uint32_t cosignatures = 0;  // valid ones from the policy's cosigners
  bool listed = false;        // some listing not lapsed
  std::vector<ListingFound> listings;
};

// Verifies one log's answer for `key` at `now_ms`. Checks, in this order: the
// checkpoint's signature by the origin and its origin line, the witness
// policy, the "listings" line, each listing entry (parses, is a subjectListed
// of this subject, indexes increasing, inclusion proof to the checkpoint's
// root), and the map proof of the value those entries make (or of absence)
// against the listings root. Corruption naming the failed check ("checkpoint:
// …", "witness policy: …", "listing at entry N: …", "map proof: …");
// InvalidArgument if the answer is malformed. Remembers the last checkpoint
// it verified, so a run of checks against one checkpoint verifies its
// signatures once. Not thread-safe (one per thread).
class ListingVerifier {
 public:
  explicit ListingVerifier(LogTrust trust) : trust_(std::move(trust)) {}
  Result<LogVerdict> Verify(const LogListingAnswer& answer, const SubjectKey& key, int64_t now_ms);

 private:
  Result<uint32_t> CheckNote(std::string_view note);

  LogTrust trust_;
  std::string verified_note_;
  uint32_t verified_cosignatures_ = 0;
};

}  // namespace custos::listings
