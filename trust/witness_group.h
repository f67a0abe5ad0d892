// The one witness policy every verifier applies to a checkpoint: named
// cosigners (cosignature/v1 keys) and how many of them must have cosigned.
//
// The rule for each cosignature line of a checkpoint note, everywhere:
//  - a line by the log's own origin is skipped: no log witnesses itself;
//  - a line by a key of the group (its name and key id) must verify; one that
//    does not is refused (Corruption naming the cosigner), never skipped: a
//    bad signature by a key the verifier knows means the note was altered or
//    the witness misbehaves, as Go's golang.org/x/mod/sumdb/note treats a
//    known key;
//  - a line by any other key is not checked and counts for nothing (it is
//    reported among `others`).
// Thread-safety: immutable after construction; safe to share.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "crypto/sm2_note.h"
#include "crypto/status.h"
#include "ledger/tlog/checkpoint.h"
#include "trust/federation_config.h"

namespace custos::trust {

// What the cosignature lines of one checkpoint note came to.
struct CosignatureCount {
  std::vector<std::string> cosigners;  // the group's cosigners whose cosignature verified, once each, in note order
  std::vector<uint64_t> cosigned_at;   // each one's cosignature time (seconds since the epoch), as `cosigners`
  std::vector<std::string> others;     // names on lines by keys outside the group (not checked)
  // With RequireSm2: cosigners whose Ed25519 cosignature verified but that
  // have no valid SM2 cosignature on the note (not counted in `cosigners`).
  std::vector<std::string> without_sm2;
};

class WitnessGroup {
 public:
  // No cosigners, quorum 0: every checkpoint meets it.
  WitnessGroup() = default;
  // `cosigners` are cosignature/v1 verifiers (alg 0x04) with distinct names;
  // `quorum` is at most their number (a caller's bug otherwise: asserted).
  WitnessGroup(std::vector<NoteVerifier> cosigners, uint32_t quorum);
  // The federation file's witness policy: each named peer's key as a
  // cosignature/v1 key under the peer's origin.
  // With requireSm2, each cosigner's sm2Key too (RequireSm2).
  static WitnessGroup FromConfig(const FederationConfig& config);
  // A cosigner counts only if the note also carries its valid SM2
  // cosignature (crypto/sm2_note.h) by this key (by cosigner name).
  void RequireSm2(std::map<std::string, Sm2NoteVerifier, std::less<>> keys) {
    sm2_ = std::move(keys);
    require_sm2_ = true;
  }

  const std::vector<NoteVerifier>& cosigners() const { return cosigners_; }  // by name
  uint32_t quorum() const { return quorum_; }
  // "2 of suzhou-psb.example/custos, suzhou-court.example/custos"; "0 of no cosigners".
  std::string Describe() const;

  // Applies the rule above to every line of `note`, whose text is
  // `checkpoint` (already opened with the origin's key). Corruption
  // "cosignature by NAME on the checkpoint of ORIGIN at size N: …" for a line
  // by a key of the group that does not verify.
  Result<CosignatureCount> Count(const Note& note, const Checkpoint& checkpoint) const;
  // Corruption starting "witness policy: " if `count` has fewer than quorum()
  // cosigners; it names the checkpoint, the count and the policy.
  Status RequireQuorum(const CosignatureCount& count, const Checkpoint& checkpoint) const;
  // Count, then RequireQuorum.
  Result<CosignatureCount> Check(const Note& note, const Checkpoint& checkpoint) const;

 private:
  const NoteVerifier* Find(const NoteSignature& sig) const;
  bool HasSm2Cosignature(const Note& note, std::string_view cosigner) const;

  std::vector<NoteVerifier> cosigners_;
  uint32_t quorum_ = 0;
  bool require_sm2_ = false;
  std::map<std::string, Sm2NoteVerifier, std::less<>> sm2_;
};

}  // namespace custos::trust
