// The signed trust root (docs/trust-root.md): the federation file as a chain
// of versions, each a C2SP signed note whose text is
//
//   custos-trust-root/v1
//   { …the federation file, with "federation", "version", "changeQuorum" and,
//     from version 2, "previous" … }
//
// signed with the node keys of its members (Ed25519, alg 0x01, named by
// origin: the keys that sign their checkpoints). Who belongs, their keys,
// names and kinds, and the witness policy are what a version states; a new
// version is how an agency is added or removed and how a node key is
// rotated.
//
// The rules VerifyTrustChain applies:
//  - a version's text is the header line, then a federation file that
//    parses (ParseFederation) and names its federation, version and
//    changeQuorum; version k+1 names version k's federation and, in
//    "previous", the SHA-256 of version k's note text;
//  - the first version of a chain is vouched for by the pin: either the
//    SHA-256 of its text, or one member's key, which must have signed it;
//  - every version carries valid signatures of at least changeQuorum of its
//    own members (so a rotated or added key proves it is held), and every
//    later version also of at least the previous version's changeQuorum of
//    the previous version's members, checked with the previous version's keys;
//  - a signature line whose name and key id are those of a member must
//    verify: a bad one refuses the version (signed-note's rule for a known
//    key); lines by other keys count for nothing; a member counts once.
//
// Thread-safety: free functions over values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "trust/federation_config.h"

namespace custos::trust {

// The first line of every version's text.
inline constexpr std::string_view kTrustRootHeader = "custos-trust-root/v1\n";

struct TrustRootVersion {
  FederationConfig config;  // federation, version and change_quorum are set
  std::string text;         // the note text: header and JSON
  Hash digest;              // SHA-256 of `text`: what the next version's "previous" names
  std::vector<NoteSignature> signatures;  // as in the file, not yet verified
};

// Parses one version: a signed note (or, with `allow_unsigned`, the bare
// text of a draft that nobody has signed yet). InvalidArgument naming
// `label` and what is wrong: not a signed note, not a trust root (no header
// line), the federation file's own errors (ParseFederation), or a missing
// federation, version or changeQuorum; "previous" in version 1, or its
// absence later.
Result<TrustRootVersion> ParseTrustRootVersion(std::string_view file, std::string_view label,
                                               bool allow_unsigned = false);

// Makes the text of a new version from a federation file: `federation_json`
// with "federation", "version" and "previous" set from `previous` (the
// version it follows; nullopt for version 1, then `federation` names it).
// Fields are written in a fixed order, two-space indent, UTF-8 unescaped.
// InvalidArgument if the result would not parse as a version (the
// federation file's errors, a missing changeQuorum).
Result<std::string> DraftTrustRootText(std::string_view federation_json, std::string_view label,
                                       const TrustRootVersion* previous, std::string_view federation);

// What a chain is checked from.
struct TrustPin {
  std::optional<NoteVerifier> key;  // a member's key, obtained out of band
  std::optional<Hash> version;      // or the SHA-256 of one version's text
};

// One verified version, with who signed it and what changed from the one before.
struct VerifiedVersion {
  uint64_t version = 0;
  Hash digest;
  uint32_t members = 0;
  uint32_t change_quorum = 0;
  std::vector<std::string> signed_by_members;   // this version's members whose signature verified
  std::vector<std::string> signed_by_previous;  // the previous version's members whose signature verified
  std::vector<std::string> changes;             // "added ORIGIN", "removed ORIGIN", "new key for ORIGIN", …
};

struct TrustChain {
  std::string federation;
  FederationConfig latest;  // the last version's federation file
  std::string latest_text;  // its note text
  std::vector<VerifiedVersion> versions;
};

// Checks `versions` (in order, each the one after the last) from `pin`.
// InvalidArgument for an empty chain or an empty pin; Corruption naming the
// version and the rule it breaks otherwise.
Result<TrustChain> VerifyTrustChain(const std::vector<TrustRootVersion>& versions, const TrustPin& pin);

// The plain federation file of a version: its JSON, without the header line.
std::string_view FederationJsonOf(const TrustRootVersion& version);
inline std::string_view FederationJsonOf(std::string_view text) { return text.substr(kTrustRootHeader.size()); }

}  // namespace custos::trust
