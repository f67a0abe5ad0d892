#include "trust/witness_group.h"

#include <algorithm>
#include <cassert>

#include "crypto/cosignature.h"

namespace custos::trust {

WitnessGroup::WitnessGroup(std::vector<NoteVerifier> cosigners, uint32_t quorum)
    : cosigners_(std::move(cosigners)), quorum_(quorum) {
  assert(quorum_ <= cosigners_.size());
  // By name, so that Describe reads the same whatever order the file lists them in.
  std::sort(cosigners_.begin(), cosigners_.end(),
            [](const NoteVerifier& a, const NoteVerifier& b) { return a.name < b.name; });
}

WitnessGroup WitnessGroup::FromConfig(const FederationConfig& config) {
  std::vector<NoteVerifier> cosigners;
  for (const auto& origin : config.policy.cosigners) {
    // ParseFederation refuses a cosigner that is not a listed peer.
    const PeerConfig* peer = config.FindPeer(origin);
    cosigners.push_back(NoteVerifier::ForKey(origin, peer->verifier.key, kAlgCosignatureV1));
  }
  WitnessGroup group(std::move(cosigners), config.policy.quorum);
  if (config.require_sm2) {
    std::map<std::string, Sm2NoteVerifier, std::less<>> keys;
    for (const auto& origin : config.policy.cosigners) {
      const PeerConfig* peer = config.FindPeer(origin);
      if (peer->sm2_key) keys.emplace(origin, *peer->sm2_key);  // ParseFederation: every peer has one
    }
    group.RequireSm2(std::move(keys));
  }
  return group;
}

std::string WitnessGroup::Describe() const {
  std::string out = std::to_string(quorum_) + " of ";
  if (cosigners_.empty()) return out + "no cosigners";
  for (size_t i = 0; i < cosigners_.size(); ++i) out += (i == 0 ? "" : ", ") + cosigners_[i].name;
  return out;
}

const NoteVerifier* WitnessGroup::Find(const NoteSignature& sig) const {
  for (const auto& c : cosigners_) {
    if (c.name == sig.name && c.key_id == sig.key_id) return &c;
  }
  return nullptr;
}

Result<CosignatureCount> WitnessGroup::Count(const Note& note, const Checkpoint& checkpoint) const {
  CosignatureCount count;
  for (const auto& sig : note.signatures) {
    if (sig.name == checkpoint.origin) continue;
    const NoteVerifier* cosigner = Find(sig);
    if (cosigner == nullptr) {
      count.others.push_back(sig.name);
      continue;
    }
    auto checked = VerifyCosignature(note.text, sig, *cosigner);
    if (!checked.ok()) {
      return Status::Corruption("cosignature by " + sig.name + " on the checkpoint of " + checkpoint.origin +
                                " at size " + std::to_string(checkpoint.size) + ": " + checked.status().message());
    }
    if (std::find(count.cosigners.begin(), count.cosigners.end(), sig.name) == count.cosigners.end()) {
      if (require_sm2_ && !HasSm2Cosignature(note, sig.name)) {
        if (std::find(count.without_sm2.begin(), count.without_sm2.end(), sig.name) == count.without_sm2.end()) {
          count.without_sm2.push_back(sig.name);
        }
        continue;
      }
      count.cosigners.push_back(sig.name);
      count.cosigned_at.push_back(*checked);
    }
  }
  return count;
}

bool WitnessGroup::HasSm2Cosignature(const Note& note, std::string_view cosigner) const {
  auto key = sm2_.find(cosigner);
  if (key == sm2_.end()) return false;
  for (const auto& sig : note.signatures) {
    if (sig.name != cosigner || sig.key_id != Sm2CosignatureKeyId(key->second.name, key->second.public_key)) continue;
    if (VerifySm2Cosignature(note.text, sig, key->second).ok()) return true;
  }
  return false;
}

Status WitnessGroup::RequireQuorum(const CosignatureCount& count, const Checkpoint& checkpoint) const {
  if (count.cosigners.size() >= quorum_) return Status::OK();
  // The origin's own key never counts, so it is not among those that could.
  const auto could = std::count_if(cosigners_.begin(), cosigners_.end(),
                                   [&](const NoteVerifier& c) { return c.name != checkpoint.origin; });
  return Status::Corruption("witness policy: " + std::to_string(quorum_) + " of " + std::to_string(could) +
                            " cosignatures are required, the checkpoint of " + checkpoint.origin + " at size " +
                            std::to_string(checkpoint.size) + " has " + std::to_string(count.cosigners.size()) +
                            " valid cosignature(s)" +
                            (count.without_sm2.empty() ? std::string()
                                                       : " (" + std::to_string(count.without_sm2.size()) +
                                                             " more without the SM2 cosignature the trust file requires)") +
                            "; the witness policy needs " + Describe());
}

Result<CosignatureCount> WitnessGroup::Check(const Note& note, const Checkpoint& checkpoint) const {
  CUSTOS_ASSIGN_OR_RETURN(CosignatureCount count, Count(note, checkpoint));
  CUSTOS_RETURN_IF_ERROR(RequireQuorum(count, checkpoint));
  return count;
}

}  // namespace custos::trust
