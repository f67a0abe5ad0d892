#include "trust/trust_root.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "crypto/sha256.h"

namespace custos::trust {

namespace {

using nlohmann::ordered_json;

std::string Version(uint64_t v) { return "version " + std::to_string(v); }

// The peers of `config` whose key signed `text` (valid signature lines by a
// member's name and key id), each once, in the order of the lines.
// Corruption for a line by a member's key that does not verify.
Result<std::vector<std::string>> SignedBy(const FederationConfig& config, const std::string& text,
                                          const std::vector<NoteSignature>& signatures, const std::string& what) {
  std::vector<std::string> signers;
  for (const NoteSignature& line : signatures) {
    const PeerConfig* peer = config.FindPeer(line.name);
    if (peer == nullptr || peer->verifier.key_id != line.key_id) continue;  // not a member's key: counts for nothing
    std::optional<Signature> sig = Signature::FromSpan(line.sig);
    if (!sig || !VerifySignature(peer->verifier.key, AsBytes(text), *sig)) {
      return Status::Corruption(what + ": the signature of " + line.name + " does not verify (the text was changed " +
                                "after it signed, or the line is forged)");
    }
    if (std::find(signers.begin(), signers.end(), line.name) == signers.end()) signers.push_back(line.name);
  }
  return signers;
}

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "nobody" : out;
}

Status RequireQuorum(const std::vector<std::string>& signers, uint32_t quorum, uint64_t of_version,
                     const std::string& what) {
  if (signers.size() >= quorum) return Status::OK();
  return Status::Corruption(what + ": signed by " + std::to_string(signers.size()) + " of " + Version(of_version) +
                            "'s members (" + Names(signers) + "); its changeQuorum is " + std::to_string(quorum));
}

std::vector<std::string> Changes(const FederationConfig& before, const FederationConfig& after) {
  std::vector<std::string> changes;
  for (const auto& p : after.peers) {
    const PeerConfig* old = before.FindPeer(p.origin);
    if (old == nullptr) {
      changes.push_back("added " + p.origin + " (" + p.agency_kind + ")");
      continue;
    }
    if (old->verifier.key != p.verifier.key) changes.push_back("new key for " + p.origin);
    if (old->address.ToString() != p.address.ToString()) changes.push_back("new address for " + p.origin);
    if (old->agency_kind != p.agency_kind) changes.push_back("new agency kind for " + p.origin);
    if (old->name.zh != p.name.zh || old->name.en != p.name.en) changes.push_back("new name for " + p.origin);
  }
  for (const auto& p : before.peers) {
    if (after.FindPeer(p.origin) == nullptr) changes.push_back("removed " + p.origin);
  }
  if (before.policy.cosigners != after.policy.cosigners || before.policy.quorum != after.policy.quorum) {
    changes.push_back("witness policy now " + std::to_string(after.policy.quorum) + " of " +
                      Names(after.policy.cosigners));
  }
  if (before.change_quorum != after.change_quorum) {
    changes.push_back("changeQuorum now " + std::to_string(after.change_quorum));
  }
  return changes;
}

// Copies the fields of `from` named in `order` into `to`, in that order.
void CopyInOrder(const ordered_json& from, ordered_json& to, std::initializer_list<const char*> order) {
  for (const char* key : order) {
    if (from.contains(key)) to[key] = from[key];
  }
}

}  // namespace

Result<TrustRootVersion> ParseTrustRootVersion(std::string_view file, std::string_view label_view, bool allow_unsigned) {
  const std::string label(label_view);
  TrustRootVersion v;
  if (!file.starts_with(kTrustRootHeader)) {
    return Status::InvalidArgument(label + ": not a trust root version (its first line must be \"" +
                                   std::string(kTrustRootHeader.substr(0, kTrustRootHeader.size() - 1)) + "\")");
  }
  auto note = Note::Parse(file);
  if (note.ok()) {
    v.text = std::move(note->text);
    v.signatures = std::move(note->signatures);
  } else if (allow_unsigned && file.ends_with("}\n")) {
    v.text = std::string(file);  // a draft: the text alone, nobody's signature yet
  } else if (file.ends_with("}\n")) {
    return Status::InvalidArgument(label + ": a draft nobody has signed yet (members sign it with custos trust sign)");
  } else {
    return Status::InvalidArgument(label + ": not a signed note: " + note.status().message());
  }
  CUSTOS_ASSIGN_OR_RETURN(v.config, ParseFederation(FederationJsonOf(v.text), label));
  auto missing = [&](const char* field, const char* what) {
    return Status::InvalidArgument(label + ": " + field + ": missing (" + what + ")");
  };
  if (v.config.federation.empty()) return missing("federation", "the federation's name is required in a trust root");
  if (v.config.version == 0) return missing("version", "a whole number from 1 is required in a trust root");
  if (v.config.change_quorum == 0) {
    return missing("changeQuorum", "how many members must sign a version, from 1 to the number of peers");
  }
  if (v.config.version == 1 && v.config.previous) {
    return Status::InvalidArgument(label + ": previous: version 1 follows no version");
  }
  if (v.config.version > 1 && !v.config.previous) {
    return missing("previous", "the SHA-256 of the previous version's text is required from version 2");
  }
  v.digest = Sha256::Digest(v.text);
  return v;
}

std::string_view FederationJsonOf(const TrustRootVersion& version) { return FederationJsonOf(version.text); }

Result<std::string> DraftTrustRootText(std::string_view federation_json, std::string_view label_view,
                                       const TrustRootVersion* previous, std::string_view federation) {
  const std::string label(label_view);
  ordered_json in = ordered_json::parse(federation_json, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) return Status::InvalidArgument(label + ": not a JSON object");
  // What the draft states about its place in the chain is set here, never
  // taken from the input.
  in["federation"] = previous ? previous->config.federation : std::string(federation);
  in["version"] = previous ? previous->config.version + 1 : 1;
  if (previous) {
    in["previous"] = HexEncode(previous->digest.span());
  } else {
    in.erase("previous");
  }
  if (!in.contains("changeQuorum") && previous) in["changeQuorum"] = previous->config.change_quorum;
  ordered_json out;
  CopyInOrder(in, out, {"federation", "version", "previous", "changeQuorum"});
  if (in.contains("peers") && in["peers"].is_array()) {
    out["peers"] = ordered_json::array();
    for (const auto& p : in["peers"]) {
      if (!p.is_object()) {
        out["peers"].push_back(p);
        continue;
      }
      ordered_json peer;
      CopyInOrder(p, peer, {"origin", "name", "agencyKind", "address", "verifierKey"});
      for (const auto& [k, val] : p.items()) {
        if (!peer.contains(k)) peer[k] = val;  // unknown: ParseFederation names it below
      }
      out["peers"].push_back(std::move(peer));
    }
  }
  for (const auto& [k, val] : in.items()) {
    if (!out.contains(k)) out[k] = val;
  }
  std::string text = std::string(kTrustRootHeader) + out.dump(2, ' ', /*ensure_ascii=*/false) + "\n";
  CUSTOS_RETURN_IF_ERROR(ParseTrustRootVersion(text, label, /*allow_unsigned=*/true).status());
  return text;
}

Result<TrustChain> VerifyTrustChain(const std::vector<TrustRootVersion>& versions, const TrustPin& pin) {
  if (versions.empty()) return Status::InvalidArgument("trust root: no version to check");
  if (!pin.key && !pin.version) return Status::InvalidArgument("trust root: nothing pinned (a member's key or a version's SHA-256)");
  TrustChain chain;
  const TrustRootVersion& first = versions.front();
  chain.federation = first.config.federation;
  const std::string first_what = Version(first.config.version);
  if (pin.version && *pin.version != first.digest) {
    return Status::Corruption(first_what + ": its SHA-256 is " + HexEncode(first.digest.span()) +
                              ", not the pinned " + HexEncode(pin.version->bytes));
  }
  for (size_t i = 0; i < versions.size(); ++i) {
    const TrustRootVersion& v = versions[i];
    const std::string what = Version(v.config.version);
    VerifiedVersion out;
    out.version = v.config.version;
    out.digest = v.digest;
    out.members = static_cast<uint32_t>(v.config.peers.size());
    out.change_quorum = v.config.change_quorum;
    CUSTOS_ASSIGN_OR_RETURN(out.signed_by_members, SignedBy(v.config, v.text, v.signatures, what));
    CUSTOS_RETURN_IF_ERROR(RequireQuorum(out.signed_by_members, v.config.change_quorum, v.config.version, what));
    if (i == 0) {
      if (pin.key) {
        const PeerConfig* pinned = v.config.FindPeer(pin.key->name);
        if (pinned == nullptr || pinned->verifier.key != pin.key->key) {
          return Status::Corruption(what + ": the pinned key of " + pin.key->name + " is not a member's key in it");
        }
        if (std::find(out.signed_by_members.begin(), out.signed_by_members.end(), pin.key->name) ==
            out.signed_by_members.end()) {
          return Status::Corruption(what + ": not signed by the pinned key of " + pin.key->name);
        }
      }
    } else {
      const TrustRootVersion& prev = versions[i - 1];
      if (v.config.federation != prev.config.federation) {
        return Status::Corruption(what + ": names the federation \"" + v.config.federation + "\", not \"" +
                                  prev.config.federation + "\"");
      }
      if (v.config.version != prev.config.version + 1) {
        return Status::Corruption(what + ": follows " + Version(prev.config.version) + " in the chain (want " +
                                  Version(prev.config.version + 1) + "; a version is missing or out of order)");
      }
      if (v.config.previous != prev.digest) {
        return Status::Corruption(what + ": previous is " + HexEncode(v.config.previous->bytes) + ", not the SHA-256 of " +
                                  Version(prev.config.version) + "'s text (" + HexEncode(prev.digest.span()) + ")");
      }
      CUSTOS_ASSIGN_OR_RETURN(out.signed_by_previous, SignedBy(prev.config, v.text, v.signatures, what));
      CUSTOS_RETURN_IF_ERROR(
          RequireQuorum(out.signed_by_previous, prev.config.change_quorum, prev.config.version, what));
      out.changes = Changes(prev.config, v.config);
    }
    chain.versions.push_back(std::move(out));
  }
  chain.latest = versions.back().config;
  chain.latest_text = versions.back().text;
  return chain;
}

}  // namespace custos::trust
