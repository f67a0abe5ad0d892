// custos_bench: the ledger's figures on this machine, in one run, beside the
// machine's own limit (raw Ed25519 verifications per second on all cores).
// See scripts/bench.sh.
//
// The run: (1) raw verification rate, all cores and one core; (2) batch append
// of pre-signed submissions on small fresh logs at a few batch sizes; (3) a log
// of --entries entries built by appending batches of --batch, timing only the
// Append calls; (4) reopen time and proof latency on it; (5) full verification
// (VerifyStoredLog); (6) bytes on disk per entry, after close and after a full
// compaction, against the entries' own canonical size. The log lives in a
// scratch directory that is removed at the end (unless --keep).
//
// Beside each rate: the CPU time it cost per entry (all threads, LevelDB's
// compaction included) against the CPU time of one raw verification, and how
// many cores other processes used meanwhile. A busy machine lowers the rates
// but hardly the CPU figures, so a miss can be told from a noisy run.
#include <CLI/CLI.hpp>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <atomic>
#include <mutex>
#include <thread>

#include "ledger/log/log.h"
#include "ledger/log/verify.h"
#include "ledger/storage/clock.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/disk_usage.h"
#include "tests/bench/phase_meter.h"
#include "tests/bench/raw_verify.h"
#include "tests/bench/report.h"
#include "tests/bench/workload.h"

namespace custos::bench {
namespace {

// Targets (docs/performance.md).
constexpr double kMinRateRatio = 0.60;
constexpr double kMaxInclusionP50Us = 20;
constexpr double kMaxReopenSeconds = 0.5;
constexpr double kMaxDiskRatio = 1.5;
// The raw verification messages: about the size of a signed statement.
constexpr size_t kRawMessageBytes = 400;
// Above this average load from other processes during a phase, the run warns.
constexpr double kBusyCores = 0.2;

struct Options {
  uint64_t entries = 1000000;
  size_t batch = 1000;
  // Callers of Append at once while building the big log: 1, or 2 as custosd's
  // group commit runs it (one batch's signatures are checked while the
  // previous one is written: Log::Append checks before it takes its lock).
  size_t appenders = 2;
  std::vector<size_t> sweep = {100, 5000};
  uint64_t sweep_entries = 50000;
  size_t queries = 10000;
  double raw_seconds = 2;
  uint64_t seed = 1;
  std::string examples = CUSTOS_SOURCE_DIR "/examples";
  std::string tmp;
  std::string json;
  bool keep = false;
};

[[noreturn]] void Fail(const std::string& what, const Status& status) {
  std::cerr << "custos_bench: " << what << ": " << status.ToString() << "\n";
  std::exit(1);
}

// ---- building logs ----------------------------------------------------------

LogOptions OptionsFor(const std::string& path, Clock* clock) {
  LogOptions o;
  o.path = path;
  o.clock = clock;
  return o;
}

// A new log whose admin has granted the officer its roles.
std::unique_ptr<Log> CreateLog(const std::string& path, const Workload& w, ManualClock& clock,
                               const Options& opt) {
  auto log = CreateGrantedLog(OptionsFor(path, &clock), w.keys, opt.examples, clock.NowMillis());
  if (!log.ok()) Fail("creating a log at " + path, log.status());
  return std::move(log).value();
}

struct AppendFigures {
  uint64_t entries = 0;
  double append_seconds = 0;  // inside Log::Append only; pre-signing is not timed
  PhaseUsage usage;           // CPU and machine load over the same calls
  std::vector<double> batch_ms;
  uint64_t signed_bytes = 0;  // total size of the submissions
  uint64_t first_chunk_entries = 0, last_chunk_entries = 0;
  double first_chunk_rate = 0, last_chunk_rate = 0;  // does the rate hold as the log grows?
};

double Rate(const AppendFigures& f) { return static_cast<double>(f.entries) / f.append_seconds; }

// Appends pre-signed submissions in batches of `batch` from `appenders`
// threads at once (each takes the next batch), timing each Append. Returns the
// wall-clock seconds the chunk took.
double AppendTimed(Log& log, const std::vector<Bytes>& subs, size_t batch, size_t appenders, ManualClock& clock,
                   AppendFigures& f) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  auto run = [&] {
    for (;;) {
      size_t at = next.fetch_add(batch);
      if (at >= subs.size()) return;
      auto part = std::span<const Bytes>(subs).subspan(at, std::min(batch, subs.size() - at));
      clock.Advance(1);
      auto start = SteadyClock::now();
      auto results = log.Append(part, BatchMode::kAllOrNothing);
      double s = SecondsSince(start);
      for (const auto& r : results) {
        if (!r.ok()) Fail("appending a batch", r.status());
      }
      std::lock_guard lock(mu);
      f.batch_ms.push_back(1000 * s);
      f.entries += part.size();
    }
  };
  auto start = SteadyClock::now();
  std::vector<std::thread> others;
  for (size_t i = 1; i < appenders; ++i) others.emplace_back(run);
  run();
  for (auto& t : others) t.join();
  double total = SecondsSince(start);
  f.append_seconds += total;
  return total;
}

void NoteChunk(AppendFigures& f, size_t n, double seconds) {
  double rate = static_cast<double>(n) / seconds;
  if (f.first_chunk_entries == 0) {
    f.first_chunk_entries = n;
    f.first_chunk_rate = rate;
  }
  f.last_chunk_entries = n;
  f.last_chunk_rate = rate;
}

// Appends `count` unique evidence statements, all signed before the first
// Append (~1 GB for 1,000,000), then appended in chunks of ~100,000 whose
// rates are noted. Signing between the chunks instead left LevelDB's
// compactions untimed pauses to catch up in, which a node under steady load
// never has.
AppendFigures AppendEvidence(Log& log, const Workload& w, ManualClock& clock, uint64_t count, size_t batch,
                             size_t appenders, bool progress) {
  constexpr uint64_t kChunkTarget = 100000;
  const uint64_t chunk = std::max<uint64_t>(batch, kChunkTarget / batch * batch);
  PhaseMeter meter;
  AppendFigures f;
  const int64_t statement_time = clock.NowMillis();
  std::vector<std::vector<Bytes>> chunks;
  {
    WorkerPool signers(0);
    for (uint64_t done = 0; done < count;) {
      size_t n = static_cast<size_t>(std::min(chunk, count - done));
      // Each statement carries the log time of the batch it goes in (the
      // clock advances 1 ms per batch), as an officer's client signs just
      // before it submits.
      chunks.push_back(PresignStatements(w.evidence, w.keys.officer, statement_time, done, n, signers, batch));
      for (const auto& s : chunks.back()) f.signed_bytes += s.size();
      done += n;
    }
  }
  uint64_t done = 0;
  for (auto& subs : chunks) {
    const size_t n = subs.size();
    meter.Resume();
    double seconds = AppendTimed(log, subs, batch, appenders, clock, f);
    meter.Pause();
    NoteChunk(f, n, seconds);
    std::vector<Bytes>().swap(subs);  // appended: its memory can go
    done += n;
    if (progress) {
      Progress("appended " + std::to_string(done) + "/" + std::to_string(count) + ": " +
               std::to_string(static_cast<uint64_t>(static_cast<double>(n) / seconds)) + " entries/s over the last " +
               std::to_string(n));
    }
  }
  f.usage = meter.Usage();
  return f;
}

// ---- proofs and reopening ---------------------------------------------------

struct Latency {
  double p50_us = 0, p99_us = 0, max_us = 0;
};

Latency Summarise(const std::vector<double>& us) {
  return Latency{Percentile(us, 0.50), Percentile(us, 0.99), *std::max_element(us.begin(), us.end())};
}

// `query(rng)` makes one proof; returns the latency distribution.
template <typename Query>
Latency TimeQueries(size_t queries, std::mt19937_64& rng, Query&& query) {
  std::vector<double> us;
  us.reserve(queries);
  for (size_t i = 0; i < queries; ++i) {
    auto start = SteadyClock::now();
    query(rng);
    us.push_back(1e6 * SecondsSince(start));
  }
  return Summarise(us);
}

Latency InclusionLatency(const Log& log, size_t queries, std::mt19937_64& rng) {
  const uint64_t size = log.size();
  return TimeQueries(queries, rng, [&](std::mt19937_64& r) {
    uint64_t index = std::uniform_int_distribution<uint64_t>(0, size - 1)(r);
    auto proof = log.InclusionProof(index, size);
    if (!proof.ok()) Fail("inclusion proof of " + std::to_string(index), proof.status());
  });
}

Latency ConsistencyLatency(const Log& log, size_t queries, std::mt19937_64& rng) {
  const uint64_t size = log.size();
  return TimeQueries(queries, rng, [&](std::mt19937_64& r) {
    uint64_t old_size = std::uniform_int_distribution<uint64_t>(1, size - 1)(r);
    auto proof = log.ConsistencyProof(old_size, size);
    if (!proof.ok()) Fail("consistency proof from " + std::to_string(old_size), proof.status());
  });
}

std::pair<std::unique_ptr<Log>, double> TimedOpen(const LogOptions& options) {
  auto start = SteadyClock::now();
  auto log = Log::Open(options);
  double s = SecondsSince(start);
  if (!log.ok()) Fail("reopening " + options.path, log.status());
  return {std::move(log).value(), s};
}

void AddDiskRows(const KeySpace& space, uint64_t after_close, uint64_t after_compaction, Report& report) {
  const PrefixStats& e = space.at(layout::kEntryPrefix);
  double n = static_cast<double>(e.records);
  double entry = static_cast<double>(e.value_bytes) / n;
  report.AddInfo("entry_bytes", "canonical entry, average", entry, "B");
  report.AddInfo("disk_per_entry_closed", "disk per entry, after close (no compaction)",
                 static_cast<double>(after_close) / n, "B");
  report.AddAtMost("disk_ratio_closed", "  disk / entry size", static_cast<double>(after_close) / n / entry, "x",
                   kMaxDiskRatio);
  report.AddInfo("disk_per_entry_compacted", "disk per entry, after compaction",
                 static_cast<double>(after_compaction) / n, "B");
  report.AddAtMost("disk_ratio_compacted", "  disk / entry size", static_cast<double>(after_compaction) / n / entry,
                   "x", kMaxDiskRatio);
  for (const auto& [prefix, s] : space) {
    if (s.records < 2) continue;
    report.AddInfo(std::string("live_bytes_per_entry_") + prefix,
                   "  live " + PrefixName(prefix) + " (key+value, uncompressed)",
                   static_cast<double>(s.key_bytes + s.value_bytes) / n, "B");
  }
}

// ---- the phases -------------------------------------------------------------

class Bench {
 public:
  Bench(const Options& opt, Workload w, const ScratchDir& dir, Report& report)
      : opt_(opt), w_(std::move(w)), dir_(dir), report_(report) {}

  void Run() {
    MeasureMachine();
    MeasureSweep();
    const std::string path = dir_.Sub("log");
    MeasureBuild(path);  // closes the log on return
    uint64_t after_close = DirectoryBytes(path);
    MeasureProofs(path);
    MeasureVerify(path);
    MeasureDisk(path, after_close);
    MeasureMachineAgain();
  }

 private:
  void MeasureMachine() {
    Progress("raw Ed25519 verification, all cores");
    machine_ = MeasureMachineLimit(kRawMessageBytes, opt_.raw_seconds);
    Progress("raw Ed25519 verification, 1 thread");
    double one = MeasureRawVerify(1, kRawMessageBytes, opt_.raw_seconds).per_second;
    report_.AddInfo("raw_verify_all_cores", "raw Ed25519 verify, " + std::to_string(machine_.cores) + " threads",
                    machine_.all_cores_rate, "entries/s");
    report_.AddInfo("raw_verify_cpu_us", "  CPU per verification", machine_.cpu_us, "us");
    AddOthers("raw_verify", machine_.usage);
    report_.AddInfo("raw_verify_one_core", "raw Ed25519 verify, 1 thread", one, "entries/s");
  }

  // A second look at the limit: if other work shared the cores during the
  // run, the two raw figures differ and the ratios above are suspect.
  void MeasureMachineAgain() {
    Progress("raw Ed25519 verification again, all cores");
    RawVerifyRate again;
    PhaseUsage u = MeasurePhase([&] { again = MeasureRawVerify(machine_.cores, kRawMessageBytes, opt_.raw_seconds); });
    report_.AddInfo("raw_verify_all_cores_end", "raw Ed25519 verify, all cores, at the end", again.per_second,
                    "entries/s");
    AddOthers("raw_verify_end", u);
  }

  // Rows that say how much CPU a rate cost and how busy the machine was.
  void AddCost(const std::string& key, const PhaseUsage& u, uint64_t entries) {
    report_.AddCpuCost(key + "_cpu_us", "  CPU per entry (all threads) vs raw", 1e6 * u.cpu_seconds /
                       static_cast<double>(entries), machine_.cpu_us);
    AddOthers(key, u);
  }

  void AddOthers(const std::string& key, const PhaseUsage& u) {
    report_.AddInfo(key + "_other_cores", "  other processes meanwhile", u.other_cores, "cores");
    if (u.other_cores > busiest_) {
      busiest_ = u.other_cores;
      busiest_phase_ = key;
    }
  }

  // Append rates at other batch sizes, each on a fresh small log.
  void MeasureSweep() {
    for (size_t batch : opt_.sweep) {
      Progress("append sweep: batch " + std::to_string(batch) + ", " + std::to_string(opt_.sweep_entries) +
               " entries");
      ManualClock clock(SystemClock().NowMillis());
      std::string path = dir_.Sub("sweep-" + std::to_string(batch));
      {
        auto log = CreateLog(path, w_, clock, opt_);
        AppendFigures f = AppendEvidence(*log, w_, clock, opt_.sweep_entries, batch, opt_.appenders, false);
        std::string key = "append_batch_" + std::to_string(batch) + "_fresh";
        report_.AddRate(key, "append, batch " + std::to_string(batch) + " (fresh log, " +
                        std::to_string(f.entries) + ")", Rate(f), machine_.all_cores_rate, kMinRateRatio);
        AddCost(key, f.usage, f.entries);
      }
      std::filesystem::remove_all(path);
    }
  }

  void MeasureBuild(const std::string& path) {
    ManualClock clock(SystemClock().NowMillis());
    auto log = CreateLog(path, w_, clock, opt_);
    uint64_t count = opt_.entries > log->size() ? opt_.entries - log->size() : 0;
    Progress("building the log: " + std::to_string(count) + " evidence entries in batches of " +
             std::to_string(opt_.batch));
    AppendFigures f = AppendEvidence(*log, w_, clock, count, opt_.batch, opt_.appenders, true);
    // LevelDB's own account of the build's compactions (per level: files,
    // size, seconds, MB read and written): where the time beyond signatures goes.
    std::string stats;
    if (log->store().db().GetProperty("leveldb.stats", &stats)) Progress("LevelDB after the build:\n" + stats);
    if (log->store().entries_db().GetProperty("leveldb.stats", &stats)) Progress("its entries database:\n" + stats);
    std::string key = "append_batch_" + std::to_string(opt_.batch);
    report_.AddRate(key, "append, batch " + std::to_string(opt_.batch) + " (to " + std::to_string(log->size()) + ")",
                    Rate(f), machine_.all_cores_rate, kMinRateRatio);
    AddCost(key, f.usage, f.entries);
    report_.AddInfo(key + "_first_chunk", "  rate over the first " + std::to_string(f.first_chunk_entries),
                    f.first_chunk_rate, "entries/s");
    report_.AddInfo(key + "_last_chunk", "  rate over the last " + std::to_string(f.last_chunk_entries),
                    f.last_chunk_rate, "entries/s");
    report_.AddInfo(key + "_p50_ms", "  one Append call, p50", Percentile(f.batch_ms, 0.5), "ms");
    report_.AddInfo(key + "_p99_ms", "  one Append call, p99", Percentile(f.batch_ms, 0.99), "ms");
    report_.AddInfo("submission_bytes", "  average signed submission",
                    static_cast<double>(f.signed_bytes) / static_cast<double>(f.entries), "B");
    // Closing flushes both memtables (ledger/storage/store.cc), which a clean reopen
    // then need not replay: the reopen figure below is after this.
    auto start = SteadyClock::now();
    log.reset();
    report_.AddInfo("close_s", "close (flushes the memtables)", SecondsSince(start), "s");
  }

  void MeasureProofs(const std::string& path) {
    auto [log, seconds] = TimedOpen(OptionsFor(path, nullptr));
    report_.AddAtMost("reopen_s", "reopen (Log::Open) after close", seconds, "s", kMaxReopenSeconds);
    std::mt19937_64 rng(opt_.seed);
    Progress("inclusion proofs: " + std::to_string(opt_.queries) + " random queries at size " +
             std::to_string(log->size()));
    Latency inc = InclusionLatency(*log, opt_.queries, rng);
    Progress("consistency proofs: " + std::to_string(opt_.queries) + " random queries");
    Latency con = ConsistencyLatency(*log, opt_.queries, rng);
    report_.AddAtMost("inclusion_p50_us", "inclusion proof, p50", inc.p50_us, "us", kMaxInclusionP50Us);
    report_.AddInfo("inclusion_p99_us", "inclusion proof, p99", inc.p99_us, "us");
    report_.AddInfo("consistency_p50_us", "consistency proof, p50", con.p50_us, "us");
    report_.AddInfo("consistency_p99_us", "consistency proof, p99", con.p99_us, "us");
  }

  void MeasureVerify(const std::string& path) {
    Progress("log verify (VerifyStoredLog)");
    std::optional<Result<VerifyReport>> verified;
    PhaseUsage u = MeasurePhase([&] { verified.emplace(VerifyStoredLog(OptionsFor(path, nullptr), nullptr)); });
    if (!verified->ok()) Fail("verifying the log", verified->status());
    uint64_t n = (*verified)->size;
    report_.AddRate("verify", "log verify (VerifyStoredLog, " + std::to_string(n) + ")",
                    static_cast<double>(n) / u.wall_seconds, machine_.all_cores_rate, kMinRateRatio);
    AddCost("verify", u, n);
  }

  void MeasureDisk(const std::string& path, uint64_t after_close) {
    Progress("full compaction and key-space scan");
    auto start = SteadyClock::now();
    auto space = CompactAndScan(path);
    if (!space.ok()) Fail("compacting the log", space.status());
    report_.AddInfo("compaction_s", "full compaction + scan (not a target)", SecondsSince(start), "s");
    AddDiskRows(*space, after_close, DirectoryBytes(path), report_);
    auto [log, seconds] = TimedOpen(OptionsFor(path, nullptr));
    report_.AddAtMost("reopen_compacted_s", "reopen (Log::Open) after compaction", seconds, "s", kMaxReopenSeconds);
  }

 public:
  // The most cores other processes kept busy during any measured phase, and that phase.
  double busiest() const { return busiest_; }
  const std::string& busiest_phase() const { return busiest_phase_; }

 private:
  const Options& opt_;
  Workload w_;
  const ScratchDir& dir_;
  Report& report_;
  MachineLimit machine_;  // measured at the start of the run
  double busiest_ = 0;
  std::string busiest_phase_;
};

Options ParseOptions(int argc, char** argv) {
  Options opt;
  if (const char* env = std::getenv("CUSTOS_BENCH_ENTRIES")) opt.entries = std::stoull(env);
  CLI::App app{"custos_bench: the ledger's append, verify, proof, reopen and disk figures on this machine,\n"
               "beside the raw Ed25519 verification rate measured in the same run."};
  app.add_option("--entries", opt.entries, "entries in the big log (env CUSTOS_BENCH_ENTRIES)")->capture_default_str();
  app.add_option("--batch", opt.batch, "submissions per Append while building it")->capture_default_str();
  app.add_option("--appenders", opt.appenders,
                 "threads calling Append at once (2: as custosd's group commit, one batch checked while the "
                 "previous one is written)")
      ->capture_default_str()
      ->check(CLI::Range(1, 8));
  app.add_option("--sweep", opt.sweep, "other batch sizes, each on a fresh log (0: none)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--sweep-entries", opt.sweep_entries, "entries per sweep log")->capture_default_str();
  app.add_option("--queries", opt.queries, "random proof queries of each kind")->capture_default_str();
  app.add_option("--raw-seconds", opt.raw_seconds, "duration of each raw verification run")->capture_default_str();
  app.add_option("--seed", opt.seed, "seed of the random proof queries")->capture_default_str();
  app.add_option("--examples", opt.examples, "directory of the example statements")->capture_default_str();
  app.add_option("--tmp", opt.tmp, "where to make the scratch directory (default $TMPDIR or /tmp)");
  app.add_option("--json", opt.json, "also write the figures as JSON to this file");
  app.add_flag("--keep", opt.keep, "keep the scratch directory");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  std::erase(opt.sweep, size_t{0});
  if (opt.batch == 0 || opt.entries < 3 || opt.queries == 0) {
    std::cerr << "custos_bench: --batch and --queries must be positive, --entries at least 3\n";
    std::exit(2);
  }
  return opt;
}

void AddFacts(const Options& opt, Report& report) {
  report.AddFact("cpu", CpuModel());
  report.AddFact("cores", std::to_string(std::thread::hardware_concurrency()));
  report.AddFact("load at start", LoadAverage());
  report.AddFact("libsodium", sodium_version_string());
  // Always on (docs/leveldb-layout.md, "What the checks cost").
  report.AddFact("store checks", "paranoid_checks, verified reads, signed mark");
  report.AddFact("entries", std::to_string(opt.entries));
  report.AddFact("batch", std::to_string(opt.batch));
  report.AddFact("proof queries", std::to_string(opt.queries) + " of each kind, seed " + std::to_string(opt.seed));
  report.AddFact("raw verify", std::to_string(kRawMessageBytes) + "-byte messages, " +
                                   CLI::detail::to_string(opt.raw_seconds) + " s per run");
}

int Run(int argc, char** argv) {
  Options opt = ParseOptions(argc, argv);
  InitCrypto();
  auto run_start = SteadyClock::now();
  Report report;
  AddFacts(opt, report);
  auto dir = ScratchDir::Make(opt.tmp, opt.keep);
  if (!dir.ok()) Fail("making the scratch directory", dir.status());
  auto work = LoadWorkload(opt.examples);
  if (!work.ok()) Fail("loading the workload", work.status());
  Bench bench(opt, std::move(work).value(), **dir, report);
  bench.Run();
  report.AddFact("load at end", LoadAverage());
  report.AddFact("run time", std::to_string(static_cast<int>(SecondsSince(run_start))) + " s");
  if (bench.busiest() > kBusyCores) {
    char busiest[16];
    std::snprintf(busiest, sizeof busiest, "%.2f", bench.busiest());
    report.AddFact("WARNING", "other processes kept " + std::string(busiest) + " cores busy during " +
                              bench.busiest_phase() + " (see \"other processes meanwhile\"): rates measured then"
                              " are low; CPU per entry still holds");
  }
  if (!report.Finish(std::cout, opt.json)) Fail("writing " + opt.json, Status::IOError(opt.json));
  // Missed targets are figures, not failures: the table says which.
  return 0;
}

}  // namespace
}  // namespace custos::bench

int main(int argc, char** argv) { return custos::bench::Run(argc, argv); }
