// Accepts connections and runs Cap'n Proto RPC over TLS on each (docs/node.md).
//
// Per connection: a TLS handshake bounded by a timer, whose allow callback is
// the node's AccessPolicy; then a TwoPartyVatNetwork with the node's
// ReaderOptions (node/rpc_limits.h) whose bootstrap capability is an
// rpc::Node bound to the authenticated key. Anything that goes wrong on one
// connection — a refused key, garbage, an oversized or malformed message —
// ends that connection only, with a log line.
//
// Lives on the RPC event loop's thread; not thread-safe.
#pragma once

#include <kj/async-io.h>
#include <kj/timer.h>

#include <cstdint>
#include <memory>
#include <string>

#include "node/server.h"
#include "node/tls.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos::node {

class RpcListener final : private kj::TaskSet::ErrorHandler {
 public:
  // Borrows everything; `services` and `tls` must outlive this object.
  RpcListener(NodeServices& services, TlsContext& tls, kj::Timer& timer,
              kj::Duration handshake_timeout = 10 * kj::SECONDS);
  // Closes every connection.
  ~RpcListener() noexcept(false);

  // Accepts connections from `receiver` until the promise is dropped.
  kj::Promise<void> Serve(kj::ConnectionReceiver& receiver);
  // Serves one connection (a socket, or one end of a pipe in tests).
  void Accept(kj::Own<kj::AsyncIoStream> raw, std::string remote);

  // Connections accepted and not yet closed, handshakes included.
  size_t open_connections() const { return open_; }

 private:
  struct Connection;
  void taskFailed(kj::Exception&& e) override;
  kj::Promise<void> Handle(kj::Own<kj::AsyncIoStream> raw, std::string remote);

  NodeServices& services_;
  TlsContext& tls_;
  kj::Timer& timer_;
  kj::Duration handshake_timeout_;
  size_t open_ = 0;
  kj::TaskSet tasks_;
};

}  // namespace custos::node
