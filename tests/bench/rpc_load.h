// The officers' side of the RPC benchmark: clients that send pre-signed
// submissions to one node, each over its own TLS connection (node/client.h),
// all on the calling thread's KJ event loop, and the latency of every
// appended entry.
//
// Not thread-safe: everything here belongs to the event loop of `io`.
#pragma once

#include <kj/async-io.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/keyfile.h"
#include "crypto/status.h"
#include "node/client.h"
#include "node/config.h"

namespace custos::bench {

// Connects to the node at `address` whose TLS key is `node_key`, as `self`.
// IOError with the connection's or handshake's reason (OVERLOADED "operation
// timed out" once `timeout` passes).
Result<kj::Own<node::NodeClient>> ConnectNode(kj::AsyncIoContext& io, const NamedKey& self,
                                              const PublicKey& node_key, const node::HostPort& address,
                                              kj::Duration timeout = 10 * kj::SECONDS);

// What one load run measured.
struct LoadFigures {
  uint64_t calls = 0;
  uint64_t appended = 0;      // receipts
  uint64_t refused = 0;       // per-item errors
  std::string first_refusal;  // "<code>: <message>" of the first one
  double seconds = 0;         // from the start of the run to its last answer
  // One per appended entry: from its call's send (paced: its due time) to
  // the call's answer, which comes once a checkpoint covers the entry.
  std::vector<double> latency_ms;
  // Paced runs: how late each call left behind its schedule (this process's
  // own lag; it is part of latency_ms).
  std::vector<double> lag_ms;
};

// Connections to one node. Destroy before `io`.
class LoadClients {
 public:
  // `n` connections as `self`; IOError as ConnectNode.
  static Result<std::unique_ptr<LoadClients>> Connect(kj::AsyncIoContext& io, const NamedKey& self,
                                                      const PublicKey& node_key, const node::HostPort& address,
                                                      size_t n);
  ~LoadClients();

  size_t size() const { return clients_.size(); }

  // Closed loop: each of the first `clients` connections keeps one submit
  // call in flight, taking the next `per_call` of `subs` until all are sent.
  // IOError with the exception if a call fails as a whole.
  Result<LoadFigures> RunClosedLoop(size_t clients, const std::vector<Bytes>& subs, size_t per_call);

  // Open loop: a call of `per_call` submissions every per_call /
  // entries_per_second seconds, round robin over the first `clients`
  // connections, whether or not earlier calls have been answered (so a slow
  // node cannot slow the offered load down). Latency counts from the due time.
  Result<LoadFigures> RunPaced(size_t clients, const std::vector<Bytes>& subs, size_t per_call,
                               double entries_per_second);

 private:
  explicit LoadClients(kj::AsyncIoContext& io) : io_(io) {}

  kj::AsyncIoContext& io_;
  std::vector<kj::Own<node::NodeClient>> clients_;
};

}  // namespace custos::bench
