// Who may talk to the node (docs/node.md).
//
// A connection is accepted at the TLS layer only if the peer's key is
//  - a federation peer's key (its verifierKey in the federation file),
//  - a key the node's own log knows: granted by a key grant and not revoked,
//    or a genesis admin, or
//  - a reader's key (the node config's "readers"): read-only access for
//    monitors, courts, credit platforms, which the node operator gives and
//    takes away without touching the log (SIGHUP reloads the list).
// Any accepted caller may read. submit needs a key the log knows (checked
// again at every call, so a revocation takes effect on open connections);
// the witness calls need a federation peer's key; verifying and backing up
// the store need an admin key of the own log.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "node/config.h"

namespace custos {
class Log;
}  // namespace custos

namespace custos::node {

// The authenticated party on one connection.
struct Caller {
  PublicKey key;
  std::optional<std::string> peer_origin;  // set when the key is a federation peer's
};

// Thread-safe: the own log's key table is read under its own lock.
class AccessPolicy {
 public:
  // Borrows `own_log`, which must outlive this object.
  AccessPolicy(const FederationConfig& federation, const Log& own_log);

  // The TLS allow callback (AllowPeerFn).
  bool MayConnect(const PublicKey& key) const;
  // Replaces the readers' keys (any thread): a connection of a reader taken
  // off the list is refused from its next handshake on.
  void SetReaders(const std::vector<NoteVerifier>& readers);
  Caller Identify(const PublicKey& key) const;

  // Unauthorized, naming the key, unless the own log knows the caller's key
  // and has not revoked it.
  Status CheckSubmit(const Caller& caller) const;
  // Unauthorized unless the caller is a federation peer.
  Status CheckPeer(const Caller& caller) const;
  // Who may read private payloads (docs/personal-data.md): a federation
  // peer, or a key the own log knows, not revoked, with the listing role.
  // Unauthorized otherwise.
  Status CheckPrivateRead(const Caller& caller) const;
  // Who may run operators' jobs (full verification, backup): a key the own
  // log knows, not revoked, with the admin role. Unauthorized otherwise,
  // naming `call`.
  Status CheckOperator(const Caller& caller, const char* call) const;

 private:
  bool KnownToLog(const PublicKey& key) const;

  std::map<PublicKey, std::string> peers_;  // key -> origin
  const Log& log_;
  mutable std::mutex readers_mu_;
  std::map<PublicKey, std::string> readers_;  // key -> name; guarded by readers_mu_
};

// The first 8 bytes of a key in hex and an ellipsis, as node/tls.h names keys.
std::string KeyPrefix(const PublicKey& key);

}  // namespace custos::node
