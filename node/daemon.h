// Runs one node: opens its log, composes the RPC service from its parts,
// listens, and shuts down cleanly on SIGTERM or SIGINT (docs/node.md).
#pragma once

#include <memory>
#include <string>

#include "crypto/keyfile.h"
#include "crypto/status.h"
#include "node/config.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos::node {

struct DaemonOptions {
  // Once the node accepts connections, "host:port" of its listening socket
  // (useful with port 0) is written to this file (atomically: written aside,
  // then renamed). Empty: no file.
  std::string address_file;
  // The same for the HTTP read plane's socket (config "http"), written
  // before address_file. Empty: no file.
  std::string http_address_file;
};

// What `custosd --check-config` runs: every check RunNode makes before it
// listens, with the same errors. It opens the log and a replica of each
// peer's (so a federation key that another key's replica contradicts, or a log
// whose origin is not the one custos.json names, is refused as at start-up),
// makes the TLS identity, and closes the log again. Like start-up it takes
// the database's lock (IOError while the node runs) and creates the empty
// replica of a newly listed peer. Not checked: that the listen address is free.
Status CheckNode(const NodeConfig& config, const NamedKey& node_key);

// Runs the node described by `config` on this thread's new KJ event loop until
// SIGTERM or SIGINT; then stops accepting, closes every connection, lets the
// batch being written finish, and closes the log. The caller must have called
// kj::UnixEventPort::captureSignal(SIGTERM) and (SIGINT) before any thread
// was started. Returns OK after a clean shutdown; IOError if the log cannot be
// opened, the address cannot be listened on, or accepting fails.
Status RunNode(const NodeConfig& config, const NamedKey& node_key, std::shared_ptr<spdlog::logger> logger,
               const DaemonOptions& options);

}  // namespace custos::node
