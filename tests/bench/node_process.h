// A real custosd for the RPC benchmark: its directory laid out as an operator
// would (docs/node.md, "Running a node"), and the process itself, started
// with fork/exec on 127.0.0.1 and stopped with SIGTERM.
//
// Not thread-safe; use from the thread that made it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/keyfile.h"
#include "crypto/status.h"
#include "node/config.h"
#include "tests/bench/report.h"

namespace custos::bench {

// The files of one node under `dir`:
//   node.key                      the node key (mode 0600)
//   data/custos.json              as `custos log init` writes it (docs/cli.md)
//   data/ledger/                  the log; the caller makes it (Log::Create)
//   node.json, federation.json    custosd's config and federation file
//   node.log                      custosd's standard error
//   address                       the --address-file
struct NodeDir {
  std::string dir;
  std::string origin;

  std::string key_file() const { return dir + "/node.key"; }
  std::string data_dir() const { return dir + "/data"; }
  std::string ledger_path() const { return dir + "/data/ledger"; }
  std::string config_file() const { return dir + "/node.json"; }
  std::string federation_file() const { return dir + "/federation.json"; }
  std::string log_file() const { return dir + "/node.log"; }
  std::string address_file() const { return dir + "/address"; }
};

// One entry of a federation file's "peers".
struct FederationPeer {
  std::string origin;
  std::string verifier_key;  // NoteVerifier string of the peer's node key
  std::string address;       // HOST:PORT
  std::string agency_kind;   // one of node::kAgencyKinds
};

// The entry for the node whose key is `node_key` (named after its origin).
FederationPeer PeerOf(const NamedKey& node_key, const std::string& address, const std::string& agency_kind);

// Makes `dir` and data/, writes node.key and data/custos.json for `node_key`
// (whose name is the origin). IOError / AlreadyExists as WriteKeyFile.
Result<NodeDir> PrepareNodeDir(const std::string& dir, const NamedKey& node_key);

// Writes node.json (listening on `listen`, log level info) and
// federation.json listing `peers` (no witness policy). IOError on failure.
Status WriteNodeConfig(const NodeDir& node, const std::string& listen, const std::vector<FederationPeer>& peers);

// A failure that ends a benchmark that runs custosd. Thrown, not exited on,
// so that the custosd processes are stopped and the scratch directory
// removed on the way out.
class BenchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws BenchError("<what>: <status>") unless `status` is OK.
void Must(const Status& status, const std::string& what);
// The value, or throws as Must above.
template <typename T>
T Must(Result<T> result, const std::string& what) {
  Must(result.status(), what);
  return std::move(result).value();
}

// The main of such a benchmark: `run` fills the report (and throws
// BenchError or kj::Exception to fail); then the load at the end and the run
// time are added, the table printed and, if `json` is set, the JSON written
// there. 0, or 1 with the reason on stderr after "<program>: ". Missed
// targets are figures, not failures: the table says which.
int RunBenchmark(const char* program, bool keep, const std::string& json, const std::function<void(Report&)>& run);

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then
// closed), for a node whose address a federation file must name before it
// starts. Another process may take it meanwhile; the node then fails to start.
Result<uint16_t> FreeLocalPort();

// A running custosd. Destroying it kills the process (SIGKILL) if it still
// runs; Stop() is the clean way.
class NodeProcess {
 public:
  // Starts `custosd --config node.json --address-file address`, its standard
  // error appended to node.log, and waits up to `timeout_s` for the address
  // file. IOError with the end of node.log if custosd exits first or the time
  // passes (it is then killed).
  static Result<std::unique_ptr<NodeProcess>> Start(const std::string& custosd, const NodeDir& node,
                                                    double timeout_s);
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  const node::HostPort& address() const { return address_; }
  pid_t pid() const { return pid_; }
  // False once the process has exited (reaps it).
  bool Running();
  // User + system CPU time of the process so far (/proc/PID/stat); 0 if unreadable.
  double CpuSeconds() const;
  // The last `lines` lines of node.log, for error messages.
  std::string LogTail(size_t lines = 5) const;

  // Sends SIGTERM and waits up to `timeout_s` for the exit. OK if custosd
  // exited 0; otherwise IOError saying how it ended (killed after the timeout).
  Status Stop(double timeout_s);

 private:
  NodeProcess(pid_t pid, std::string log_file) : pid_(pid), log_file_(std::move(log_file)) {}
  Status WaitForAddress(const std::string& address_file, double timeout_s);
  // Waits up to `timeout_s` for the exit; true (and `wait_status` set) if it exited.
  bool WaitExit(double timeout_s, int& wait_status);

  pid_t pid_;  // 0 once reaped
  std::string log_file_;
  node::HostPort address_;
};

}  // namespace custos::bench
