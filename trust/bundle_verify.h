// Verifying an evidence bundle offline (docs/evidence-bundle.md): what a
// court runs to know that a file is the one an officer registered and who has
// held it since, with no network and no store, against the federation it
// trusts (trust/federation.h) and, optionally, the digest of the file in hand.
// ledger/query/bundle.h builds bundles; this is the client's side.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/query/bundle.h"
#include "trust/federation.h"

namespace custos::bundle {

// Why a bundle is refused: one reason per kind of failure, so that tests and
// the command line can tell them apart.
enum class Failure : uint8_t {
  kNone = 0,
  kMalformed,        // not a canonical bundle, or parts missing or inconsistent
  kVersion,          // a bundle version this verifier does not know
  kUntrustedLog,     // a log whose origin the federation does not list
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
  kIncomplete,       // a log's checkpoint commits to entries about the evidence or an author the bundle leaves out
  kTimestamp,        // a time-stamp line by a TSA of the trust file does not verify
};
// A stable lower-case name ("custody-gap"), used in JSON output.
const char* FailureName(Failure failure);

// What a verified bundle says, for a human-readable account or JSON.
struct CheckpointAccount {
  std::string origin;
  uint64_t size = 0;
  Hash root;
  std::vector<std::string> cosigners;  // the policy's cosigners whose cosignature verified
  std::vector<uint64_t> cosigned_at;   // when each cosigned (its cosignature's timestamp, seconds), as `cosigners`
  std::vector<std::string> others;     // cosignature lines by names outside the policy (not checked)
  // The RFC 3161 tokens on the checkpoint by the trust file's TSAs, checked:
  // who attests it existed at what time.
  std::vector<TimestampAttestation> timestamps;
};
struct StepAccount {
  std::string origin;
  uint64_t index = 0;
  int64_t log_time = 0;
  std::string kind;         // "evidenceRegistered", "custodyTransferred", …
  std::string author;       // the author key, hex
  std::string author_name;  // "holder (post)" from the key's grant; "" for a genesis admin
  std::string author_holder;  // the grant's holder and post, apart ("" for a genesis admin)
  std::string author_post;
  Hash leaf;                // the entry's leaf hash
  std::string summary;      // what happened, in one line
  std::string summary_zh;   // the same in Chinese (for the 存证核验报告)
};
// The registration's own fields, as the entry states them.
struct RegistrationAccount {
  std::string method;       // the schema's name: "registrationPreservation" (登记保存), "sampling", …
  std::string description;
  std::string place;
  struct Officer {
    std::string name;
    std::string badge;
  };
  std::vector<Officer> officers;
  struct Digest {
    std::string algorithm;  // "sha256", "sm3"
    Hash value;
    uint64_t size = 0;
    std::string media_type;
  };
  std::vector<Digest> digests;
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
  // The same as codes: "held", "in-transit" or "disposed"; who holds it (in
  // transit: the intended receiver) and in which log; how it was disposed of.
  std::string state_code;
  std::string holder;
  std::string holder_origin;
  std::string disposition;
  RegistrationAccount registration;
  std::string policy;  // trust::WitnessGroup::Describe() of the federation's witnesses
  // Completeness was proved: in every log, the chain's entries are all the
  // custody entries about the evidence up to its checkpoint, and the
  // authority entries all that bear on the keys relied on (the count of
  // keys, over all logs).
  bool complete = false;
  size_t keys_proved = 0;
};

struct Verdict {
  Failure failure = Failure::kNone;
  std::string message;  // why, naming the step, log or cosigner; empty when ok
  Account account;      // filled as far as verification got

  bool ok() const { return failure == Failure::kNone; }
};

// Checks `bundle` offline against `trust`: its format and version; each log's
// checkpoint (origin signature, text, origin in `trust`), its cosignatures
// by the rule of trust/witness_group.h (a bad one by a named cosigner is
// kCosignature) and the witness policy's quorum; every entry (canonical
// form, author signature, statement for that log) and its inclusion proof;
// authority, replayed from each log's genesis (whose node key must be the
// trusted one) through the bundled key grants and revokes; the custody chain
// (module comment of docs/evidence-bundle.md); and, when `file_digest` is
// given (the file's digest under the bundle's algorithm), that it is the
// bundle's digest. Stops at the first failure.
Verdict VerifyEvidenceBundle(ByteSpan bundle, const trust::Federation& trust, std::optional<Hash> file_digest);

// The parts of a bundle that a standard transparency-log verifier checks on
// its own (docs/evidence-report.md, "How to check again"): each log's
// checkpoint note, and each chain step's entry with a C2SP tlog-proof
// (c2sp.org/tlog-proof@v1) against its log's checkpoint. Nothing is checked
// here: take the parts of a bundle that verified. InvalidArgument if the
// bytes are not a bundle or a step names a log the bundle does not carry.
struct BundleParts {
  struct Log {
    std::string origin;
    std::string note;  // the checkpoint, with its signature lines
  };
  struct Step {
    size_t log = 0;          // its log, in `logs`
    uint64_t index = 0;
    Bytes entry;             // canonical LogEntry bytes
    std::string tlog_proof;  // its inclusion proof, as a c2sp.org/tlog-proof@v1 text
  };
  std::vector<Log> logs;
  std::vector<Step> steps;
};
Result<BundleParts> ExtractBundleParts(ByteSpan bundle);

// The algorithm and digest a bundle is about, read without verifying (to
// know how to hash the file before VerifyEvidenceBundle). InvalidArgument if
// the bytes are not a bundle.
Result<std::pair<uint8_t, Hash>> PeekDigest(ByteSpan bundle);

}  // namespace custos::bundle
