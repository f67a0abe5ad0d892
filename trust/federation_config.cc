#include "trust/federation_config.h"

#include <algorithm>
#include <set>

#include "trust/json_object.h"

namespace custos::trust {

namespace {
using nlohmann::json;

Status CheckAgencyKind(const std::string& kind, const JsonObjectReader& r) {
  if (std::find(std::begin(kAgencyKinds), std::end(kAgencyKinds), kind) != std::end(kAgencyKinds)) return Status::OK();
  std::string kinds;
  for (auto k : kAgencyKinds) kinds += (kinds.empty() ? "" : ", ") + std::string(k);
  return r.Error("agencyKind", "\"" + kind + "\" is not one of " + kinds);
}

Result<AgencyName> ParseName(const json& j, const std::string& label, const std::string& path) {
  if (!j.is_object()) return Status::InvalidArgument(label + ": " + path + ": must be an object ({\"zh\": …, \"en\": …})");
  JsonObjectReader r(j, label, path + ".");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"zh", "en"}));
  if (!r.Has("zh") && !r.Has("en")) return Status::InvalidArgument(label + ": " + path + ": needs \"zh\" or \"en\"");
  AgencyName name;
  CUSTOS_ASSIGN_OR_RETURN(name.zh, r.String("zh", ""));
  CUSTOS_ASSIGN_OR_RETURN(name.en, r.String("en", ""));
  return name;
}

// The trust root's fields (federation_config.h), each optional here.
Status ParseVersionFields(const JsonObjectReader& r, FederationConfig* fed) {
  CUSTOS_ASSIGN_OR_RETURN(fed->federation, r.String("federation", ""));
  if (!fed->federation.empty() && !IsValidKeyName(fed->federation)) {
    return r.Error("federation", "must be a name without spaces, '+' or control characters");
  }
  if (r.Has("version")) {
    const json& v = r.Get("version");
    if (!v.is_number_unsigned() || v.get<uint64_t>() == 0) return r.Error("version", "must be a whole number from 1");
    fed->version = v.get<uint64_t>();
  }
  if (r.Has("previous")) {
    const json& v = r.Get("previous");
    std::optional<Bytes> bytes;
    if (v.is_string()) bytes = HexDecode(v.get<std::string>());
    auto hash = bytes ? Hash::FromSpan(*bytes) : std::nullopt;
    if (!hash || v.get<std::string>().size() != 64) {
      return r.Error("previous", "must be the SHA-256 of the previous version's text, 64 hex digits");
    }
    fed->previous = hash;
  }
  const auto peers = static_cast<uint32_t>(std::min<size_t>(fed->peers.size(), UINT32_MAX));
  if (r.Has("changeQuorum") && peers == 0) return r.Error("changeQuorum", "a federation without peers has nobody to sign");
  CUSTOS_ASSIGN_OR_RETURN(fed->change_quorum, r.Whole("changeQuorum", 0, 1, std::max<uint32_t>(peers, 1)));
  return Status::OK();
}

Result<PeerConfig> ParsePeer(const json& j, const std::string& label, const std::string& path) {
  if (!j.is_object()) return Status::InvalidArgument(label + ": " + path + ": must be an object");
  JsonObjectReader r(j, label, path + ".");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"origin", "verifierKey", "address", "agencyKind", "name", "sm2Key"}));
  PeerConfig peer;
  CUSTOS_ASSIGN_OR_RETURN(peer.origin, r.String("origin"));
  CUSTOS_ASSIGN_OR_RETURN(std::string vkey, r.String("verifierKey"));
  auto verifier = NoteVerifier::Parse(vkey);
  if (!verifier.ok()) return r.Error("verifierKey", verifier.status().message());
  if (verifier->alg != kAlgEd25519) return r.Error("verifierKey", "must be a note signer key (type 0x01)");
  if (verifier->name != peer.origin) {
    return r.Error("verifierKey", "the key is named \"" + verifier->name + "\", not the peer's origin \"" +
                                      peer.origin + "\"");
  }
  peer.verifier = *verifier;
  CUSTOS_ASSIGN_OR_RETURN(std::string address, r.String("address"));
  CUSTOS_ASSIGN_OR_RETURN(peer.address, ParseHostPort(address, label + ": " + r.Path("address")));
  CUSTOS_ASSIGN_OR_RETURN(peer.agency_kind, r.String("agencyKind"));
  CUSTOS_RETURN_IF_ERROR(CheckAgencyKind(peer.agency_kind, r));
  if (r.Has("sm2Key")) {
    CUSTOS_ASSIGN_OR_RETURN(std::string sm2, r.String("sm2Key"));
    auto key = Sm2NoteVerifier::Parse(sm2);
    if (!key.ok()) return r.Error("sm2Key", key.status().message());
    if (key->name != peer.origin) return r.Error("sm2Key", "the key is named \"" + key->name + "\", not the peer's origin");
    peer.sm2_key = *key;
  }
  if (r.Has("name")) {
    CUSTOS_ASSIGN_OR_RETURN(peer.name, ParseName(r.Get("name"), label, r.Path("name")));
  }
  return peer;
}

Status CheckUniquePeers(const std::vector<PeerConfig>& peers, const std::string& label) {
  std::set<std::string> origins;
  std::set<PublicKey> keys;
  for (size_t i = 0; i < peers.size(); ++i) {
    std::string path = label + ": peers[" + std::to_string(i) + "].";
    if (!origins.insert(peers[i].origin).second) {
      return Status::InvalidArgument(path + "origin: \"" + peers[i].origin + "\" is listed twice");
    }
    if (!keys.insert(peers[i].verifier.key).second) {
      return Status::InvalidArgument(path + "verifierKey: the same key is listed for another peer");
    }
  }
  return Status::OK();
}

Result<WitnessPolicy> ParsePolicy(const json& j, const FederationConfig& fed, const std::string& label) {
  if (!j.is_object()) return Status::InvalidArgument(label + ": witnessPolicy: must be an object");
  JsonObjectReader r(j, label, "witnessPolicy.");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"cosigners", "quorum"}));
  WitnessPolicy policy;
  if (!r.Has("cosigners") || !r.Get("cosigners").is_array()) return r.Error("cosigners", "a list of peer origins is required");
  std::set<std::string> seen;
  for (const auto& c : r.Get("cosigners")) {
    if (!c.is_string()) return r.Error("cosigners", "every item must be a string (a peer's origin)");
    auto origin = c.get<std::string>();
    if (!fed.FindPeer(origin)) return r.Error("cosigners", "\"" + origin + "\" is not a listed peer");
    if (!seen.insert(origin).second) return r.Error("cosigners", "\"" + origin + "\" is listed twice");
    policy.cosigners.push_back(origin);
  }
  if (!r.Has("quorum") || !r.Get("quorum").is_number_unsigned()) {
    return r.Error("quorum", "a whole number from 0 to the number of cosigners is required");
  }
  auto quorum = r.Get("quorum").get<uint64_t>();
  if (quorum > policy.cosigners.size()) {
    return r.Error("quorum", std::to_string(quorum) + " is more than the " + std::to_string(policy.cosigners.size()) +
                                 " cosigners listed");
  }
  policy.quorum = static_cast<uint32_t>(quorum);
  return policy;
}
Result<std::vector<TimestampVerifier>> ParseTsas(const json& j, const std::string& label) {
  if (!j.is_array()) return Status::InvalidArgument(label + ": timestampAuthorities: must be a list");
  std::vector<TimestampVerifier> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string path = "timestampAuthorities[" + std::to_string(i) + "].";
    if (!j[i].is_object()) return Status::InvalidArgument(label + ": " + path.substr(0, path.size() - 1) + ": must be an object");
    JsonObjectReader r(j[i], label, path);
    CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"name", "certificate"}));
    CUSTOS_ASSIGN_OR_RETURN(std::string name, r.String("name"));
    CUSTOS_ASSIGN_OR_RETURN(std::string pem, r.String("certificate"));
    auto cert = TsaCertificate::FromPem(pem);
    if (!cert.ok()) return r.Error("certificate", cert.status().message());
    auto v = TimestampVerifier::For(name, *cert);
    if (!v.ok()) return r.Error("name", v.status().message());
    for (const auto& seen : out) {
      if (seen.name == v->name) return r.Error("name", "\"" + v->name + "\" is listed twice");
    }
    out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace

const PeerConfig* FederationConfig::FindPeer(std::string_view origin) const {
  for (const auto& p : peers) {
    if (p.origin == origin) return &p;
  }
  return nullptr;
}

Result<FederationConfig> ParseFederation(std::string_view text, std::string_view label_view) {
  std::string label(label_view);
  CUSTOS_ASSIGN_OR_RETURN(json j, ParseJsonObject(text, label));
  JsonObjectReader r(j, label, "");
  CUSTOS_RETURN_IF_ERROR(
      r.OnlyKnown({"federation", "version", "previous", "changeQuorum", "requireSm2", "peers", "witnessPolicy",
                   "timestampAuthorities"}));
  if (!r.Has("peers") || !r.Get("peers").is_array()) return r.Error("peers", "a list of peers is required");
  FederationConfig fed;
  size_t i = 0;
  for (const auto& p : r.Get("peers")) {
    CUSTOS_ASSIGN_OR_RETURN(auto peer, ParsePeer(p, label, "peers[" + std::to_string(i++) + "]"));
    fed.peers.push_back(std::move(peer));
  }
  CUSTOS_RETURN_IF_ERROR(CheckUniquePeers(fed.peers, label));
  if (r.Has("witnessPolicy")) {
    CUSTOS_ASSIGN_OR_RETURN(fed.policy, ParsePolicy(r.Get("witnessPolicy"), fed, label));
  }
  CUSTOS_RETURN_IF_ERROR(ParseVersionFields(r, &fed));
  if (r.Has("timestampAuthorities")) {
    CUSTOS_ASSIGN_OR_RETURN(fed.tsas, ParseTsas(r.Get("timestampAuthorities"), label));
  }
  if (r.Has("requireSm2")) {
    if (!r.Get("requireSm2").is_boolean()) return r.Error("requireSm2", "must be true or false");
    fed.require_sm2 = r.Get("requireSm2").get<bool>();
    for (size_t p = 0; fed.require_sm2 && p < fed.peers.size(); ++p) {
      if (!fed.peers[p].sm2_key) {
        return Status::InvalidArgument(label + ": peers[" + std::to_string(p) +
                                       "].sm2Key: required, since requireSm2 is true");
      }
    }
  }
  return fed;
}

}  // namespace custos::trust
