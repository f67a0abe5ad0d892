// Whom a client trusts, from its federation file: each log's origin and note
// key, and the witness group whose cosignatures a checkpoint needs. Every
// verifier of node answers and bundles (trust/bundle_verify.h,
// trust/listing_verifier.h, trust/answer_checker.h) takes one.
//
// Thread-safety: immutable after construction; safe to share.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "crypto/note.h"
#include "crypto/sm2_note.h"
#include "crypto/status.h"
#include "ledger/tlog/checkpoint.h"
#include "trust/federation_config.h"
#include "trust/witness_group.h"

namespace custos::trust {

// A checkpoint note opened with its origin's key and held to the witness group.
struct TrustedCheckpoint {
  Note note;
  Checkpoint checkpoint;
  CosignatureCount cosignatures;
};

class Federation {
 public:
  using Origins = std::map<std::string, NoteVerifier, std::less<>>;

  // Trusts nothing: every checkpoint is refused.
  Federation() = default;
  // `origins`: Ed25519 note keys (alg 0x01) by origin.
  Federation(Origins origins, WitnessGroup witnesses)
      : origins_(std::move(origins)), witnesses_(std::move(witnesses)) {}
  // Demands each checkpoint's SM2 line too, by these keys (by origin).
  void RequireSm2(std::map<std::string, Sm2NoteVerifier, std::less<>> keys) {
    sm2_ = std::move(keys);
    require_sm2_ = true;
  }
  bool requires_sm2() const { return require_sm2_; }
  static Federation FromConfig(const FederationConfig& config);

  // Checks and reports the RFC 3161 tokens on checkpoints by these TSAs.
  void SetTimestampAuthorities(std::vector<TimestampVerifier> tsas) { tsas_ = std::move(tsas); }
  const std::vector<TimestampVerifier>& timestamp_authorities() const { return tsas_; }
  // The attestations of the lines of `note` by the federation's TSAs (none
  // when it lists none, or the note carries none). Corruption naming the
  // TSA for a line that does not verify (crypto/timestamp.h).
  Result<std::vector<TimestampAttestation>> Timestamps(const Note& note) const;

  const Origins& origins() const { return origins_; }
  const WitnessGroup& witnesses() const { return witnesses_; }
  // The note key of `origin`, or nullptr if the federation does not list it.
  const NoteVerifier* OriginKey(std::string_view origin) const;

  // Opens `note` as a checkpoint of `origin`: the origin's signature (and,
  // when the federation requires SM2, its SM2 line), then the text and its
  // origin line. NotFound "checkpoint of O: the trust file
  // has no key for this origin"; Corruption "checkpoint of O: …" naming what
  // failed.
  Result<TrustedCheckpoint> OpenCheckpoint(std::string_view note, std::string_view origin) const;
  // OpenCheckpoint, then the witness group (WitnessGroup::Check).
  Result<TrustedCheckpoint> CheckCheckpoint(std::string_view note, std::string_view origin) const;

 private:
  Origins origins_;
  WitnessGroup witnesses_;
  std::map<std::string, Sm2NoteVerifier, std::less<>> sm2_;
  bool require_sm2_ = false;
  std::vector<TimestampVerifier> tsas_;
};

// The largest federation file LoadFederationFile reads.
inline constexpr size_t kMaxFederationFileBytes = size_t{1} << 20;

// Reads and parses the federation file a client names with `flag`
// ("--trust"). InvalidArgument "--trust: the federation file is required"
// for an empty path, "--trust: PATH is N bytes, over the limit of …",
// "--trust: cannot read PATH: …", or ParseFederation's errors labelled
// "--trust PATH"; IOError if reading fails.
Result<Federation> LoadFederationFile(const std::string& path, std::string_view flag = "--trust");
// The same, the file as it is written (with the agencies' names, for reports).
Result<FederationConfig> LoadFederationConfigFile(const std::string& path, std::string_view flag = "--trust");

}  // namespace custos::trust
