// Accepts connections and runs Cap'n Proto RPC over TLS on each (docs/node.md).
//
// Per connection: a TLS handshake bounded by a timer, whose allow callback is
// the node's AccessPolicy; then a TwoPartyVatNetwork with the node's
// ReaderOptions (node/rpc_limits.h) whose bootstrap capability is an
// rpc::Node bound to the authenticated key. Anything that goes wrong on one
// connection — a refused key, garbage, an oversized or malformed message —
// ends that connection only, with a log line.
//
// Before authentication a connection is bounded in number, time and memory
// (ListenerLimits; node/tls.h bounds the memory of each), so that strangers
// cannot exhaust the node; after it, a connection that stays silent is
// closed.
//
// Lives on the RPC event loop's thread; not thread-safe.
#pragma once

#include <kj/async-io.h>
#include <kj/timer.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "node/config.h"
#include "node/server.h"
#include "node/tls.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos::node {

// Connection limits (docs/node.md, "Connection limits"); custosd takes them
// from its config (node/config.h, ConnectionLimits).
struct ListenerLimits {
  // From accept until the peer is authenticated (handshake and acceptance).
  kj::Duration handshake_timeout = kDefaultHandshakeTimeoutSeconds * kj::SECONDS;
  // Connections accepted and not authenticated yet. A new one beyond the
  // bound closes the oldest if that one has waited `stale_after` (a
  // legitimate handshake takes milliseconds; a silent or stalled one is the
  // one to lose), and is refused (closed at once) otherwise.
  size_t max_unauthenticated = kDefaultMaxUnauthenticated;
  kj::Duration stale_after = 1 * kj::SECONDS;
  // An authenticated connection with no bytes either way for this long is
  // closed (a follower polls every 2 s; a client reconnects). 0: never.
  kj::Duration idle_timeout = kDefaultIdleTimeoutSeconds * kj::SECONDS;

  static ListenerLimits From(const ConnectionLimits& config);
};

class RpcListener final : private kj::TaskSet::ErrorHandler {
 public:
  // Borrows everything; `services` and `tls` must outlive this object.
  RpcListener(NodeServices& services, TlsContext& tls, kj::Timer& timer, ListenerLimits limits = {});
  // Closes every connection.
  ~RpcListener() noexcept(false);

  // Accepts connections from `receiver` until the promise is dropped.
  kj::Promise<void> Serve(kj::ConnectionReceiver& receiver);
  // Serves one connection (a socket, or one end of a pipe in tests).
  void Accept(kj::Own<kj::AsyncIoStream> raw, std::string remote);

  // Connections accepted and not yet closed, handshakes included.
  size_t open_connections() const { return open_; }
  // Of those, the ones not authenticated yet.
  size_t unauthenticated() const { return pending_.size(); }
  // Connections refused at the bound, and closed to make room, so far.
  uint64_t refused() const { return refused_; }
  uint64_t evicted() const { return evicted_; }

 private:
  struct Connection;
  // One connection not authenticated yet; `evict` ends its handshake.
  struct Pending {
    kj::TimePoint since;
    kj::Own<kj::PromiseFulfiller<void>> evict;
  };
  void taskFailed(kj::Exception&& e) override;
  bool MakeRoom();
  void WarnAtBound();
  kj::Promise<void> Handle(kj::Own<kj::AsyncIoStream> raw, std::string remote, uint64_t id,
                           kj::Promise<void> evicted);
  kj::Promise<void> RunRpc(AuthenticatedTlsStream tls, const std::string& remote,
                           std::shared_ptr<kj::TimePoint> last_activity);
  // Rejects once no bytes have moved for limits_.idle_timeout.
  kj::Promise<void> CloseWhenIdle(std::shared_ptr<const kj::TimePoint> last_activity);

  NodeServices& services_;
  TlsContext& tls_;
  kj::Timer& timer_;
  ListenerLimits limits_;
  size_t open_ = 0;
  std::map<uint64_t, Pending> pending_;  // by accept order: the oldest first
  uint64_t next_id_ = 0;
  uint64_t refused_ = 0;
  uint64_t evicted_ = 0;
  std::optional<kj::TimePoint> last_bound_warning_;
  kj::TaskSet tasks_;
};

}  // namespace custos::node
