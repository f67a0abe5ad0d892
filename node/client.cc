#include "node/client.h"

#include "node/rpc_limits.h"

namespace custos::node {

namespace {
rpc::Node::Client Bootstrap(capnp::RpcSystem<capnp::rpc::twoparty::VatId>& rpc) {
  capnp::MallocMessageBuilder message(8);
  auto vat = message.getRoot<capnp::rpc::twoparty::VatId>();
  vat.setSide(capnp::rpc::twoparty::Side::SERVER);
  return rpc.bootstrap(vat).castAs<rpc::Node>();
}
}  // namespace

kj::Promise<kj::Own<NodeClient>> NodeClient::Connect(kj::AsyncIoProvider& io, const TlsIdentity& self,
                                                      const PublicKey& node_key, const HostPort& address,
                                                      kj::Duration timeout) {
  auto tls = std::make_unique<TlsContext>(self, [node_key](const PublicKey& key) { return key == node_key; });
  TlsContext& context = *tls;
  auto connected = io.getNetwork()
                       .parseAddress(address.host, address.port)
                       .then([](kj::Own<kj::NetworkAddress> addr) { return addr->connect().attach(kj::mv(addr)); })
                       .then([&context](kj::Own<kj::AsyncIoStream> raw) { return context.WrapClient(kj::mv(raw)); })
                       .then([tls = std::move(tls)](AuthenticatedTlsStream&& s) mutable {
                         return kj::heap<NodeClient>(std::move(tls), kj::mv(s.stream));
                       });
  return io.getTimer().timeoutAfter(timeout, kj::mv(connected));
}

NodeClient::NodeClient(std::unique_ptr<TlsContext> tls, kj::Own<kj::AsyncIoStream> stream)
    : tls_(std::move(tls)),
      stream_(kj::mv(stream)),
      network_(*stream_, capnp::rpc::twoparty::Side::CLIENT, RpcClientReaderOptions()),
      rpc_(capnp::makeRpcClient(network_)),
      node_(Bootstrap(rpc_)) {}

NodeClient::~NodeClient() noexcept(false) {}

}  // namespace custos::node
