// custos_rpc_bench: the node's figures on this machine, through a real
// custosd over RPC on 127.0.0.1, beside the machine's own limit (raw Ed25519
// verifications per second on all cores) measured in the same run. See
// scripts/bench.sh; custos_bench (ledger_bench.cc) measures the ledger alone.
//
// Part 1, submit: custosd serving a log in which the officer is granted (set
// up as an operator would, docs/node.md). For each --clients count, that many
// officer clients (each its own TLS connection, all on this process's one KJ
// event loop) keep one submit call of --per-call pre-signed submissions in
// flight each: entries/s, and each entry's latency from sending its call to
// its receipt (which comes once a checkpoint covers it). Then --paced-clients
// clients offer half the best rate on a fixed schedule (not back to back) and
// the p99 latency is taken.
//
// Part 2, catch-up (catchup.h): a second node follows a peer's log of
// --catchup-entries entries; entries/s verified and stored. Skipped with
// --no-catchup; reported as not measured if the follower makes no progress.
//
// The clients (TLS, Cap'n Proto) run in this process on the same cores as
// custosd, so beside each rate stand custosd's CPU per entry (what the node
// costs, against one raw verification) and this process's.
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "ledger/storage/clock.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/catchup.h"
#include "tests/bench/node_process.h"
#include "tests/bench/raw_verify.h"
#include "tests/bench/report.h"
#include "tests/bench/rpc_load.h"
#include "tests/bench/workload.h"

namespace custos::bench {
namespace {

// Targets (docs/performance.md).
constexpr double kMinSubmitRatio = 0.50;
constexpr double kMaxPacedP99Ms = 50;
constexpr double kMinCatchupRatio = 0.60;
// The raw verification messages: about the size of a signed statement.
constexpr size_t kRawMessageBytes = 400;
constexpr double kStartTimeoutS = 30;
constexpr double kStopTimeoutS = 30;
// Above this average load from other processes during a phase, the run warns.
constexpr double kBusyCores = 0.2;
// The paced run sends at least this many calls, so that its p99 means something.
constexpr size_t kMinPacedCalls = 200;

struct Options {
  std::string custosd = CUSTOS_CUSTOSD;
  std::string examples = CUSTOS_SOURCE_DIR "/examples";
  uint64_t entries = 100000;
  size_t per_call = 64;
  std::vector<size_t> clients = {1, 8, 64};
  size_t paced_clients = 8;
  double paced_seconds = 20;
  bool no_catchup = false;
  uint64_t catchup_entries = 200000;
  double catchup_timeout = 600;
  double catchup_stall = 60;
  double raw_seconds = 2;
  std::string tmp;
  std::string json;
  bool keep = false;
};

[[noreturn]] void Fail(const std::string& what, const Status& status) {
  throw BenchError(what + ": " + status.ToString());
}

// What the run shares between its parts.
struct Context {
  const Options& opt;
  const Workload& work;
  const MachineLimit& machine;
  kj::AsyncIoContext& io;
  WorkerPool& signers;
  Report& report;
  // The most cores other processes kept busy during a measured phase, and which.
  double busiest = 0;
  std::string busiest_phase;

  void NoteOthers(const std::string& key, double other_cores, const std::string& label) {
    report.AddInfo(key + "_other_cores", label, other_cores, "cores");
    if (other_cores <= busiest) return;
    busiest = other_cores;
    busiest_phase = key;
  }
};

// ---- part 1: submit ---------------------------------------------------------

// One measured load run: what the clients saw, and what it cost.
struct Measured {
  LoadFigures load;
  PhaseUsage self;          // this process: the clients
  double node_cpu_s = 0;    // custosd
};

class SubmitBench {
 public:
  explicit SubmitBench(Context& ctx) : ctx_(ctx), opt_(ctx.opt) {}

  void Run(const std::string& dir) {
    auto node = StartNode(dir);
    size_t connections = std::max(opt_.paced_clients, *std::max_element(opt_.clients.begin(), opt_.clients.end()));
    Progress("submit: connecting " + std::to_string(connections) + " officer clients");
    {
      auto clients = Must(LoadClients::Connect(ctx_.io, Officer(), ctx_.work.keys.node.key.public_key(),
                                               node->address(), connections),
                          "connecting the officer clients");
      double best = 0;
      for (size_t c : opt_.clients) best = std::max(best, RunClosed(*node, *clients, c));
      RunPaced(*node, *clients, best / 2);
    }
    Status st = node->Stop(kStopTimeoutS);
    if (!st.ok()) ctx_.report.AddFact("WARNING", "stopping custosd: " + st.ToString());
  }

 private:
  NamedKey Officer() const { return NamedKey{"officer", ctx_.work.keys.officer}; }

  // custosd on a log of two entries: genesis and the officer's key grant.
  std::unique_ptr<NodeProcess> StartNode(const std::string& dir) {
    NodeDir node = Must(PrepareNodeDir(dir, ctx_.work.keys.node), "preparing the node's directory");
    LogOptions log_options;
    log_options.path = node.ledger_path();
    Must(CreateGrantedLog(log_options, ctx_.work.keys, opt_.examples, SystemClock().NowMillis()),
         "creating the node's log");  // closed again at once: custosd opens it
    Must(WriteNodeConfig(node, "127.0.0.1:0", {}), "writing the node's config");
    auto process = Must(NodeProcess::Start(opt_.custosd, node, kStartTimeoutS), "starting custosd");
    Progress("submit: custosd listens on " + process->address().ToString());
    return process;
  }

  // Unique statements (every nonce once in the run), signed now, before timing.
  std::vector<Bytes> Presign(uint64_t count) {
    auto subs = PresignStatements(ctx_.work.evidence, ctx_.work.keys.officer, SystemClock().NowMillis(), next_nonce_,
                                  static_cast<size_t>(count), ctx_.signers);
    next_nonce_ += count;
    return subs;
  }

  template <typename RunLoad>
  Measured Measure(NodeProcess& node, size_t expected, RunLoad&& run) {
    Measured m;
    double cpu_before = node.CpuSeconds();
    std::optional<Result<LoadFigures>> load;
    m.self = MeasurePhase([&] { load.emplace(run()); });
    m.node_cpu_s = node.CpuSeconds() - cpu_before;
    if (!load->ok()) Fail("submitting", Status::IOError(load->status().message() + "; custosd's log ends:\n" +
                                                        node.LogTail()));
    m.load = std::move(*load).value();
    if (m.load.refused > 0 || m.load.appended != expected) {
      Fail("submitting", Status::Aborted(std::to_string(m.load.refused) + " of " + std::to_string(expected) +
                                         " submissions refused, the first: " + m.load.first_refusal));
    }
    return m;
  }

  // Closed loop with `n` of the clients; returns entries/s.
  double RunClosed(NodeProcess& node, LoadClients& clients, size_t n) {
    auto subs = Presign(opt_.entries);
    Progress("submit: " + std::to_string(n) + " client(s), " + std::to_string(subs.size()) + " entries, " +
             std::to_string(opt_.per_call) + " per call");
    Measured m = Measure(node, subs.size(), [&] { return clients.RunClosedLoop(n, subs, opt_.per_call); });
    double rate = static_cast<double>(m.load.appended) / m.load.seconds;
    std::string key = "submit_clients_" + std::to_string(n);
    ctx_.report.AddRate(key, "RPC submit, " + std::to_string(n) + " client(s) x " + std::to_string(opt_.per_call) +
                        "/call", rate, ctx_.machine.all_cores_rate, kMinSubmitRatio);
    ctx_.report.AddInfo(key + "_p50_ms", "  latency per entry, p50", Percentile(m.load.latency_ms, 0.50), "ms");
    ctx_.report.AddInfo(key + "_p99_ms", "  latency per entry, p99", Percentile(m.load.latency_ms, 0.99), "ms");
    AddCosts(key, m);
    return rate;
  }

  // Open loop at `offered` entries/s, for about --paced-seconds.
  void RunPaced(NodeProcess& node, LoadClients& clients, double offered) {
    uint64_t want = static_cast<uint64_t>(offered * opt_.paced_seconds);
    auto subs = Presign(std::min<uint64_t>(opt_.entries, std::max<uint64_t>(want, kMinPacedCalls * opt_.per_call)));
    Progress("submit, paced: " + std::to_string(opt_.paced_clients) + " clients offering " +
             std::to_string(static_cast<uint64_t>(offered)) + " entries/s, " + std::to_string(subs.size()) +
             " entries");
    Measured m = Measure(node, subs.size(),
                         [&] { return clients.RunPaced(opt_.paced_clients, subs, opt_.per_call, offered); });
    auto& r = ctx_.report;
    r.AddInfo("paced_offered", "paced, " + std::to_string(opt_.paced_clients) + " clients: offered (half the best)",
              offered, "entries/s");
    r.AddInfo("paced_achieved", "  achieved", static_cast<double>(m.load.appended) / m.load.seconds, "entries/s");
    r.AddInfo("paced_p50_ms", "  latency per entry, p50", Percentile(m.load.latency_ms, 0.50), "ms");
    r.AddAtMost("paced_p99_ms", "  latency per entry, p99", Percentile(m.load.latency_ms, 0.99), "ms",
                kMaxPacedP99Ms);
    r.AddInfo("paced_lag_p99_ms", "  sent behind schedule, p99 (client lag)", Percentile(m.load.lag_ms, 0.99), "ms");
    AddCosts("paced", m);
  }

  void AddCosts(const std::string& key, const Measured& m) {
    double n = static_cast<double>(m.load.appended);
    ctx_.report.AddCpuCost(key + "_node_cpu_us", "  custosd CPU per entry vs raw", 1e6 * m.node_cpu_s / n,
                           ctx_.machine.cpu_us);
    ctx_.report.AddInfo(key + "_client_cpu_us", "  client CPU per entry (this process)",
                        1e6 * m.self.cpu_seconds / n, "us");
    // custosd is another process too; what is left is the rest of the machine.
    ctx_.NoteOthers(key, std::max(0.0, m.self.other_cores - m.node_cpu_s / m.self.wall_seconds),
                    "  other processes meanwhile (not custosd)");
  }

  Context& ctx_;
  const Options& opt_;
  uint64_t next_nonce_ = 0;
};

// ---- part 2: catch-up -------------------------------------------------------

void RunCatchup(Context& ctx, const std::string& dir) {
  const Options& opt = ctx.opt;
  CatchupOptions o;
  o.custosd = opt.custosd;
  o.examples = opt.examples;
  o.entries = opt.catchup_entries;
  o.timeout_s = opt.catchup_timeout;
  o.stall_s = opt.catchup_stall;
  Progress("catch-up: building the origin's log of " + std::to_string(o.entries) + " entries");
  CatchupOutcome out = Must(MeasureCatchup(o, ctx.work.keys, ctx.work.evidence, dir, ctx.io, ctx.signers),
                            "setting up the catch-up");
  if (!out.stop_errors.empty()) ctx.report.AddFact("WARNING", "stopping custosd: " + out.stop_errors);
  if (!out.measured) {
    Progress("catch-up: not measured (" + out.reason + ")");
    ctx.report.AddFact("catch-up", "not measured (" + out.reason + ")");
    return;
  }
  double n = static_cast<double>(o.entries);
  ctx.report.AddFact("catch-up", std::to_string(o.entries) + " entries (log built offline in " +
                                     std::to_string(static_cast<int>(out.build_seconds)) + " s)");
  ctx.report.AddRate("catchup", "catch-up of " + std::to_string(o.entries) + ", verified and stored",
                     n / out.seconds, ctx.machine.all_cores_rate, kMinCatchupRatio);
  ctx.report.AddCpuCost("catchup_follower_cpu_us", "  follower custosd CPU per entry vs raw",
                        1e6 * out.follower_cpu_s / n, ctx.machine.cpu_us);
  ctx.report.AddInfo("catchup_origin_cpu_us", "  origin custosd CPU per entry (serving)", 1e6 * out.origin_cpu_s / n,
                     "us");
  ctx.report.AddInfo("catchup_first_progress_s", "  first entries held after", out.first_progress_s, "s");
  ctx.report.AddInfo("catchup_slowest_status_s", "  slowest status call (end seen late by <=)", out.slowest_status_s,
                     "s");
}

// ---- the run ----------------------------------------------------------------

// The raw all-core rate, as the rows of `phase` ("raw_verify": with the CPU
// time of one verification; keys as custos_bench's).
MachineLimit MeasureMachine(Context& ctx, const std::string& phase, const std::string& name) {
  Progress("raw Ed25519 verification, all cores");
  MachineLimit m = MeasureMachineLimit(kRawMessageBytes, ctx.opt.raw_seconds);
  std::string key = phase == "raw_verify" ? "raw_verify_all_cores" : "raw_verify_all_cores_end";
  ctx.report.AddInfo(key, name + ", " + std::to_string(m.cores) + " threads", m.all_cores_rate, "entries/s");
  if (phase == "raw_verify") ctx.report.AddInfo("raw_verify_cpu_us", "  CPU per verification", m.cpu_us, "us");
  ctx.NoteOthers(phase, m.usage.other_cores, "  other processes meanwhile");
  return m;
}

void WarnIfBusy(const Context& ctx) {
  if (ctx.busiest <= kBusyCores) return;
  char busiest[16];
  std::snprintf(busiest, sizeof busiest, "%.2f", ctx.busiest);
  ctx.report.AddFact("WARNING", "other processes kept " + std::string(busiest) + " cores busy during " +
                                    ctx.busiest_phase + " (see \"other processes meanwhile\"): rates measured then"
                                    " are low; CPU per entry still holds");
}

void RunParts(const Options& opt, Report& report) {
  auto dir = Must(ScratchDir::Make(opt.tmp, opt.keep), "making the scratch directory");
  auto io = kj::setupAsyncIo();
  Workload work = Must(LoadWorkload(opt.examples), "loading the workload");
  WorkerPool signers(0);
  MachineLimit machine;
  Context ctx{opt, work, machine, io, signers, report, 0, ""};
  machine = MeasureMachine(ctx, "raw_verify", "raw Ed25519 verify");
  SubmitBench(ctx).Run(dir->Sub("node"));
  if (opt.no_catchup) {
    report.AddFact("catch-up", "skipped (--no-catchup)");
  } else {
    RunCatchup(ctx, dir->Sub("catchup"));
  }
  MeasureMachine(ctx, "raw_verify_end", "raw Ed25519 verify, at the end");
  WarnIfBusy(ctx);
}

Options ParseOptions(int argc, char** argv) {
  Options opt;
  CLI::App app{"custos_rpc_bench: a real custosd's submit throughput and latency over RPC, and a second node's\n"
               "catch-up, beside the raw Ed25519 verification rate measured in the same run."};
  app.add_option("--custosd", opt.custosd, "the custosd binary")->capture_default_str();
  app.add_option("--entries", opt.entries, "entries per submit run (each client count)")->capture_default_str();
  app.add_option("--per-call", opt.per_call, "submissions per submit call (at most 4096)")->capture_default_str();
  app.add_option("--clients", opt.clients, "client counts of the closed-loop runs")->delimiter(',')->capture_default_str();
  app.add_option("--paced-clients", opt.paced_clients, "clients of the paced run")->capture_default_str();
  app.add_option("--paced-seconds", opt.paced_seconds, "about how long the paced run lasts")->capture_default_str();
  app.add_flag("--no-catchup", opt.no_catchup, "skip part 2, the catch-up of a second node");
  app.add_option("--catchup-entries", opt.catchup_entries, "size of the log to catch up with")->capture_default_str();
  app.add_option("--catchup-timeout", opt.catchup_timeout, "seconds before the catch-up is given up")
      ->capture_default_str();
  app.add_option("--catchup-stall", opt.catchup_stall, "seconds without progress before it is given up")
      ->capture_default_str();
  app.add_option("--raw-seconds", opt.raw_seconds, "duration of each raw verification run")->capture_default_str();
  app.add_option("--examples", opt.examples, "directory of the example statements")->capture_default_str();
  app.add_option("--tmp", opt.tmp, "where to make the scratch directory (default $TMPDIR or /tmp)");
  app.add_option("--json", opt.json, "also write the figures as JSON to this file");
  app.add_flag("--keep", opt.keep, "keep the scratch directory (the nodes' logs and data)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  bool clients_ok = !opt.clients.empty() && std::find(opt.clients.begin(), opt.clients.end(), 0) == opt.clients.end();
  if (opt.entries == 0 || opt.per_call == 0 || opt.per_call > 4096 || !clients_ok || opt.paced_clients == 0 ||
      opt.catchup_entries < 3) {
    std::cerr << "custos_rpc_bench: --entries, --clients and --paced-clients must be positive, --per-call 1..4096,"
                 " --catchup-entries at least 3\n";
    std::exit(2);
  }
  if (access(opt.custosd.c_str(), X_OK) != 0) {
    std::cerr << "custos_rpc_bench: --custosd: " << opt.custosd << " is not an executable file\n";
    std::exit(2);
  }
  return opt;
}

void AddFacts(const Options& opt, Report& report) {
  std::string clients;
  for (size_t c : opt.clients) clients += (clients.empty() ? "" : ",") + std::to_string(c);
  report.AddFact("cpu", CpuModel());
  report.AddFact("cores", std::to_string(std::thread::hardware_concurrency()));
  report.AddFact("load at start", LoadAverage());
  report.AddFact("libsodium", sodium_version_string());
  report.AddFact("custosd", opt.custosd);
  report.AddFact("entries per run", std::to_string(opt.entries));
  report.AddFact("per call", std::to_string(opt.per_call));
  report.AddFact("clients", clients + "; paced " + std::to_string(opt.paced_clients));
  report.AddFact("raw verify", std::to_string(kRawMessageBytes) + "-byte messages, " +
                                   CLI::detail::to_string(opt.raw_seconds) + " s per run");
}

int Run(int argc, char** argv) {
  Options opt = ParseOptions(argc, argv);
  InitCrypto();
  // A node that hangs up must not kill the benchmark with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  return RunBenchmark("custos_rpc_bench", opt.keep, opt.json, [&opt](Report& report) {
    AddFacts(opt, report);
    RunParts(opt, report);
  });
}

}  // namespace
}  // namespace custos::bench

int main(int argc, char** argv) { return custos::bench::Run(argc, argv); }
