#include "node/daemon.h"

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/debug.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ledger/log.h"
#include "node/access.h"
#include "node/checkpoint_hub.h"
#include "node/group_commit.h"
#include "node/listener.h"
#include "node/log_view.h"
#include "node/server.h"
#include "node/tls.h"

namespace custos::node {

namespace {

Status WriteAddressFile(const std::string& path, const std::string& address) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << address << "\n";
    out.close();
    if (!out) return Status::IOError("--address-file: cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("--address-file: cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::OK();
}

// Resolves with the number of the first of SIGTERM and SIGINT to arrive.
kj::Promise<int> StopSignal(kj::UnixEventPort& port) {
  auto term = port.onSignal(SIGTERM).then([](siginfo_t) { return SIGTERM; });
  auto interrupt = port.onSignal(SIGINT).then([](siginfo_t) { return SIGINT; });
  return term.exclusiveJoin(kj::mv(interrupt));
}

// The node's parts, in the order they must be built; they are torn down in the
// reverse order: connections first, then the writer, and the log last.
class Node {
 public:
  Node(const NodeConfig& config, Log& log, const TlsIdentity& identity, std::shared_ptr<spdlog::logger> logger,
       kj::Timer& timer)
      : access_(config.federation, log),
        hub_(logger),
        committer_(log, logger),
        federation_(NewStaticFederation(config.federation, config.origin)),
        services_{config.origin, &logs_, &committer_, &hub_, &access_, federation_.get(), logger, log.size()},
        tls_(identity, [this](const PublicKey& key) { return access_.MayConnect(key); }),
        listener_(services_, tls_, timer) {
    Status st = logs_.Add(NewOwnLogView(log));
    KJ_ASSERT(st.ok(), st.ToString().c_str());
  }

  RpcListener& listener() { return listener_; }

 private:
  AccessPolicy access_;
  LogRegistry logs_;
  CheckpointHub hub_;
  GroupCommitter committer_;
  std::unique_ptr<FederationHooks> federation_;
  NodeServices services_;
  TlsContext tls_;
  RpcListener listener_;
};

Status Serve(const NodeConfig& config, Log& log, const TlsIdentity& identity, std::shared_ptr<spdlog::logger> logger,
             const DaemonOptions& options) {
  auto io = kj::setupAsyncIo();
  Node node(config, log, identity, logger, io.provider->getTimer());
  auto address = io.provider->getNetwork().parseAddress(config.listen.host, config.listen.port).wait(io.waitScope);
  auto receiver = address->listen();
  std::string bound = HostPort{config.listen.host, static_cast<uint16_t>(receiver->getPort())}.ToString();
  if (!options.address_file.empty()) CUSTOS_RETURN_IF_ERROR(WriteAddressFile(options.address_file, bound));
  logger->info("log {} at size {}; listening on {}", log.origin(), log.size(), bound);

  auto serving = node.listener().Serve(*receiver).then([]() -> int { return 0; });
  int signum = StopSignal(io.unixEventPort).exclusiveJoin(kj::mv(serving)).wait(io.waitScope);
  logger->info("{}: shutting down", strsignal(signum));
  return Status::OK();
}

}  // namespace

Status RunNode(const NodeConfig& config, const NamedKey& node_key, std::shared_ptr<spdlog::logger> logger,
               const DaemonOptions& options) {
  LogOptions log_options;
  log_options.path = config.ledger_path();
  auto log = Log::Open(log_options, node_key);
  if (!log.ok()) return log.status().WithContext("dataDir " + config.data_dir);
  if ((*log)->origin() != config.origin) {
    return Status::InvalidArgument("dataDir " + config.data_dir + ": the log's origin is \"" + (*log)->origin() +
                                   "\", not \"" + config.origin + "\" as custos.json says");
  }
  auto identity = TlsIdentity::FromKey(node_key);
  if (!identity.ok()) return identity.status();
  Status result;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { result = Serve(config, **log, *identity, logger, options); })) {
    result = Status::IOError(e->getDescription().cStr());
  }
  log->reset();  // close the log (LevelDB) before saying so
  if (result.ok()) logger->info("stopped cleanly");
  return result;
}

}  // namespace custos::node
