// Evidence bundles (docs/evidence-bundle.md): what a court uses to know,
// offline, that a file is the one an officer registered and who has held it
// since.
//
// BuildEvidenceBundle gathers, from the logs a node holds (its own and the
// replicas of its peers' logs), the registration of a content digest, every
// custody entry about that evidence in the order custody moved (across logs:
// a transfer to another agency is followed by that agency's receipt), each
// with its inclusion proof to one checkpoint of its log, those checkpoints
// with the cosignatures the node holds, and the log-administration entries
// that authority is decided from. VerifyEvidenceBundle checks such a bundle
// with no network and no store, against a trust policy (the federation's
// origins and keys, and its witness policy) and, optionally, the digest of
// the file in hand.
//
// Thread-safety: both functions are pure functions of their arguments (and
// of the committed state of the logs they read, for the builder).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/store.h"

namespace custos::bundle {

// The bundle format this code writes and the only one it verifies.
inline constexpr uint32_t kBundleVersion = 1;
// A bundle larger than this is refused before it is parsed.
inline constexpr size_t kMaxBundleBytes = size_t{64} << 20;

// ------------------------------------------------------------ building

// Builds the bundle of the evidence registered with `digest` (algorithm: the
// schema::DigestAlgorithm ordinal) from `logs`, every log the node holds
// (each loaded, all in one Store). When several registrations name the
// digest, the first in (log number, index) order is taken: the own log
// first. Each log's entries are proved against one checkpoint: the latest
// one a witness cosigned if it covers them, else the log's latest; entries
// past a log's latest checkpoint (committed after the build began) are left
// out, so the answer is consistent. Returns canonical EvidenceBundle bytes.
// NotFound when no log holds a registration of the digest; InvalidArgument
// for a digest that is not 32 bytes; IOError/Corruption from the store.
Result<Bytes> BuildEvidenceBundle(std::span<const StoredLog* const> logs, uint8_t algorithm, ByteSpan digest,
                                  std::string_view made_by, int64_t made_at);

// ------------------------------------------------------------ verifying

// Why a bundle is refused: one reason per kind of failure, so that tests and
// the command line can tell them apart.
enum class Failure : uint8_t {
  kNone = 0,
  kMalformed,        // not a canonical bundle, or parts missing or inconsistent
  kVersion,          // a bundle version this verifier does not know
  kUntrustedLog,     // a log whose origin the trust policy does not list
  kFileDigest,       // the file's digest is not the bundle's
  kNotRegistered,    // the registration does not name the bundle's digest
  kEntry,            // an entry is malformed or its author's signature does not verify
  kAuthority,        // an author did not hold the role for the entry at its time
  kInclusion,        // an inclusion proof does not lead to its checkpoint's root
  kCheckpoint,       // a checkpoint's origin signature or text does not check
  kCosignature,      // a cosignature by a named cosigner does not verify
  kWitnessPolicy,    // too few valid cosignatures for the witness policy
  kCustodyGap,       // a custody step does not follow from the one before
  kCustodyOrder,     // steps of one log out of index order (reordered or repeated)
  kCustodyReceipt,   // a receipt does not reference its transfer's exact entry
  kAfterDisposal,    // a step after the evidence was released, returned or destroyed
};
// A stable lower-case name ("custody-gap"), used in JSON output.
const char* FailureName(Failure failure);

// What a verifier trusts: the federation's logs and its witness policy.
struct TrustPolicy {
  std::map<std::string, NoteVerifier, std::less<>> origins;    // alg 0x01 keys by origin
  std::map<std::string, NoteVerifier, std::less<>> cosigners;  // alg 0x04 keys by name: the policy's cosigners
  uint32_t quorum = 0;  // valid cosignatures by `cosigners` each checkpoint needs

  // "2 of suzhou-psb.example/custos, suzhou-court.example/custos"
  std::string Describe() const;
};

// What a verified bundle says, for a human-readable account or JSON.
struct CheckpointAccount {
  std::string origin;
  uint64_t size = 0;
  Hash root;
  std::vector<std::string> cosigners;  // the policy's cosigners whose cosignature verified
  std::vector<std::string> others;     // cosignature lines by names outside the policy (not checked)
};
struct StepAccount {
  std::string origin;
  uint64_t index = 0;
  int64_t log_time = 0;
  std::string kind;         // "evidenceRegistered", "custodyTransferred", …
  std::string author;       // the author key, hex
  std::string author_name;  // "holder (post)" from the key's grant; "" for a genesis admin
  std::string summary;      // what happened, in one line
};
struct Account {
  std::string evidence_id;
  std::string case_id;
  uint8_t algorithm = 0;
  Hash digest;
  uint64_t content_size = 0;
  std::string media_type;
  bool file_checked = false;
  std::string made_by;
  int64_t made_at = 0;
  std::vector<StepAccount> steps;
  std::vector<CheckpointAccount> checkpoints;
  // Where the chain ends: "held by X in ORIGIN", "in transit from A to B", "destroyed".
  std::string state;
  std::string policy;  // TrustPolicy::Describe()
};

struct Verdict {
  Failure failure = Failure::kNone;
  std::string message;  // why, naming the step, log or cosigner; empty when ok
  Account account;      // filled as far as verification got

  bool ok() const { return failure == Failure::kNone; }
};

// Checks `bundle` offline against `trust`: its format and version; each log's
// checkpoint (origin signature, text, origin in `trust`), every cosignature
// by a named cosigner and the witness policy's quorum; every entry (canonical
// form, author signature, statement for that log) and its inclusion proof;
// authority, replayed from each log's genesis (whose node key must be the
// trusted one) through the bundled key grants and revokes; the custody chain
// (module comment of docs/evidence-bundle.md); and, when `file_digest` is
// given (the file's digest under the bundle's algorithm), that it is the
// bundle's digest. Stops at the first failure.
Verdict VerifyEvidenceBundle(ByteSpan bundle, const TrustPolicy& trust, std::optional<Hash> file_digest);

// The algorithm and digest a bundle is about, read without verifying (to
// know how to hash the file before VerifyEvidenceBundle). InvalidArgument if
// the bytes are not a bundle.
Result<std::pair<uint8_t, Hash>> PeekDigest(ByteSpan bundle);

// "sha256" / "sm3"; nullptr for an unknown ordinal.
const char* DigestAlgorithmName(uint8_t algorithm);
// The schema::DigestAlgorithm ordinal of "sha256" / "sm3"; nullopt otherwise.
std::optional<uint8_t> ParseDigestAlgorithm(std::string_view name);

}  // namespace custos::bundle
