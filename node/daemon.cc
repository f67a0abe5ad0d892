#include "node/daemon.h"

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/debug.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <fstream>

#include "ledger/log/log.h"
#include "ledger/log/replica.h"
#include "ledger/storage/store.h"
#include "node/access.h"
#include "node/checkpoint_hub.h"
#include "node/federation.h"
#include "node/group_commit.h"
#include "node/http_server.h"
#include "node/tile_publisher.h"
#include "node/tlog_witness.h"
#include "node/witness_asker.h"
#include "node/listener.h"
#include "node/log_view.h"
#include "node/maintenance.h"
#include "node/metrics.h"
#include "node/payload_sweeper.h"
#include "node/server.h"
#include "node/store_scrubber.h"
#include "node/tls.h"

namespace custos::node {

namespace {

Status WriteAddressFile(const std::string& path, const std::string& address, const std::string& flag) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << address << "\n";
    out.close();
    if (!out) return Status::IOError(flag + ": cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError(flag + ": cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::OK();
}

// Resolves with the number of the first of SIGTERM and SIGINT to arrive.
kj::Promise<int> StopSignal(kj::UnixEventPort& port) {
  auto term = port.onSignal(SIGTERM).then([](siginfo_t) { return SIGTERM; });
  auto interrupt = port.onSignal(SIGINT).then([](siginfo_t) { return SIGINT; });
  return term.exclusiveJoin(kj::mv(interrupt));
}

// What the node holds on disk: one Store with the own log and a replica of
// each peer's log (created empty the first time a peer is listed).
struct Ledger {
  std::unique_ptr<Store> store;
  std::unique_ptr<Log> log;
  std::map<std::string, std::unique_ptr<Replica>> replicas;

  std::map<std::string, Replica*> ReplicaPointers() const {
    std::map<std::string, Replica*> out;
    for (const auto& [origin, r] : replicas) out.emplace(origin, r.get());
    return out;
  }
  // Replicas first, then the log, then the database they live in.
  void Close() {
    replicas.clear();
    log.reset();
    store.reset();
  }
};

Result<Ledger> OpenLedger(const NodeConfig& config, const NamedKey& node_key) {
  Ledger ledger;
  StoreOptions options;
  options.path = config.ledger_path();
  // A referral or a transfer to another agency must name a federation member.
  for (const auto& peer : config.federation.peers) options.known_origins.insert(peer.origin);
  options.known_origins.insert(config.origin);
  auto store = Store::Open(options, OpenMode::kOpenExisting);
  if (!store.ok()) return store.status().WithContext("dataDir " + config.data_dir);
  ledger.store = std::move(store).value();
  auto log = Log::Open(*ledger.store, node_key);
  if (!log.ok()) return log.status().WithContext("dataDir " + config.data_dir);
  ledger.log = std::move(log).value();
  CUSTOS_ASSIGN_OR_RETURN(std::optional<Sm2Key> loaded_sm2, LoadSm2Key(config));
  // The log signs its checkpoints with it, and the replicas cosign with it.
  const std::shared_ptr<const Sm2Key> sm2 =
      loaded_sm2 ? std::make_shared<const Sm2Key>(std::move(*loaded_sm2)) : nullptr;
  if (sm2) ledger.log->SetSm2Key(*sm2);
  if (ledger.log->origin() != config.origin) {
    return Status::InvalidArgument("dataDir " + config.data_dir + ": the log's origin is \"" + ledger.log->origin() +
                                   "\", not \"" + config.origin + "\" as custos.json says");
  }
  for (const auto& peer : config.federation.peers) {
    if (peer.origin == config.origin) continue;
    auto replica = Replica::Open(*ledger.store, peer.verifier);
    if (!replica.ok()) {
      return replica.status().WithContext("replica of peer \"" + peer.origin + "\" (federation file " +
                                          config.federation_file + ")");
    }
    if (peer.sm2_key) (*replica)->SetSm2Key(*peer.sm2_key);
    if (sm2) (*replica)->SetWitnessSm2Key(*sm2);
    ledger.replicas.emplace(peer.origin, std::move(replica).value());
  }
  return ledger;
}

// What the node needs before it listens: its ledger open (the log and a
// replica of every peer's, each checked against the federation file's key)
// and its TLS identity. Everything that can fail here fails --check-config too.
struct Prepared {
  Ledger ledger;
  TlsIdentity identity;
};

Result<Prepared> Prepare(const NodeConfig& config, const NamedKey& node_key) {
  CUSTOS_ASSIGN_OR_RETURN(Ledger ledger, OpenLedger(config, node_key));
  CUSTOS_ASSIGN_OR_RETURN(TlsIdentity identity, TlsIdentity::FromKey(node_key));
  return Prepared{std::move(ledger), std::move(identity)};
}

// The node's parts, in the order they must be built; they are torn down in the
// reverse order: the followers and connections first, then the writer.
class Node {
 public:
  Node(kj::AsyncIoProvider& io, const NodeConfig& config, Ledger& ledger, const NamedKey& node_key,
       const TlsIdentity& identity, std::shared_ptr<spdlog::logger> logger, std::shared_ptr<TlogWitness> witness,
       std::shared_ptr<NodeMetrics> metrics)
      : metrics_(std::move(metrics)),
        access_(config.federation, *ledger.log),
        hub_(logger),
        committer_(*ledger.log, logger, GroupCommitOptions{.metrics = metrics_.get()}),
        federation_(io, config.federation, *ledger.log, ledger.ReplicaPointers(), identity, node_key, hub_, logger,
                    FollowerOptions{.metrics = metrics_.get()}),
        maintenance_(*ledger.store, config, io.getTimer()),
        services_{config.origin, &logs_, &committer_, &hub_, &access_, &federation_, logger, ledger.log->size()},
        tls_(identity, [this](const PublicKey& key) { return access_.MayConnect(key); }),
        listener_(services_, tls_, io.getTimer(), ListenerLimits::From(config.limits)),
        sweeper_(*ledger.store, logger),
        scrubber_(*ledger.store, logger) {
    access_.SetReaders(config.readers);
    services_.store = ledger.store.get();
    services_.federation_config = &config.federation;
    services_.queries = &queries_;
    services_.listing_checks = &listing_checks_;
    services_.maintenance = &maintenance_;
    Status st = logs_.Add(NewOwnLogView(*ledger.log));
    KJ_ASSERT(st.ok(), st.ToString().c_str());
    for (const auto& [origin, replica] : ledger.replicas) {
      st = logs_.Add(NewReplicaView(*replica));
      KJ_ASSERT(st.ok(), st.ToString().c_str());
    }
    if (config.http) {
      HttpSources sources{.origin = ledger.log->origin(),
                          .logs = logs_.All(),
                          .witness = witness,
                          .access = {config.http->read_tokens, config.http->public_listings, config.http->public_status},
                          .metrics = metrics_,
                          .store = ledger.store.get(),
                          .federation = config.federation};
      routes_ = std::make_shared<HttpRoutes>(std::move(sources));
      http_ = std::make_unique<HttpServer>(*config.http, routes_, logger);
    }
    if (!config.outside_witnesses.empty()) {
      asker_ = std::make_unique<WitnessAsker>(*ledger.log, config.outside_witnesses, logger, metrics_.get());
    }
    if (config.timestamping) {
      const TimestampVerifier* tsa = FindTsa(config.federation, config.timestamping->tsa);
      KJ_REQUIRE(tsa != nullptr, "LoadNodeConfig checked timestamping.tsa");
      federation_.StampWith(*config.timestamping, *tsa);
    }
    if (config.publish) {
      publisher_ = std::make_unique<TilePublisher>(config.publish->directory, logs_.All(),
                                                   std::chrono::milliseconds(config.publish->interval_ms), logger);
    }
  }

  // What SIGHUP reloads from the config file: who may read (the RPC readers
  // and the HTTP read tokens). The rest of the config takes a restart.
  void Reload(const NodeConfig& config) {
    access_.SetReaders(config.readers);
    if (routes_ && config.http) routes_->SetReadTokens(config.http->read_tokens);
  }

  // Copies what /metrics, /readyz and the status page need from the event
  // loop into the metrics, now and every second until the node is destroyed.
  void StartReporting(kj::Timer& timer) { reporting_ = Report(timer).eagerlyEvaluate(nullptr); }

  RpcListener& listener() { return listener_; }
  HttpServer* http() { return http_.get(); }
  TilePublisher* publisher() { return publisher_.get(); }
  WitnessAsker* asker() { return asker_.get(); }
  Federation& federation() { return federation_; }

 private:
  kj::Promise<void> Report(kj::Timer& timer) {
    LoopState state;
    state.peers = federation_.Peers();
    state.alarms = federation_.Alarms();
    if (asker_) {
      for (auto& alarm : asker_->Alarms()) state.alarms.push_back(std::move(alarm));
    }
    state.rpc_connections = listener_.open_connections();
    state.rpc_connections_refused = listener_.refused();
    if (http_) {
      state.http_connections = http_->open_connections();
      state.http_connections_refused = http_->refused_connections();
    }
    state.queued_submissions = committer_.queued();
    state.queued_queries = queries_.queued();
    state.queued_listing_checks = listing_checks_.queued();
    state.queries_refused = queries_.refused();
    state.listing_checks_refused = listing_checks_.refused();
    state.published_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    metrics_->Publish(std::move(state));
    return timer.afterDelay(1 * kj::SECONDS).then([this, &timer] { return Report(timer); });
  }

  std::shared_ptr<NodeMetrics> metrics_;
  AccessPolicy access_;
  LogRegistry logs_;
  CheckpointHub hub_;
  GroupCommitter committer_;
  Federation federation_;
  // The case trail, the referral audit (node/queries.h) and evidence bundles:
  // each may take a while on a large node, so few wait before OVERLOADED.
  Offload queries_{64};
  // Listing checks come from clients in streams; 4096 waiting (~0.2 s of
  // work) is the most one node queues before it answers OVERLOADED.
  Offload listing_checks_{4096};
  // Operators' verifications and backups; outlives the connections that ask.
  Maintenance maintenance_;
  NodeServices services_;
  TlsContext tls_;
  RpcListener listener_;
  PayloadSweeper sweeper_;  // deletes the payloads of lapsed listings
  StoreScrubber scrubber_;  // reads the whole store once, for damage opening did not see
  // The HTTP read plane, if configured: stopped first, as it reads the logs.
  std::shared_ptr<HttpRoutes> routes_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<TilePublisher> publisher_;  // if configured; stopped first
  std::unique_ptr<WitnessAsker> asker_;       // if configured ("outsideWitnesses")
  kj::Promise<void> reporting_ = nullptr;      // StartReporting; destroyed first
};

// Each SIGHUP: reads the config file again and applies who may read; a file
// that no longer parses changes nothing (the error is logged).
kj::Promise<void> ReloadOnHangup(kj::UnixEventPort& port, const std::string& config_file, Node& node,
                                 spdlog::logger& logger) {
  return port.onSignal(SIGHUP).then([&port, config_file, &node, &logger](siginfo_t) {
    auto config = LoadNodeConfig(config_file);
    if (!config.ok()) {
      logger.error("SIGHUP: {} not reloaded, nothing changed: {}", config_file, config.status().ToString());
    } else {
      node.Reload(*config);
      logger.info("SIGHUP: reloaded {}: {} RPC reader(s), {} HTTP read token(s)", config_file, config->readers.size(),
                  config->http ? config->http->read_tokens.size() : 0);
    }
    return ReloadOnHangup(port, config_file, node, logger);
  });
}

Status Serve(const NodeConfig& config, Ledger& ledger, const NamedKey& node_key, const TlsIdentity& identity,
             std::shared_ptr<spdlog::logger> logger, const DaemonOptions& options) {
  auto metrics = std::make_shared<NodeMetrics>();
  std::shared_ptr<TlogWitness> witness;
  if (config.tlog_witness) {
    std::vector<WitnessedLog> logs;
    for (const auto& [origin, key] : config.tlog_witness->logs) logs.push_back(WitnessedLog{origin, key});
    CUSTOS_ASSIGN_OR_RETURN(witness, TlogWitness::Open(std::move(logs), config.data_dir + "/tlog-witness.json",
                                                       node_key, metrics.get()));
    logger->info("witnessing {} outside log(s) at POST /add-checkpoint; cosignature key {}",
                 config.tlog_witness->logs.size(), witness->VerifierKey());
  }
  auto io = kj::setupAsyncIo();
  Node node(*io.provider, config, ledger, node_key, identity, logger, witness, metrics);
  node.StartReporting(io.provider->getTimer());
  auto address = io.provider->getNetwork().parseAddress(config.listen.host, config.listen.port).wait(io.waitScope);
  auto receiver = address->listen();
  std::string bound = HostPort{config.listen.host, static_cast<uint16_t>(receiver->getPort())}.ToString();
  if (HttpServer* http = node.http()) {
    CUSTOS_RETURN_IF_ERROR(http->Start());
    logger->info("HTTP read plane on {}", http->address());
    if (!options.http_address_file.empty()) {
      CUSTOS_RETURN_IF_ERROR(WriteAddressFile(options.http_address_file, http->address(), "--http-address-file"));
    }
  }
  if (WitnessAsker* asker = node.asker()) {
    asker->Start();
    logger->info("asking {} outside witness(es) to cosign", config.outside_witnesses.size());
  }
  if (TilePublisher* publisher = node.publisher()) {
    publisher->Start();
    logger->info("publishing tiles under {}", config.publish->directory);
  }
  if (!options.address_file.empty()) {
    CUSTOS_RETURN_IF_ERROR(WriteAddressFile(options.address_file, bound, "--address-file"));
  }
  logger->info("log {} at size {}; {} peer logs held; listening on {}", ledger.log->origin(), ledger.log->size(),
               ledger.replicas.size(), bound);
  node.federation().Start();

  auto reloading = ReloadOnHangup(io.unixEventPort, config.config_file, node, *logger).eagerlyEvaluate(nullptr);
  auto serving = node.listener().Serve(*receiver).then([]() -> int { return 0; });
  int signum = StopSignal(io.unixEventPort).exclusiveJoin(kj::mv(serving)).wait(io.waitScope);
  logger->info("{}: shutting down", strsignal(signum));
  return Status::OK();
}

}  // namespace

Status CheckNode(const NodeConfig& config, const NamedKey& node_key) {
  if (config.http) CUSTOS_RETURN_IF_ERROR(CheckHttpTls(*config.http));
  auto prepared = Prepare(config, node_key);
  if (!prepared.ok()) return prepared.status();
  prepared->ledger.Close();
  return Status::OK();
}

Status RunNode(const NodeConfig& config, const NamedKey& node_key, std::shared_ptr<spdlog::logger> logger,
               const DaemonOptions& options) {
  auto prepared = Prepare(config, node_key);
  if (!prepared.ok()) return prepared.status();
  Ledger& ledger = prepared->ledger;
  Status result;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
                result = Serve(config, ledger, node_key, prepared->identity, logger, options);
              })) {
    result = Status::IOError(e->getDescription().cStr());
  }
  ledger.Close();  // close the database before saying so
  if (result.ok()) logger->info("stopped cleanly");
  return result;
}

}  // namespace custos::node
