// The federation file (docs/node.md, examples/node/federation.json): the
// agencies' logs (origin, note key, address, kind) and the witness policy a
// verifier demands on their checkpoints. custosd reads it to know its peers;
// every client that checks a node's answer or a bundle reads it to know whom
// to trust (trust/federation.h).
//
// The parser is strict: an unknown field, a missing one or a value of the
// wrong form is refused with InvalidArgument whose message starts with the
// file and names the field, e.g. "federation f.json: peers[2].address: …".
// It takes the text and touches no file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/sm2_note.h"
#include "crypto/timestamp.h"
#include "crypto/status.h"
#include "trust/host_port.h"

namespace custos::trust {

// Agency kinds a federation peer may have (docs/node.md).
inline constexpr std::string_view kAgencyKinds[] = {
    "ip-bureau", "public-security-bureau", "procuratorate", "court", "credit-platform",
};

// How a report names an agency ("name": {"zh": "…", "en": "…"}); either may be
// empty, and a report falls back to the other, then to the origin.
struct AgencyName {
  std::string zh;
  std::string en;
};

struct PeerConfig {
  std::string origin;
  NoteVerifier verifier;  // from "verifierKey"; its name is `origin`
  HostPort address;
  std::string agency_kind;  // one of kAgencyKinds
  AgencyName name;          // optional "name"
  // Optional "sm2Key": the SM2 verifier key of the node's second signature
  // line on its checkpoints (crypto/sm2_note.h, docs/sm2.md).
  std::optional<Sm2NoteVerifier> sm2_key;
};

// Which cosigners a verifier demands on a checkpoint, and how many of them,
// as the file writes it (trust::WitnessGroup is the form that checks notes).
struct WitnessPolicy {
  std::vector<std::string> cosigners;  // origins of peers
  uint32_t quorum = 0;                 // 0 <= quorum <= cosigners.size()
};

struct FederationConfig {
  std::vector<PeerConfig> peers;
  WitnessPolicy policy;

  // A version of the signed trust root (trust/trust_root.h, docs/trust-root.md)
  // names its federation and number, the SHA-256 of the previous version's
  // note text, and how many members must sign a version. All optional in a
  // plain file: federation "" and version 0 when absent.
  std::string federation;
  uint64_t version = 0;
  std::optional<Hash> previous;
  uint32_t change_quorum = 0;
  // "requireSm2": a verifier demands each checkpoint's SM2 line by its
  // origin's sm2Key (every peer must then have one), besides the Ed25519 one.
  bool require_sm2 = false;
  // "timestampAuthorities": the RFC 3161 TSAs whose tokens on checkpoints a
  // verifier checks and reports (crypto/timestamp.h, docs/timestamps.md):
  // [{"name": note key name, "certificate": PEM}].
  std::vector<TimestampVerifier> tsas;

  // The peer with this origin, or nullptr.
  const PeerConfig* FindPeer(std::string_view origin) const;
};

// Parses a federation file. `label` names the file in error messages.
// Checks: peers is a list (may be empty); each peer has origin, verifierKey,
// address, agencyKind and optionally name; the verifier key parses, is an Ed25519
// note key (alg 0x01) and is named after the origin; origins and keys are
// unique; witnessPolicy (optional; default none) names only listed peers, each
// once, and 0 <= quorum <= number of cosigners; the optional trust root
// fields (federation, version >= 1, previous as 64 hex digits, changeQuorum
// from 1 to the number of peers); timestampAuthorities, each with a valid
// name (unique) and a time-stamping certificate.
Result<FederationConfig> ParseFederation(std::string_view json, std::string_view label);

}  // namespace custos::trust
