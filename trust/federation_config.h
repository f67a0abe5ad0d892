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
#include <string>
#include <string_view>
#include <vector>

#include "crypto/note.h"
#include "crypto/status.h"
#include "trust/host_port.h"

namespace custos::trust {

// Agency kinds a federation peer may have (docs/node.md).
inline constexpr std::string_view kAgencyKinds[] = {
    "ip-bureau", "public-security-bureau", "procuratorate", "court", "credit-platform",
};

struct PeerConfig {
  std::string origin;
  NoteVerifier verifier;  // from "verifierKey"; its name is `origin`
  HostPort address;
  std::string agency_kind;  // one of kAgencyKinds
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

  // The peer with this origin, or nullptr.
  const PeerConfig* FindPeer(std::string_view origin) const;
};

// Parses a federation file. `label` names the file in error messages.
// Checks: peers is a list (may be empty); each peer has exactly origin,
// verifierKey, address, agencyKind; the verifier key parses, is an Ed25519
// note key (alg 0x01) and is named after the origin; origins and keys are
// unique; witnessPolicy (optional; default none) names only listed peers, each
// once, and 0 <= quorum <= number of cosigners.
Result<FederationConfig> ParseFederation(std::string_view json, std::string_view label);

}  // namespace custos::trust
