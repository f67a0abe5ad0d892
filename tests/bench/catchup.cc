#include "tests/bench/catchup.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "ledger/log/log.h"
#include "ledger/storage/clock.h"
#include "schema/rpc.capnp.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/node_process.h"
#include "tests/bench/rpc_load.h"

namespace custos::bench {

namespace {

constexpr char kFollowerOrigin[] = "suzhou-psb.example/custos";
// An arbitrary fixed seed for the follower's node key (32 bytes), so that
// every run sets up the same federation.
constexpr char kFollowerSeed[] = "custos-bench-follower-node-seed!";
constexpr size_t kBuildBatch = 1000;       // submissions per Append while building
constexpr uint64_t kBuildChunk = 50000;    // pre-signed at a time: bounds memory
constexpr double kStartTimeoutS = 30;
constexpr double kStopTimeoutS = 30;
constexpr double kReportEveryS = 5;

Result<NamedKey> FollowerKey() {
  static_assert(sizeof kFollowerSeed - 1 == 32);
  ByteSpan seed(reinterpret_cast<const uint8_t*>(kFollowerSeed), 32);
  CUSTOS_ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromSeed(seed));
  return NamedKey{kFollowerOrigin, key};
}

LogOptions LedgerAt(const NodeDir& node) {
  LogOptions o;
  o.path = node.ledger_path();
  return o;
}

Status AppendAll(Log& log, const std::vector<Bytes>& subs) {
  for (size_t at = 0; at < subs.size(); at += kBuildBatch) {
    auto part = std::span<const Bytes>(subs).subspan(at, std::min(kBuildBatch, subs.size() - at));
    for (const auto& r : log.Append(part, BatchMode::kAllOrNothing)) {
      if (!r.ok()) return r.status().WithContext("building the origin's log");
    }
  }
  return Status::OK();
}

// The origin's log, as custos_bench builds its logs: genesis, the officer's
// key grant, then evidence statements up to `options.entries` entries.
Status BuildOriginLog(const NodeDir& node, const CatchupOptions& options, const Keys& keys, ByteSpan evidence,
                      WorkerPool& signers) {
  const int64_t now = SystemClock().NowMillis();
  CUSTOS_ASSIGN_OR_RETURN(auto log, CreateGrantedLog(LedgerAt(node), keys, options.examples, now));
  for (uint64_t nonce = 0; log->size() < options.entries;) {
    size_t n = static_cast<size_t>(std::min(kBuildChunk, options.entries - log->size()));
    CUSTOS_RETURN_IF_ERROR(AppendAll(*log, PresignStatements(evidence, keys.officer, now, nonce, n, signers)));
    nonce += n;
    Progress("catch-up: origin log at " + std::to_string(log->size()) + "/" + std::to_string(options.entries));
  }
  return Status::OK();
}

// A log with its genesis only, administered by the benchmark's admin key.
Status CreateEmptyLog(const NodeDir& node, const NamedKey& node_key, const Keys& keys) {
  PublicKey admin = keys.admin.public_key();
  auto log = Log::Create(LedgerAt(node), node_key.name, node_key, std::span<const PublicKey>(&admin, 1));
  return log.ok() ? Status::OK() : log.status();
}

// What the follower's status says about the origin.
struct PeerView {
  bool listed = false;
  bool connected = false;
  uint64_t held = 0;
  uint64_t known = 0;
  std::string last_error;
};

// The follower's status, within `timeout`.
Result<PeerView> AskFollower(kj::AsyncIoContext& io, rpc::Node::Client node, kj::Duration timeout) {
  PeerView view;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
    auto response = io.provider->getTimer().timeoutAfter(timeout, node.statusRequest().send()).wait(io.waitScope);
    for (auto peer : response.getStatus().getPeers()) {
      if (std::string_view(peer.getOrigin().cStr()) != kOrigin) continue;
      view = PeerView{true, peer.getConnected(), peer.getHeldSize(), peer.getKnownSize(), peer.getLastError().cStr()};
    }
  })) {
    return Status::IOError(std::string("the follower's status call failed: ") + e->getDescription().cStr());
  }
  return view;
}

kj::Duration Micros(double seconds) { return static_cast<int64_t>(seconds * 1e6) * kj::MICROSECONDS; }

std::string Describe(const PeerView& v, uint64_t entries) {
  if (!v.listed) return "its status does not list " + std::string(kOrigin) + " as a peer";
  std::string text = "heldSize " + std::to_string(v.held) + " of " + std::to_string(entries) + ", knownSize " +
                     std::to_string(v.known) + ", " + (v.connected ? "connected" : "not connected");
  if (!v.last_error.empty()) text += ", lastError: " + v.last_error;
  return text;
}

// Polls the follower until it holds the whole log, or says why it gave up.
class FollowerWatch {
 public:
  FollowerWatch(const CatchupOptions& options, kj::AsyncIoContext& io, NodeProcess& follower)
      : options_(options), io_(io), follower_(follower) {}

  // Connects as `self` to the follower, whose key is `follower_key`, and
  // polls it. Fills measured / reason / seconds / first_progress_s / held /
  // slowest_status_s of `out`.
  void Run(const NamedKey& self, const PublicKey& follower_key, SteadyClock::time_point start,
           CatchupOutcome& out) {
    // A node busy catching up may be slow to answer: allow as long as a stall.
    auto client = ConnectNode(io_, self, follower_key, follower_.address(), Micros(options_.stall_s));
    if (!client.ok()) {
      out.reason = "no connection to the follower: " + client.status().message();
      return;
    }
    Watch((*client)->node(), start, out);
  }

 private:
  void Watch(rpc::Node::Client node, SteadyClock::time_point start, CatchupOutcome& out) {
    auto last_move = start, last_report = start;
    kj::Timer& timer = io_.provider->getTimer();
    for (;;) {
      auto view = Poll(node, out);
      if (!view) return;
      double elapsed = SecondsSince(start);
      if (view->held != out.held) {
        if (out.held == 0) out.first_progress_s = elapsed;
        out.held = view->held;
        last_move = SteadyClock::now();
      }
      if (out.held >= options_.entries) {
        out.measured = true;
        out.seconds = elapsed;
        return;
      }
      out.reason = GiveUpReason(*view, elapsed, SecondsSince(last_move));
      if (!out.reason.empty()) return;
      if (SecondsSince(last_report) >= kReportEveryS) {
        Progress("catch-up: " + Describe(*view, options_.entries));
        last_report = SteadyClock::now();
      }
      timer.afterDelay(Micros(options_.poll_s)).wait(io_.waitScope);
    }
  }

  // The follower's view of the origin; nullopt (and out.reason) if the
  // follower is gone or its status call failed.
  std::optional<PeerView> Poll(rpc::Node::Client node, CatchupOutcome& out) {
    if (!follower_.Running()) {
      out.reason = "the follower custosd exited; its log ends:\n" + follower_.LogTail();
      return std::nullopt;
    }
    auto asked = SteadyClock::now();
    auto view = AskFollower(io_, node, Micros(options_.stall_s));
    out.slowest_status_s = std::max(out.slowest_status_s, SecondsSince(asked));
    if (!view.ok()) {
      out.reason = view.status().message();
      return std::nullopt;
    }
    return *view;
  }

  std::string GiveUpReason(const PeerView& view, double elapsed, double still) const {
    std::string state = Describe(view, options_.entries);
    auto secs = [](double s) { return std::to_string(static_cast<int>(s)) + " s"; };
    if (still >= options_.stall_s) {
      return (view.held == 0 ? "follower made no progress in " : "follower stalled for ") + secs(still) + ": " + state;
    }
    if (elapsed >= options_.timeout_s) return "follower not done after " + secs(elapsed) + ": " + state;
    return "";
  }

  const CatchupOptions& options_;
  kj::AsyncIoContext& io_;
  NodeProcess& follower_;
};

// The two nodes' directories, ready to start but for the follower's config
// (it must name the origin's address, known once the origin listens).
struct Federation {
  NodeDir origin, follower;
  NamedKey follower_key;
  std::string follower_address;
};

Result<Federation> Prepare(const CatchupOptions& options, const Keys& keys, ByteSpan evidence,
                           const std::string& dir, WorkerPool& signers, CatchupOutcome& out) {
  CUSTOS_ASSIGN_OR_RETURN(NamedKey follower_key, FollowerKey());
  CUSTOS_ASSIGN_OR_RETURN(NodeDir origin, PrepareNodeDir(dir + "/origin", keys.node));
  CUSTOS_ASSIGN_OR_RETURN(NodeDir follower, PrepareNodeDir(dir + "/follower", follower_key));
  auto build_start = SteadyClock::now();
  CUSTOS_RETURN_IF_ERROR(BuildOriginLog(origin, options, keys, evidence, signers));
  out.build_seconds = SecondsSince(build_start);
  CUSTOS_RETURN_IF_ERROR(CreateEmptyLog(follower, follower_key, keys));
  CUSTOS_ASSIGN_OR_RETURN(uint16_t port, FreeLocalPort());
  std::string follower_address = "127.0.0.1:" + std::to_string(port);
  CUSTOS_RETURN_IF_ERROR(
      WriteNodeConfig(origin, "127.0.0.1:0", {PeerOf(follower_key, follower_address, "public-security-bureau")}));
  return Federation{std::move(origin), std::move(follower), std::move(follower_key), std::move(follower_address)};
}

// Stops a node; a failure is noted in `out.stop_errors`, the figures stand.
void StopNode(NodeProcess& node, const std::string& which, CatchupOutcome& out) {
  Status st = node.Stop(kStopTimeoutS);
  if (st.ok()) return;
  if (!out.stop_errors.empty()) out.stop_errors += "; ";
  out.stop_errors += "the " + which + ": " + st.ToString();
}

}  // namespace

Result<CatchupOutcome> MeasureCatchup(const CatchupOptions& options, const Keys& keys, ByteSpan evidence,
                                      const std::string& dir, kj::AsyncIoContext& io, WorkerPool& signers) {
  CatchupOutcome out;
  CUSTOS_ASSIGN_OR_RETURN(Federation f, Prepare(options, keys, evidence, dir, signers, out));
  CUSTOS_ASSIGN_OR_RETURN(auto origin, NodeProcess::Start(options.custosd, f.origin, kStartTimeoutS));
  CUSTOS_RETURN_IF_ERROR(
      WriteNodeConfig(f.follower, f.follower_address, {PeerOf(keys.node, origin->address().ToString(), "ip-bureau")}));
  const double origin_cpu_before = origin->CpuSeconds();
  Progress("catch-up: origin listens on " + origin->address().ToString() + "; starting the follower");
  auto start = SteadyClock::now();
  CUSTOS_ASSIGN_OR_RETURN(auto follower, NodeProcess::Start(options.custosd, f.follower, kStartTimeoutS));
  FollowerWatch(options, io, *follower).Run(NamedKey{"admin", keys.admin}, f.follower_key.key.public_key(), start, out);
  out.follower_cpu_s = follower->CpuSeconds();
  out.origin_cpu_s = origin->CpuSeconds() - origin_cpu_before;
  StopNode(*follower, "follower", out);
  StopNode(*origin, "origin", out);
  return out;
}

}  // namespace custos::bench
