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

std::string Seconds(kj::Duration d) { return std::to_string(d / kj::SECONDS) + " s"; }

kj::Exception Disconnected(const std::string& why) {
  return kj::Exception(kj::Exception::Type::DISCONNECTED, __FILE__, __LINE__, kj::heapString(why.data(), why.size()));
}
}  // namespace

namespace {
// The raw stream of a connection, noting when a read or a write last moved
// bytes (`last_activity`): what the idle timeout measures. Everything else
// passes through.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"  // kj::Own knows the type (see node/tls.cc)
class WatchedStream final : public kj::AsyncIoStream {
 public:
  WatchedStream(kj::Own<kj::AsyncIoStream> inner, std::shared_ptr<kj::TimePoint> last_activity, kj::Timer& timer)
      : inner_(kj::mv(inner)), last_activity_(std::move(last_activity)), timer_(timer) {}

  kj::Promise<size_t> tryRead(void* buffer, size_t minBytes, size_t maxBytes) override {
    return inner_->tryRead(buffer, minBytes, maxBytes).then([this](size_t n) {
      if (n > 0) Touch();
      return n;
    });
  }
  kj::Promise<void> write(const void* buffer, size_t size) override {
    return inner_->write(buffer, size).then([this] { Touch(); });
  }
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    return inner_->write(pieces).then([this] { Touch(); });
  }
  kj::Promise<void> whenWriteDisconnected() override { return inner_->whenWriteDisconnected(); }
  void shutdownWrite() override { inner_->shutdownWrite(); }
  void abortRead() override { inner_->abortRead(); }
  void getsockopt(int level, int option, void* value, kj::uint* length) override {
    inner_->getsockopt(level, option, value, length);
  }
  void setsockopt(int level, int option, const void* value, kj::uint length) override {
    inner_->setsockopt(level, option, value, length);
  }
  void getsockname(struct sockaddr* addr, kj::uint* length) override { inner_->getsockname(addr, length); }
  void getpeername(struct sockaddr* addr, kj::uint* length) override { inner_->getpeername(addr, length); }

 private:
  void Touch() { *last_activity_ = timer_.now(); }

  kj::Own<kj::AsyncIoStream> inner_;
  std::shared_ptr<kj::TimePoint> last_activity_;
  kj::Timer& timer_;
};
#pragma GCC diagnostic pop
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

ListenerLimits ListenerLimits::From(const ConnectionLimits& config) {
  ListenerLimits l;
  l.handshake_timeout = config.handshake_timeout_s * kj::SECONDS;
  l.max_unauthenticated = config.max_unauthenticated;
  l.idle_timeout = config.idle_timeout_s * kj::SECONDS;
  return l;
}

RpcListener::RpcListener(NodeServices& services, TlsContext& tls, kj::Timer& timer, ListenerLimits limits)
    : services_(services), tls_(tls), timer_(timer), limits_(limits), tasks_(*this) {}

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
  if (!MakeRoom()) {
    ++refused_;
    WarnAtBound();
    return;  // dropping `raw` closes the connection
  }
  ++open_;
  const uint64_t id = next_id_++;
  auto evicted = kj::newPromiseAndFulfiller<void>();
  pending_.emplace(id, Pending{timer_.now(), kj::mv(evicted.fulfiller)});
  tasks_.add(Handle(kj::mv(raw), remote, id, kj::mv(evicted.promise)).then([this] { --open_; }, [this, remote](kj::Exception&& e) {
    --open_;
    // A refused key, a stranger speaking garbage, a peer that hung up: the
    // node goes on; the line says which.
    services_.logger->info("connection from {} closed: {}", remote, e.getDescription().cStr());
  }));
}

// At the bound, the oldest unauthenticated connection gives way if it is
// stale: a flood of silent or stalled connections then cannot keep a
// legitimate client out, and memory stays bounded either way.
bool RpcListener::MakeRoom() {
  if (pending_.size() < limits_.max_unauthenticated) return true;
  auto oldest = pending_.begin();
  if (oldest == pending_.end() || timer_.now() - oldest->second.since < limits_.stale_after) return false;
  oldest->second.evict->reject(Disconnected("closed unauthenticated to make room: the node takes at most " +
                                            std::to_string(limits_.max_unauthenticated) +
                                            " connections before authentication"));
  pending_.erase(oldest);
  ++evicted_;
  WarnAtBound();
  return true;
}

// One warning per 10 s at most, with the counts: a flood must not flood the
// log too (an evicted connection is not logged on its own).
void RpcListener::WarnAtBound() {
  const kj::TimePoint now = timer_.now();
  if (last_bound_warning_ && now - *last_bound_warning_ < 10 * kj::SECONDS) return;
  last_bound_warning_ = now;
  services_.logger->warn("{} connections are not authenticated yet, the most the node takes (maxUnauthenticated): "
                         "{} stale ones closed to make room and {} new ones refused so far",
                         pending_.size(), evicted_, refused_);
}

kj::Promise<void> RpcListener::Handle(kj::Own<kj::AsyncIoStream> raw, std::string remote, uint64_t id,
                                      kj::Promise<void> evicted) {
  auto activity = std::make_shared<kj::TimePoint>(timer_.now());
  auto watched = kj::heap<WatchedStream>(kj::mv(raw), activity, timer_);
  auto handshake = timer_.timeoutAfter(limits_.handshake_timeout, tls_.WrapServer(kj::mv(watched)))
                       .exclusiveJoin(evicted.then([]() -> AuthenticatedTlsStream {
                         KJ_FAIL_ASSERT("an unauthenticated connection is only ever evicted by a rejection");
                       }));
  return handshake.then(
      [this, remote, id, activity](AuthenticatedTlsStream&& tls) {
        pending_.erase(id);
        return RunRpc(kj::mv(tls), remote, activity);
      },
      [this, id](kj::Exception&& e) -> kj::Promise<void> {
        // Erased already if it was evicted: WarnAtBound counted it.
        if (pending_.erase(id) == 0) return kj::READY_NOW;
        return kj::mv(e);
      });
}

kj::Promise<void> RpcListener::RunRpc(AuthenticatedTlsStream tls, const std::string& remote,
                                      std::shared_ptr<kj::TimePoint> last_activity) {
  Caller caller = services_.access->Identify(tls.peer);
  services_.logger->debug("connection from {}: key {}{}", remote, KeyPrefix(tls.peer),
                          caller.peer_origin ? " (peer " + *caller.peer_origin + ")" : std::string());
  auto connection = kj::heap<Connection>(kj::mv(tls.stream), NewNodeServer(services_, std::move(caller)));
  auto done = connection->network.onDisconnect();
  if (limits_.idle_timeout > 0 * kj::SECONDS) done = done.exclusiveJoin(CloseWhenIdle(std::move(last_activity)));
  return done.attach(kj::mv(connection)).then([this, remote] {
    services_.logger->debug("connection from {} closed", remote);
  });
}

kj::Promise<void> RpcListener::CloseWhenIdle(std::shared_ptr<const kj::TimePoint> last_activity) {
  const kj::TimePoint deadline = *last_activity + limits_.idle_timeout;
  if (timer_.now() >= deadline) {
    return Disconnected("idle: no bytes either way for " + Seconds(limits_.idle_timeout));
  }
  return timer_.atTime(deadline).then([this, last_activity = std::move(last_activity)]() mutable {
    return CloseWhenIdle(std::move(last_activity));
  });
}

void RpcListener::taskFailed(kj::Exception&& e) {
  services_.logger->warn("connection task failed: {}", e.getDescription().cStr());
}

}  // namespace custos::node
