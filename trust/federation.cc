#include "trust/federation.h"

#include "crypto/read_file.h"
#include "trust/trust_root.h"

namespace custos::trust {

Federation Federation::FromConfig(const FederationConfig& config) {
  Origins origins;
  for (const auto& peer : config.peers) origins.emplace(peer.origin, peer.verifier);
  Federation fed(std::move(origins), WitnessGroup::FromConfig(config));
  if (config.require_sm2) {
    std::map<std::string, Sm2NoteVerifier, std::less<>> sm2;
    for (const auto& peer : config.peers) {
      if (peer.sm2_key) sm2.emplace(peer.origin, *peer.sm2_key);
    }
    fed.RequireSm2(std::move(sm2));
  }
  fed.SetTimestampAuthorities(config.tsas);
  return fed;
}

Result<std::vector<TimestampAttestation>> Federation::Timestamps(const Note& note) const {
  std::vector<TimestampAttestation> out;
  for (const TimestampVerifier& tsa : tsas_) {
    CUSTOS_ASSIGN_OR_RETURN(auto found, VerifyNoteTimestamps(note, tsa));
    for (auto& a : found) out.push_back(std::move(a));
  }
  return out;
}

const NoteVerifier* Federation::OriginKey(std::string_view origin) const {
  auto key = origins_.find(origin);
  return key == origins_.end() ? nullptr : &key->second;
}

Result<TrustedCheckpoint> Federation::OpenCheckpoint(std::string_view note, std::string_view origin) const {
  const std::string what = "checkpoint of " + std::string(origin);
  const NoteVerifier* key = OriginKey(origin);
  if (key == nullptr) return Status::NotFound(what + ": the trust file has no key for this origin");
  auto opened = OpenNote(note, *key);
  if (!opened.ok()) return Status::Corruption(what + ": the origin's signature: " + opened.status().message());
  if (require_sm2_) {
    auto sm2 = sm2_.find(origin);
    if (sm2 == sm2_.end()) return Status::NotFound(what + ": the trust file has no SM2 key for this origin");
    Status st = VerifySm2NoteSignature(*opened, sm2->second);
    if (!st.ok()) return Status::Corruption(what + ": the origin's SM2 signature: " + st.message());
  }
  auto cp = Checkpoint::Parse(opened->text);
  if (!cp.ok()) return Status::Corruption(what + ": " + cp.status().message());
  if (cp->origin != origin) return Status::Corruption(what + ": it is a checkpoint of \"" + cp->origin + "\"");
  return TrustedCheckpoint{std::move(opened).value(), std::move(cp).value(), {}};
}

Result<TrustedCheckpoint> Federation::CheckCheckpoint(std::string_view note, std::string_view origin) const {
  CUSTOS_ASSIGN_OR_RETURN(TrustedCheckpoint trusted, OpenCheckpoint(note, origin));
  CUSTOS_ASSIGN_OR_RETURN(trusted.cosignatures, witnesses_.Check(trusted.note, trusted.checkpoint));
  return trusted;
}

Result<FederationConfig> LoadFederationConfigFile(const std::string& path, std::string_view flag_view) {
  const std::string flag(flag_view);
  if (path.empty()) return Status::InvalidArgument(flag + ": the federation file is required");
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadFileLimited(path, kMaxFederationFileBytes, flag.c_str()));
  if (text.starts_with(kTrustRootHeader)) {
    return Status::InvalidArgument(flag + " " + path +
                                   ": a version of the signed trust root, not a federation file: check the chain with "
                                   "`custos trust verify --pin-key … --out federation.json` and give that file");
  }
  return ParseFederation(text, flag + " " + path);
}

Result<Federation> LoadFederationFile(const std::string& path, std::string_view flag) {
  CUSTOS_ASSIGN_OR_RETURN(FederationConfig config, LoadFederationConfigFile(path, flag));
  return Federation::FromConfig(config);
}

}  // namespace custos::trust
