#include "trust/federation.h"

#include "crypto/read_file.h"
#include "trust/trust_root.h"

namespace custos::trust {

Federation Federation::FromConfig(const FederationConfig& config) {
  Origins origins;
  for (const auto& peer : config.peers) origins.emplace(peer.origin, peer.verifier);
  return Federation(std::move(origins), WitnessGroup::FromConfig(config));
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

Result<Federation> LoadFederationFile(const std::string& path, std::string_view flag_view) {
  const std::string flag(flag_view);
  if (path.empty()) return Status::InvalidArgument(flag + ": the federation file is required");
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadFileLimited(path, kMaxFederationFileBytes, flag.c_str()));
  if (text.starts_with(kTrustRootHeader)) {
    return Status::InvalidArgument(flag + " " + path +
                                   ": a version of the signed trust root, not a federation file: check the chain with "
                                   "`custos trust verify --pin-key … --out federation.json` and give that file");
  }
  CUSTOS_ASSIGN_OR_RETURN(FederationConfig config, ParseFederation(text, flag + " " + path));
  return Federation::FromConfig(config);
}

}  // namespace custos::trust
