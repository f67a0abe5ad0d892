#include "node/listener.h"

#include <arpa/inet.h>
#include <capnp/rpc-twoparty.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "node/rpc_limits.h"

namespace custos::node {

namespace {
// "host:port" of a socket's peer, for log lines; "?" if it has none.
std::string RemoteName(kj::AsyncIoStream& stream) {
  sockaddr_storage addr{};
  kj::uint len = sizeof addr;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { stream.getpeername(reinterpret_cast<sockaddr*>(&addr), &len); })) {
    return "?";
  }
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}
}  // namespace

// One authenticated connection and its RPC system, torn down together.
struct RpcListener::Connection {
  Connection(kj::Own<kj::AsyncIoStream> s, capnp::Capability::Client bootstrap)
      : stream(kj::mv(s)),
        network(*stream, capnp::rpc::twoparty::Side::SERVER, RpcReaderOptions()),
        rpc(capnp::makeRpcServer(network, kj::mv(bootstrap))) {}

  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
};

RpcListener::RpcListener(NodeServices& services, TlsContext& tls, kj::Timer& timer, kj::Duration handshake_timeout)
    : services_(services), tls_(tls), timer_(timer), handshake_timeout_(handshake_timeout), tasks_(*this) {}

RpcListener::~RpcListener() noexcept(false) {}

kj::Promise<void> RpcListener::Serve(kj::ConnectionReceiver& receiver) {
  return receiver.accept().then(
      [this, &receiver](kj::Own<kj::AsyncIoStream> raw) {
        std::string remote = RemoteName(*raw);
        Accept(kj::mv(raw), std::move(remote));
        return Serve(receiver);
      },
      [this, &receiver](kj::Exception&& e) {
        // E.g. out of file descriptors: a pause lets connections close, and
        // the node keeps serving the ones it has.
        services_.logger->warn("accepting a connection failed: {}", e.getDescription().cStr());
        return timer_.afterDelay(100 * kj::MILLISECONDS).then([this, &receiver] { return Serve(receiver); });
      });
}

void RpcListener::Accept(kj::Own<kj::AsyncIoStream> raw, std::string remote) {
  ++open_;
  tasks_.add(Handle(kj::mv(raw), remote).then([this] { --open_; }, [this, remote](kj::Exception&& e) {
    --open_;
    // A refused key, a stranger speaking garbage, a peer that hung up: the
    // node goes on; the line says which.
    services_.logger->info("connection from {} closed: {}", remote, e.getDescription().cStr());
  }));
}

kj::Promise<void> RpcListener::Handle(kj::Own<kj::AsyncIoStream> raw, std::string remote) {
  auto handshake = timer_.timeoutAfter(handshake_timeout_, tls_.WrapServer(kj::mv(raw)));
  return handshake.then([this, remote](AuthenticatedTlsStream&& tls) {
    Caller caller = services_.access->Identify(tls.peer);
    services_.logger->debug("connection from {}: key {}{}", remote, KeyPrefix(tls.peer),
                            caller.peer_origin ? " (peer " + *caller.peer_origin + ")" : std::string());
    auto connection = kj::heap<Connection>(kj::mv(tls.stream), NewNodeServer(services_, std::move(caller)));
    auto done = connection->network.onDisconnect();
    return done.attach(kj::mv(connection)).then([this, remote] {
      services_.logger->debug("connection from {} closed", remote);
    });
  });
}

void RpcListener::taskFailed(kj::Exception&& e) {
  services_.logger->warn("connection task failed: {}", e.getDescription().cStr());
}

}  // namespace custos::node
