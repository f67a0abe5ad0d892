// The client side of the node's RPC: a TCP connection to a node, TLS with the
// client's key, the node's key pinned, and Cap'n Proto RPC with the same
// message limits the node applies (node/rpc_limits.h). Used by the custos
// command line; followers of peer nodes can use it the same way.
//
// Belongs to the KJ event loop of the thread that made it; not thread-safe.
#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <memory>

#include "crypto/ed25519.h"
#include "node/config.h"
#include "node/tls.h"
#include "schema/rpc.capnp.h"

namespace custos::node {

class NodeClient {
 public:
  // Connects to `address` as `self` and accepts only a node whose TLS key is
  // `node_key`. Rejects with the connection's or the handshake's kj exception
  // (e.g. FAILED "TLS peer key … is not allowed" when the node presents
  // another key, or "TLS handshake failed: the peer refused us (…)" when the
  // node does not know `self`), or OVERLOADED when `timeout` passes first.
  static kj::Promise<kj::Own<NodeClient>> Connect(kj::AsyncIoProvider& io, const TlsIdentity& self,
                                                   const PublicKey& node_key, const HostPort& address,
                                                   kj::Duration timeout = 10 * kj::SECONDS);

  NodeClient(std::unique_ptr<TlsContext> tls, kj::Own<kj::AsyncIoStream> stream);
  ~NodeClient() noexcept(false);

  // The node's bootstrap capability.
  rpc::Node::Client node() { return node_; }

 private:
  std::unique_ptr<TlsContext> tls_;
  kj::Own<kj::AsyncIoStream> stream_;
  capnp::TwoPartyVatNetwork network_;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc_;
  rpc::Node::Client node_;
};

}  // namespace custos::node
