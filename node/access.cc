#include "node/access.h"

#include "ledger/log/log.h"

namespace custos::node {

AccessPolicy::AccessPolicy(const FederationConfig& federation, const Log& own_log) : log_(own_log) {
  for (const auto& peer : federation.peers) peers_.emplace(peer.verifier.key, peer.origin);
}

bool AccessPolicy::MayConnect(const PublicKey& key) const {
  if (peers_.count(key) > 0 || KnownToLog(key)) return true;
  std::lock_guard lock(readers_mu_);
  return readers_.count(key) > 0;
}

void AccessPolicy::SetReaders(const std::vector<NoteVerifier>& readers) {
  std::map<PublicKey, std::string> next;
  for (const auto& r : readers) next.emplace(r.key, r.name);
  std::lock_guard lock(readers_mu_);
  readers_ = std::move(next);
}

Caller AccessPolicy::Identify(const PublicKey& key) const {
  Caller caller{key, std::nullopt};
  if (auto it = peers_.find(key); it != peers_.end()) caller.peer_origin = it->second;
  return caller;
}

Status AccessPolicy::CheckSubmit(const Caller& caller) const {
  if (KnownToLog(caller.key)) return Status::OK();
  return Status::Unauthorized("submit: key " + KeyPrefix(caller.key) + " is not a key of log \"" + log_.origin() +
                              "\" (granted and not revoked); federation peers and readers may read, not submit");
}

Status AccessPolicy::CheckPeer(const Caller& caller) const {
  if (caller.peer_origin) return Status::OK();
  return Status::Unauthorized("key " + KeyPrefix(caller.key) + " is not a federation peer's");
}

Status AccessPolicy::CheckPrivateRead(const Caller& caller) const {
  if (caller.peer_origin) return Status::OK();
  auto state = log_.KeyStateOf(caller.key);
  if (state && !state->revoked && (state->roles & RoleBit(schema::Role::LISTING)) != 0) return Status::OK();
  return Status::Unauthorized("privatePayload: key " + KeyPrefix(caller.key) +
                              " is neither a federation peer's nor a key of log \"" + log_.origin() +
                              "\" with the listing role");
}

Status AccessPolicy::CheckOperator(const Caller& caller, const char* call) const {
  auto state = log_.KeyStateOf(caller.key);
  if (state && !state->revoked && (state->roles & RoleBit(schema::Role::ADMIN)) != 0) return Status::OK();
  return Status::Unauthorized(std::string(call) + ": key " + KeyPrefix(caller.key) + " is not an admin key of log \"" +
                              log_.origin() + "\"");
}

bool AccessPolicy::KnownToLog(const PublicKey& key) const {
  auto state = log_.KeyStateOf(key);
  return state.has_value() && !state->revoked;
}

std::string KeyPrefix(const PublicKey& key) { return HexEncode(key.span().first(8)) + "\u2026"; }

}  // namespace custos::node
