#include "tests/bench/rpc_load.h"

#include <capnp/dynamic.h>

#include <algorithm>

#include "node/tls.h"
#include "schema/rpc.capnp.h"
#include "tests/bench/bench_util.h"

namespace custos::bench {

namespace {

using SubmitResults = capnp::List<rpc::SubmitResult>::Reader;

double MillisSince(SteadyClock::time_point from) { return 1000 * SecondsSince(from); }

// "<code>: <message>", the code by its schema name (e.g. alreadyExists).
std::string Describe(const rpc::Error::Reader& e) {
  std::string code = std::to_string(static_cast<int>(e.getCode()));
  KJ_IF_MAYBE(enumerant, capnp::toDynamic(e.getCode()).getEnumerant()) { code = enumerant->getProto().getName().cStr(); }
  return code + ": " + e.getMessage().cStr();
}

// The calls of one run: which submissions each carries, and what came back.
// Lives on the stack of the run; every promise it makes is waited for there.
class CallRunner {
 public:
  CallRunner(const std::vector<Bytes>& subs, size_t per_call)
      : subs_(subs), per_call_(per_call), calls_((subs.size() + per_call - 1) / per_call) {}

  size_t calls() const { return calls_; }
  LoadFigures& figures() { return figures_; }

  // Sends call number `call` on `node`; its latency counts from `from`.
  kj::Promise<void> Call(rpc::Node::Client node, size_t call, SteadyClock::time_point from) {
    auto request = node.submitRequest();
    size_t begin = call * per_call_;
    size_t n = std::min(per_call_, subs_.size() - begin);
    auto list = request.initSubmissions(static_cast<capnp::uint>(n));
    for (size_t i = 0; i < n; ++i) {
      const Bytes& s = subs_[begin + i];
      list.set(static_cast<capnp::uint>(i), capnp::Data::Reader(s.data(), s.size()));
    }
    ++figures_.calls;
    // Eager: a .then() runs when its result is asked for, and joinPromises
    // asks only once every branch is done; the answer's time is taken now.
    return request.send()
        .then([this, from](capnp::Response<rpc::Node::SubmitResults>&& r) { Record(r.getResults(), from); })
        .eagerlyEvaluate(nullptr);
  }

  // One client of a closed loop: the next call once the last is answered.
  kj::Promise<void> ClosedLoop(rpc::Node::Client node) {
    if (next_ >= calls_) return kj::READY_NOW;
    size_t call = next_++;
    return Call(node, call, SteadyClock::now()).then([this, node]() mutable { return ClosedLoop(node); });
  }

  // Call number `call`, sent when the timer reaches `kj_due` (`due` on the
  // steady clock: the same moment).
  kj::Promise<void> PacedCall(kj::Timer& timer, rpc::Node::Client node, size_t call, kj::TimePoint kj_due,
                              SteadyClock::time_point due) {
    return timer.atTime(kj_due).then([this, node, call, due]() mutable {
      figures_.lag_ms.push_back(MillisSince(due));
      return Call(node, call, due);
    });
  }

 private:
  void Record(SubmitResults results, SteadyClock::time_point from) {
    double ms = MillisSince(from);
    for (auto r : results) {
      if (r.isReceipt()) {
        ++figures_.appended;
        figures_.latency_ms.push_back(ms);
        continue;
      }
      if (figures_.refused++ == 0) figures_.first_refusal = Describe(r.getError());
    }
  }

  const std::vector<Bytes>& subs_;
  const size_t per_call_;
  const size_t calls_;
  size_t next_ = 0;
  LoadFigures figures_;
};

// Runs `run` to its end; the runner's figures, timed from `start`.
Result<LoadFigures> Finish(kj::WaitScope& wait_scope, kj::Promise<void> run, CallRunner& runner,
                           SteadyClock::time_point start) {
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { run.wait(wait_scope); })) {
    return Status::IOError(std::string("a submit call failed: ") + e->getDescription().cStr());
  }
  runner.figures().seconds = SecondsSince(start);
  return std::move(runner.figures());
}

}  // namespace

Result<kj::Own<node::NodeClient>> ConnectNode(kj::AsyncIoContext& io, const NamedKey& self,
                                              const PublicKey& node_key, const node::HostPort& address,
                                              kj::Duration timeout) {
  auto identity = node::TlsIdentity::FromKey(self);
  if (!identity.ok()) return identity.status();
  auto connecting = node::NodeClient::Connect(*io.provider, *identity, node_key, address, timeout);
  kj::Own<node::NodeClient> client;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { client = connecting.wait(io.waitScope); })) {
    return Status::IOError("connecting to " + address.ToString() + " as " + self.name + ": " +
                           e->getDescription().cStr());
  }
  return client;
}

Result<std::unique_ptr<LoadClients>> LoadClients::Connect(kj::AsyncIoContext& io, const NamedKey& self,
                                                          const PublicKey& node_key, const node::HostPort& address,
                                                          size_t n) {
  std::unique_ptr<LoadClients> pool(new LoadClients(io));
  for (size_t i = 0; i < n; ++i) {
    CUSTOS_ASSIGN_OR_RETURN(auto client, ConnectNode(io, self, node_key, address));
    pool->clients_.push_back(kj::mv(client));
  }
  return pool;
}

LoadClients::~LoadClients() = default;

Result<LoadFigures> LoadClients::RunClosedLoop(size_t clients, const std::vector<Bytes>& subs, size_t per_call) {
  KJ_REQUIRE(clients >= 1 && clients <= clients_.size() && per_call >= 1);
  CallRunner runner(subs, per_call);
  auto start = SteadyClock::now();
  kj::Vector<kj::Promise<void>> loops;
  for (size_t c = 0; c < clients; ++c) loops.add(runner.ClosedLoop(clients_[c]->node()));
  return Finish(io_.waitScope, kj::joinPromises(loops.releaseAsArray()), runner, start);
}

Result<LoadFigures> LoadClients::RunPaced(size_t clients, const std::vector<Bytes>& subs, size_t per_call,
                                          double entries_per_second) {
  KJ_REQUIRE(clients >= 1 && clients <= clients_.size() && per_call >= 1 && entries_per_second > 0);
  CallRunner runner(subs, per_call);
  kj::Timer& timer = io_.provider->getTimer();
  // A fresh reading of the timer (it reads the clock once per loop turn),
  // taken together with the steady clock's: the schedule is the same on both.
  timer.afterDelay(1 * kj::MILLISECONDS).wait(io_.waitScope);
  const kj::TimePoint kj_start = timer.now();
  const auto start = SteadyClock::now();
  const double interval_s = static_cast<double>(per_call) / entries_per_second;
  kj::Vector<kj::Promise<void>> calls;
  for (size_t call = 0; call < runner.calls(); ++call) {
    double offset_s = interval_s * static_cast<double>(call);
    auto kj_due = kj_start + static_cast<int64_t>(offset_s * 1e9) * kj::NANOSECONDS;
    auto due = start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(offset_s));
    calls.add(runner.PacedCall(timer, clients_[call % clients]->node(), call, kj_due, due));
  }
  return Finish(io_.waitScope, kj::joinPromises(calls.releaseAsArray()), runner, start);
}

}  // namespace custos::bench
