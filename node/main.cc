// custosd — one Custos federation node (docs/node.md).
#include <kj/async-unix.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <csignal>
#include <iostream>

#include "crypto/ed25519.h"
#include "node/config.h"
#include "node/daemon.h"
#include "node/logging.h"

namespace {

// Exit codes, as the custos command line's (docs/cli.md).
constexpr int kExitOk = 0;
constexpr int kExitBadInput = 2;
constexpr int kExitIOError = 3;

int Fail(const custos::Status& status) {
  std::cerr << "custosd: " << status.ToString() << "\n";
  return status.code() == custos::Status::Code::kIOError ? kExitIOError : kExitBadInput;
}

void PrintConfig(const custos::node::NodeConfig& c) {
  std::cout << "config OK: " << c.config_file << "\n"
            << "origin: " << c.origin << "\n"
            << "data: " << c.data_dir << "\n"
            << "listen: " << c.listen.ToString() << "\n"
            << "federation: " << c.federation_file << " (" << c.federation.peers.size() << " peers; witness quorum "
            << c.federation.policy.quorum << " of " << c.federation.policy.cosigners.size() << ")\n";
  if (c.http) std::cout << "http: " << c.http->listen.ToString() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  custos::InitCrypto();
  CLI::App app{
      "custosd: one node of a Custos federation. It serves its own log and the replicas of\n"
      "its peers' logs over Cap'n Proto RPC on mutually authenticated TLS and, with \"http\" in\n"
      "its config, as C2SP tlog-tiles over HTTP (docs/http-api.md).\n"
      "Stop it with SIGTERM or SIGINT. Exit codes: 0 clean stop, 2 bad usage or config,\n"
      "3 I/O error. See docs/node.md."};
  std::string config_path, address_file, http_address_file;
  bool check_only = false;
  app.add_option("--config", config_path, "The node's JSON config file (examples/node/)")->required();
  app.add_flag("--check-config", check_only,
               "Run start-up's checks (config, data directory, node key, federation file, the log and\n"
               "the replicas it holds) without listening, then exit");
  app.add_option("--address-file", address_file,
                 "Write the address it listens on (host:port) to this file once it accepts connections");
  app.add_option("--http-address-file", http_address_file,
                 "Write the address of the HTTP read plane (config \"http\") to this file once it listens");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints as CLI11 prints it; a bad option is an error like any other.
    if (e.get_exit_code() == 0) return app.exit(e) == 0 ? kExitOk : kExitBadInput;
    std::string what = e.what();  // a mistyped option before the missing --config it causes
    for (const std::string& arg : app.remaining()) {
      if (arg.size() > 1 && arg[0] == '-') what = "unknown option " + arg.substr(0, arg.find('='));
    }
    return Fail(custos::Status::InvalidArgument(what + " (see --help)"));
  }
  // Before any thread exists (LevelDB and the writer start threads), so that
  // these signals reach the event loop and nothing else.
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  kj::UnixEventPort::captureSignal(SIGHUP);  // reloads who may read (node/daemon.cc)

  auto config = custos::node::LoadNodeConfig(config_path);
  if (!config.ok()) return Fail(config.status());
  auto key = custos::node::LoadNodeKey(*config);
  if (!key.ok()) return Fail(key.status().WithContext("config " + config_path));
  if (check_only) {
    custos::Status checked = custos::node::CheckNode(*config, *key);
    if (!checked.ok()) return Fail(checked);
    PrintConfig(*config);
    return kExitOk;
  }
  auto logger = custos::node::NewNodeLogger(config->origin, config->log_level);
  if (!logger.ok()) return Fail(logger.status());
  custos::Status st = custos::node::RunNode(*config, *key, *logger, {address_file, http_address_file});
  if (!st.ok()) {
    (*logger)->error("{}", st.ToString());
    return Fail(st);
  }
  return kExitOk;
}
