// custos_http_bench — the HTTP read plane's figures on this machine (issue
// 13), beside the machine's own limit measured in the same run: the same
// answers computed in-process, without sockets or HTTP.
//
// 1. Builds a log of --subjects listings of distinct companies (through
//    Log::Append, as custosd appends, before the node starts) and starts a
//    real custosd on it with an http listener on 127.0.0.1 (no rate limit,
//    one HTTP thread per core).
// 2. Over loopback, --threads keep-alive HTTP/1.1 clients (Boost.Beast,
//    synchronous, one connection and one thread each) ask back to back, for
//    --warmup seconds not measured, then --seconds measured, one kind of
//    request at a time: listing checks (GET /v1/listings/org/<code>, half
//    listed, half never listed subjects, at random), the checkpoint, and full
//    level-0 tiles (at random). Every answer's status is checked; one in
//    kThoroughEvery is parsed whole and checked against the truth (a listing
//    answer's "listed" and "id", a checkpoint's origin and size).
// 3. Stops custosd, opens its store in this process as custosd does, and runs
//    the same requests through the node's own routes (node::HttpRoutes::Handle)
//    on the same number of threads: the rate HTTP would reach if the
//    transport cost nothing. The ratio HTTP / in-process is the share the
//    read plane keeps; beside it, custosd's CPU per request against the CPU
//    per answer in-process says what the transport costs the node itself
//    (the clients share the machine's cores with custosd).
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "crypto/note.h"
#include "ledger/log/log.h"
#include "ledger/storage/clock.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/tile_path.h"
#include "node/log_view.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/http_load.h"
#include "tests/bench/listing_workload.h"
#include "tests/bench/node_process.h"
#include "tests/bench/report.h"
#include "tests/bench/workload.h"

namespace custos::bench {
namespace {

constexpr double kStartTimeoutS = 30;
constexpr double kStopTimeoutS = 30;
// Listings per appended batch while the log is built.
constexpr size_t kBuildBatch = 1000;
// A full tile: 256 hashes of 32 bytes.
constexpr size_t kTileBytes = 256 * 32;
// Above this average load from other processes during a phase, the run warns.
constexpr double kBusyCores = 0.2;
// The clients' random choices (thread t uses kSeed + t).
constexpr uint64_t kSeed = 1300;
// How long to wait, at most, for compactions after the build or an open.
constexpr double kSettleTimeoutS = 120;

struct Options {
  std::string custosd = CUSTOS_CUSTOSD;
  std::string examples = CUSTOS_SOURCE_DIR "/examples";
  uint64_t subjects = 10'000;
  // Two connections per core: on the two-core VM that gave the highest
  // rates and the least custosd CPU per request; eight gave less
  // (docs/performance.md, "The HTTP read plane").
  size_t threads = 2 * std::max(1u, std::thread::hardware_concurrency());
  double seconds = 5;
  double warmup = 2;
  std::string tmp;
  std::string json;
  bool keep = false;
};

unsigned Cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// ---- the log and the node ---------------------------------------------------

// The node's log: genesis, the officer's grant, then Company(n, true) listed
// for every n < subjects, in batches as the node's group commit makes them.
// Returns its size.
uint64_t BuildLog(const Options& opt, const Workload& work, const NodeDir& node) {
  const Bytes listing = Must(ExampleStatement(opt.examples, "subject-listed"), "reading the listing example");
  const int64_t now = SystemClock().NowMillis();
  LogOptions options;
  options.path = node.ledger_path();
  auto log = Must(CreateGrantedLog(options, work.keys, opt.examples, now), "creating the node's log");
  WorkerPool signers(0);
  for (uint64_t done = 0; done < opt.subjects; done += kBuildBatch) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kBuildBatch, opt.subjects - done));
    auto results = log->Append(SignedListings(listing, work.keys, now, done, n, signers), BatchMode::kAllOrNothing);
    Must(results.at(0).status(), "appending listings");
    if ((done / kBuildBatch) % 50 == 49) Progress("build: " + std::to_string(done + n) + " listings appended");
  }
  return log->size();  // closed here: custosd opens it
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// node.json as WriteNodeConfig writes it, with an http listener on
// 127.0.0.1:`port`: no rate limit and no cap per client address (every
// client is this process), room for every connection, one thread per core.
Status WriteHttpConfig(const NodeDir& node, uint16_t port, size_t connections) {
  CUSTOS_RETURN_IF_ERROR(WriteNodeConfig(node, "127.0.0.1:0", {}));
  nlohmann::json config = nlohmann::json::parse(ReadText(node.config_file()), nullptr, false);
  if (!config.is_object()) return Status::IOError(node.config_file() + ": not the JSON object just written");
  config["http"] = {{"listen", "127.0.0.1:" + std::to_string(port)},
                    {"threads", Cores()},
                    {"requestsPerSecond", 0},
                    {"maxConnectionsPerClient", 0},
                    {"maxConnections", std::max<size_t>(512, connections + 16)}};
  std::ofstream out(node.config_file(), std::ios::trunc);
  out << config.dump(2) << "\n";
  out.close();
  if (!out) return Status::IOError("writing " + node.config_file() + " failed");
  return Status::OK();
}

// Waits until the node's HTTP listener answers its checkpoint (custosd
// binds it before it writes its RPC address file, but the port may have been
// taken by another process in between).
void WaitForHttp(const node::HostPort& address, const std::string& origin) {
  const auto start = SteadyClock::now();
  Status last;
  while (SecondsSince(start) < kStartTimeoutS) {
    auto fetcher = ConnectHttp(address);
    auto answer = fetcher.ok() ? (*fetcher)->Get(node::TlogPrefix(origin) + "checkpoint") : fetcher.status();
    if (answer.ok() && answer->status == 200) return;
    last = answer.ok() ? Status::IOError("status " + std::to_string(answer->status)) : answer.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Must(last, "the node's HTTP listener " + address.ToString());
}

// This process's CPU time so far (all threads), in seconds.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// Waits (at most kSettleTimeoutS) until `cpu_seconds` grows by less than
// 0.05 s in a second: LevelDB compacting after the build or an open would
// otherwise be measured with the requests. Returns the seconds waited.
double Settle(const std::function<double()>& cpu_seconds) {
  const auto start = SteadyClock::now();
  while (SecondsSince(start) < kSettleTimeoutS) {
    const double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (cpu_seconds() - before < 0.05) break;
  }
  return SecondsSince(start);
}

// ---- what the clients ask ---------------------------------------------------

Status Refuse(const std::string& target, const std::string& why) {
  return Status::Corruption("GET " + target + ": " + why);
}

// GET /v1/listings/org/<code>: targets [0, subjects) are listed companies,
// [subjects, 2 subjects) companies never listed.
Requests ListingRequests(uint64_t subjects) {
  Requests r;
  for (int listed = 1; listed >= 0; --listed) {
    for (uint64_t n = 0; n < subjects; ++n) r.targets.push_back("/v1/listings/org/" + Company(n, listed == 1));
  }
  r.check = [subjects](size_t i, const std::string& target, const Answer& a, bool thorough) -> Status {
    if (a.status != 200) return Refuse(target, "status " + std::to_string(a.status) + ": " + a.body);
    if (!thorough) return Status::OK();
    const nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
    const bool listed = i < subjects;
    const std::string id = target.substr(target.rfind('/') + 1);
    if (!j.is_object() || j.value("id", "") != id || !j.contains("listed") || j["listed"] != listed ||
        !j.contains("logs") || j["logs"].size() != 1) {
      return Refuse(target, std::string("not the answer for a subject ") + (listed ? "" : "never ") + "listed");
    }
    return Status::OK();
  };
  return r;
}

// GET /tlog/<origin>/checkpoint of a log of `size` entries.
Requests CheckpointRequests(const std::string& origin, uint64_t size) {
  Requests r;
  r.targets = {node::TlogPrefix(origin) + "checkpoint"};
  r.check = [origin, size](size_t, const std::string& target, const Answer& a, bool thorough) -> Status {
    if (a.status != 200) return Refuse(target, "status " + std::to_string(a.status) + ": " + a.body);
    if (!thorough) return Status::OK();
    auto note = Note::Parse(a.body);
    auto cp = note.ok() ? Checkpoint::Parse(note->text) : Result<Checkpoint>(note.status());
    if (!cp.ok()) return Refuse(target, cp.status().ToString());
    if (cp->origin != origin || cp->size != size) return Refuse(target, "not the log's latest checkpoint");
    return Status::OK();
  };
  return r;
}

// GET /tlog/<origin>/tile/0/<N>: every full level-0 tile of a log of `size`.
Requests TileRequests(const std::string& origin, uint64_t size) {
  Requests r;
  for (uint64_t n = 0; n < size / 256; ++n) {
    r.targets.push_back(node::TlogPrefix(origin) + merkle::FormatTilePath(merkle::TilePath{false, 0, n, 256}));
  }
  r.check = [](size_t, const std::string& target, const Answer& a, bool) -> Status {
    if (a.status != 200) return Refuse(target, "status " + std::to_string(a.status) + ": " + a.body);
    if (a.body.size() != kTileBytes) return Refuse(target, std::to_string(a.body.size()) + " bytes");
    return Status::OK();
  };
  return r;
}

struct Kind {
  std::string key;
  std::string name;
  Requests requests;
};

// The three kinds, in the order they run.
std::vector<Kind> MakeKinds(const Options& opt, uint64_t size) {
  std::vector<Kind> kinds;
  kinds.push_back({"listing", "listing checks (half listed)", ListingRequests(opt.subjects)});
  kinds.push_back({"checkpoint", "checkpoint", CheckpointRequests(std::string(kOrigin), size)});
  kinds.push_back({"tile", "full level-0 tiles", TileRequests(std::string(kOrigin), size)});
  return kinds;
}

// The same kind measured both ways.
struct Measured {
  LoadRun http;
  LoadRun local;
};

// ---- the two runs -----------------------------------------------------------

// Part 2: custosd on the log, --threads connections, each kind in turn.
void RunOverHttp(const Options& opt, const NodeDir& node, const std::vector<Kind>& kinds,
                 std::vector<Measured>& out, Report& report) {
  const uint16_t port = Must(FreeLocalPort(), "finding a port for the HTTP listener");
  Must(WriteHttpConfig(node, port, opt.threads), "writing the node's config");
  auto process = Must(NodeProcess::Start(opt.custosd, node, kStartTimeoutS), "starting custosd");
  const node::HostPort http{"127.0.0.1", port};
  WaitForHttp(http, node.origin);
  Progress("custosd: RPC on " + process->address().ToString() + ", HTTP on " + http.ToString());
  const double settled = Settle([&] { return process->CpuSeconds(); });
  report.AddFact("custosd settled", std::to_string(static_cast<int>(settled)) + " s (compactions after the open)");
  std::vector<std::unique_ptr<Fetcher>> connections;
  for (size_t t = 0; t < opt.threads; ++t) connections.push_back(Must(ConnectHttp(http), "connecting a client"));
  for (size_t k = 0; k < kinds.size(); ++k) {
    Progress("HTTP: " + kinds[k].name + ", " + std::to_string(opt.threads) + " connections");
    auto run = RunClosedLoop(connections, kinds[k].requests, opt.warmup, opt.seconds, kSeed,
                             [&] { return process->CpuSeconds(); });
    if (!run.ok()) Must(run.status().WithContext("custosd's log ends:\n" + process->LogTail()), "HTTP " + kinds[k].key);
    out[k].http = std::move(run).value();
  }
  connections.clear();
  Status st = process->Stop(kStopTimeoutS);
  if (!st.ok()) report.AddFact("WARNING", "stopping custosd: " + st.ToString());
}

// Part 3: the node's store opened here as custosd opens it, and the node's
// routes called on --threads threads.
void RunInProcess(const Options& opt, const Workload& work, const NodeDir& node, const std::vector<Kind>& kinds,
                  std::vector<Measured>& out) {
  StoreOptions options;
  options.path = node.ledger_path();
  options.known_origins = {node.origin};
  auto store = Must(Store::Open(options, OpenMode::kOpenExisting), "opening the node's store");
  auto log = Must(Log::Open(*store, work.keys.node), "opening the node's log");
  std::shared_ptr<node::LogView> view = node::NewOwnLogView(*log);
  // As custosd's: the one log, no witness, listing checks public.
  node::HttpSources sources;
  sources.origin = log->origin();
  sources.logs = {view};
  sources.store = store.get();
  const node::HttpRoutes routes(std::move(sources));
  Settle(ProcessCpuSeconds);
  std::vector<std::unique_ptr<Fetcher>> threads;
  for (size_t t = 0; t < opt.threads; ++t) threads.push_back(InProcess(routes));
  for (size_t k = 0; k < kinds.size(); ++k) {
    Progress("in-process: " + kinds[k].name + ", " + std::to_string(opt.threads) + " threads");
    out[k].local = Must(RunClosedLoop(threads, kinds[k].requests, opt.warmup, opt.seconds, kSeed, {}),
                        "in-process " + kinds[k].key);
  }
}

// ---- the report -------------------------------------------------------------

double PerSecond(const LoadRun& r) { return static_cast<double>(r.requests) / r.seconds; }
double CpuUsPer(double cpu_s, const LoadRun& r) { return 1e6 * cpu_s / static_cast<double>(r.requests); }

// The rows of one kind; returns the cores other processes kept busy (the
// most of its two runs).
double AddRows(Report& report, const Kind& kind, const Measured& m, size_t threads) {
  const std::string n = std::to_string(threads);
  const double http_rate = PerSecond(m.http), local_rate = PerSecond(m.local);
  report.Add(Row{kind.key + "_http", kind.name + " over HTTP, " + n + " conn.", http_rate, "req/s", local_rate,
                 "/s", http_rate / local_rate, "", std::nullopt});
  report.AddInfo(kind.key + "_http_p50_us", "  latency p50", Percentile(m.http.latency_us, 0.50), "us");
  report.AddInfo(kind.key + "_http_p99_us", "  latency p99", Percentile(m.http.latency_us, 0.99), "us");
  const double node_us = CpuUsPer(m.http.other_cpu_s, m.http);
  const double local_us = CpuUsPer(m.local.self.cpu_seconds, m.local);
  report.Add(Row{kind.key + "_node_cpu_us", "  custosd CPU per request vs in-process", node_us, "us", local_us, "us",
                 local_us / node_us, "", std::nullopt});
  report.AddInfo(kind.key + "_client_cpu_us", "  client CPU per request (this process)",
                 CpuUsPer(m.http.self.cpu_seconds, m.http), "us");
  report.AddInfo(kind.key + "_bytes", "  answer body, mean",
                 static_cast<double>(m.http.body_bytes) / static_cast<double>(m.http.requests), "bytes");
  report.AddInfo(kind.key + "_local", "  in-process, " + n + " threads", local_rate, "req/s");
  report.AddInfo(kind.key + "_local_p50_us", "  in-process latency p50", Percentile(m.local.latency_us, 0.50), "us");
  report.AddInfo(kind.key + "_local_p99_us", "  in-process latency p99", Percentile(m.local.latency_us, 0.99), "us");
  const double others = std::max(0.0, m.http.self.other_cores - m.http.other_cpu_s / m.http.seconds);
  report.AddInfo(kind.key + "_other_cores", "  other processes meanwhile (not custosd)", others, "cores");
  return std::max(others, m.local.self.other_cores);
}

void AddAllRows(Report& report, const std::vector<Kind>& kinds, const std::vector<Measured>& measured,
                size_t threads) {
  double busiest = 0;
  std::string phase;
  for (size_t k = 0; k < kinds.size(); ++k) {
    const double others = AddRows(report, kinds[k], measured[k], threads);
    if (others > busiest) busiest = others, phase = kinds[k].key;
  }
  if (busiest <= kBusyCores) return;
  char cores[16];
  std::snprintf(cores, sizeof cores, "%.2f", busiest);
  report.AddFact("WARNING", "other processes kept " + std::string(cores) + " cores busy during " + phase +
                                ": its rates are low; compare CPU per request instead");
}

void AddFacts(const Options& opt, Report& report) {
  report.AddFact("cpu", CpuModel());
  report.AddFact("cores", std::to_string(Cores()));
  report.AddFact("load at start", LoadAverage());
  report.AddFact("libsodium", sodium_version_string());
  report.AddFact("custosd", opt.custosd + " (HTTP threads: " + std::to_string(Cores()) + ", no rate limit)");
  report.AddFact("subjects", std::to_string(opt.subjects) + " listed, as many never listed");
  report.AddFact("clients", std::to_string(opt.threads) + " keep-alive connections / in-process threads");
  report.AddFact("each run", CLI::detail::to_string(opt.warmup) + " s warm-up, " + CLI::detail::to_string(opt.seconds) +
                                 " s measured; 1 answer in " + std::to_string(kThoroughEvery) + " parsed and checked");
  report.AddFact("seed", std::to_string(kSeed) + " + thread");
}

void RunParts(const Options& opt, Report& report) {
  auto dir = Must(ScratchDir::Make(opt.tmp, opt.keep), "making the scratch directory");
  const Workload work = Must(LoadWorkload(opt.examples), "loading the workload");
  const NodeDir node = Must(PrepareNodeDir(dir->Sub("node"), work.keys.node), "preparing the node's directory");
  Progress("build: " + std::to_string(opt.subjects) + " listings");
  const auto build_start = SteadyClock::now();
  const uint64_t size = BuildLog(opt, work, node);
  report.AddFact("log", std::to_string(size) + " entries, built in " +
                            std::to_string(static_cast<int>(SecondsSince(build_start))) + " s through Log::Append");
  const std::vector<Kind> kinds = MakeKinds(opt, size);
  std::vector<Measured> measured(kinds.size());
  RunOverHttp(opt, node, kinds, measured, report);
  RunInProcess(opt, work, node, kinds, measured);
  AddAllRows(report, kinds, measured, opt.threads);
}

Options ParseOptions(int argc, char** argv) {
  Options opt;
  CLI::App app{"custos_http_bench: a real custosd's HTTP read plane over loopback (listing checks, checkpoint,\n"
               "tiles: requests/s, p50, p99) beside the same answers computed in-process in the same run."};
  app.add_option("--custosd", opt.custosd, "the custosd binary")->capture_default_str();
  app.add_option("--subjects", opt.subjects, "companies listed in the log (as many never listed are asked too)")
      ->capture_default_str();
  app.add_option("--threads", opt.threads, "client connections over HTTP, and threads in-process")
      ->capture_default_str();
  app.add_option("--seconds", opt.seconds, "measured seconds of each run")->capture_default_str();
  app.add_option("--warmup", opt.warmup, "seconds of each run not measured, before the measured ones")
      ->capture_default_str();
  app.add_option("--examples", opt.examples, "directory of the example statements")->capture_default_str();
  app.add_option("--tmp", opt.tmp, "where to make the scratch directory (default $TMPDIR or /tmp)");
  app.add_option("--json", opt.json, "also write the figures as JSON to this file");
  app.add_flag("--keep", opt.keep, "keep the scratch directory (the node's log and data)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (opt.subjects < 256 || opt.subjects >= 1'000'000'000 || opt.threads == 0 || opt.threads > 1024 ||
      opt.seconds <= 0 || opt.warmup < 0) {
    std::cerr << "custos_http_bench: --subjects 256..999999999 (a full tile needs 256 entries), --threads 1..1024,"
                 " --seconds > 0, --warmup >= 0\n";
    std::exit(2);
  }
  if (access(opt.custosd.c_str(), X_OK) != 0) {
    std::cerr << "custos_http_bench: --custosd: " << opt.custosd << " is not an executable file\n";
    std::exit(2);
  }
  return opt;
}

int Run(int argc, char** argv) {
  const Options opt = ParseOptions(argc, argv);
  InitCrypto();
  // A node that hangs up must not kill the benchmark with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  return RunBenchmark("custos_http_bench", opt.keep, opt.json, [&opt](Report& report) {
    AddFacts(opt, report);
    RunParts(opt, report);
  });
}

}  // namespace
}  // namespace custos::bench

int main(int argc, char** argv) { return custos::bench::Run(argc, argv); }
