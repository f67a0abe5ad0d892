// custos_map_bench: what one listing costs in the listings map, at
// --subjects subjects (default 1,000,000), beside the raw SHA-256 rate.
//
// The run: (1) builds the map through the LevelDB-backed store in batches of
// --batch, hashing on all cores (--threads), each batch one unsynced write;
// (2) Google Benchmark times a SHA-256 of 64 bytes (an interior hash is two
// compressions, as is this), a single-subject update of a listed subject and
// the listing of a new one (Apply plus an unsynced write of its batch: the
// synced write is group-committed with the log's entries and is the log's
// cost, not the map's; each runs at least a second, as it pays for the
// compactions its writes cause), and proof generation and verification, whose
// p50 and p99 are reported as counters; (3) prints the figures side by side. The
// database lives in a scratch directory removed at the end (unless --keep).
//
// Google Benchmark's own flags (--benchmark_filter, ...) pass through.
#include <benchmark/benchmark.h>
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "ledger/listings/listings_map.h"
#include "ledger/storage/worker_pool.h"
#include "tests/bench/bench_util.h"

namespace custos::bench {
namespace {

using listings::ListingsMap;
using listings::MapUpdate;
using listings::SubjectKey;

struct Options {
  uint64_t subjects = 1000000;
  uint64_t batch = 100000;
  size_t threads = 0;  // 0: all cores
  std::string dir;
  bool keep = false;
};

// What the benchmarks measured, for the summary (the last run of each).
struct Figures {
  double build_seconds = 0;
  double sha_ns = 0;
  double update_us = 0, insert_us = 0;
  double prove_p50_us = 0, prove_p99_us = 0, verify_p50_us = 0, verify_p99_us = 0;
  double proof_bytes = 0;
};

// The benchmarks' shared state: the database and the map's subjects.
struct Bench {
  Options options;
  std::unique_ptr<ScratchDir> scratch;
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<leveldb::DB> db;
  std::unique_ptr<WorkerPool> pool;
  uint64_t next_new_subject = 0;  // subjects >= options.subjects are not listed yet
  Figures figures;
};
Bench* g_bench = nullptr;

SubjectKey Subject(uint64_t i) {
  return listings::DeriveSubjectKey(listings::SubjectKind::kUnifiedSocialCreditCode, "subject-" + std::to_string(i));
}
Hash Listing(uint64_t i, uint64_t version) {
  return Sha256::Digest("listing " + std::to_string(i) + " v" + std::to_string(version));
}

double Micros(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

Status OpenDatabase(Bench& b) {
  leveldb::Options o;
  o.create_if_missing = true;
  o.error_if_exists = true;
  b.cache.reset(leveldb::NewLRUCache(64 << 20));  // as Store (ledger/storage/store.cc)
  b.filter.reset(leveldb::NewBloomFilterPolicy(10));
  o.block_cache = b.cache.get();
  o.filter_policy = b.filter.get();
  o.write_buffer_size = 32 << 20;
  o.max_file_size = 4 << 20;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(o, b.scratch->Sub("db"), &db);
  if (!s.ok()) return Status::IOError("opening the database: " + s.ToString());
  b.db.reset(db);
  return Status::OK();
}

// One Apply and one unsynced write of its batch; the new root.
Result<Hash> ApplyAndWrite(Bench& b, std::span<const MapUpdate> updates, bool parallel) {
  leveldb::WriteBatch batch;
  listings::LevelDbMapNodeStore store(*b.db, layout::kOwnLog, batch);
  listings::ForEachFn for_each;
  if (parallel) for_each = [&b](size_t n, const std::function<void(size_t)>& fn) { b.pool->ForEach(n, fn); };
  ListingsMap map(store, for_each);
  CUSTOS_ASSIGN_OR_RETURN(Hash root, map.Apply(updates));
  leveldb::Status s = b.db->Write(leveldb::WriteOptions(), &batch);
  if (!s.ok()) return Status::IOError("writing a batch: " + s.ToString());
  return root;
}

Status BuildMap(Bench& b) {
  const auto start = SteadyClock::now();
  for (uint64_t first = 0; first < b.options.subjects; first += b.options.batch) {
    const uint64_t end = std::min(b.options.subjects, first + b.options.batch);
    std::vector<MapUpdate> updates;
    updates.reserve(end - first);
    for (uint64_t i = first; i < end; ++i) updates.push_back({Subject(i), Listing(i, 0)});
    CUSTOS_ASSIGN_OR_RETURN(Hash root, ApplyAndWrite(b, updates, true));
    Progress("map: " + std::to_string(end) + " subjects, root " + HexEncode(root.span()).substr(0, 16) + "…, " +
             std::to_string(SecondsSince(start)) + " s");
  }
  b.figures.build_seconds = SecondsSince(start);
  b.next_new_subject = b.options.subjects;
  return Status::OK();
}

// The map as the database holds it, for reading.
struct MapView {
  explicit MapView(Bench& b) : store(*b.db, layout::kOwnLog, unused), map(store) {}
  leveldb::WriteBatch unused;
  listings::LevelDbMapNodeStore store;
  ListingsMap map;
};

// Subject i for a proof: listed (i < subjects) or not (never listed), at random.
uint64_t HalfListed(std::mt19937_64& rng, uint64_t subjects) {
  return rng() % 2 == 0 ? rng() % subjects : 4 * subjects + rng() % subjects;
}

// --- The benchmarks

void BM_Sha256Of64Bytes(benchmark::State& state) {
  uint8_t block[64] = {};
  const auto start = SteadyClock::now();
  for (auto _ : state) {
    Hash h = ThreadSha256().Update(ByteSpan(block, sizeof block)).Finish();
    std::memcpy(block, h.bytes.data(), 32);  // a chain, as on a Merkle path
  }
  g_bench->figures.sha_ns = Micros(start, SteadyClock::now()) * 1000 / static_cast<double>(state.iterations());
}

// Re-lists a random listed subject with a new state.
void BM_UpdateListedSubject(benchmark::State& state) {
  Bench& b = *g_bench;
  std::mt19937_64 rng(1);
  uint64_t version = 1;
  const auto start = SteadyClock::now();
  for (auto _ : state) {
    const uint64_t i = rng() % b.options.subjects;
    const MapUpdate u{Subject(i), Listing(i, version++)};
    if (!ApplyAndWrite(b, std::span(&u, 1), false).ok()) state.SkipWithError("update failed");
  }
  b.figures.update_us = Micros(start, SteadyClock::now()) / static_cast<double>(state.iterations());
}

// Lists a subject that was not listed.
void BM_ListNewSubject(benchmark::State& state) {
  Bench& b = *g_bench;
  const auto start = SteadyClock::now();
  for (auto _ : state) {
    const uint64_t i = b.next_new_subject++;
    const MapUpdate u{Subject(i), Listing(i, 0)};
    if (!ApplyAndWrite(b, std::span(&u, 1), false).ok()) state.SkipWithError("insert failed");
  }
  b.figures.insert_us = Micros(start, SteadyClock::now()) / static_cast<double>(state.iterations());
}

// Proofs for random subjects, half listed and half not.
void BM_Prove(benchmark::State& state) {
  Bench& b = *g_bench;
  MapView view(b);
  std::mt19937_64 rng(2);
  std::vector<double> us;
  size_t bytes = 0;
  for (auto _ : state) {
    const SubjectKey key = Subject(HalfListed(rng, b.options.subjects));
    const auto t0 = SteadyClock::now();
    auto proof = view.map.Prove(key);
    us.push_back(Micros(t0, SteadyClock::now()));
    if (!proof.ok()) state.SkipWithError("prove failed");
    bytes += proof->Encode().size();
  }
  b.figures.prove_p50_us = Percentile(us, 0.5);
  b.figures.prove_p99_us = Percentile(us, 0.99);
  b.figures.proof_bytes = static_cast<double>(bytes) / static_cast<double>(us.size());
  state.counters["p50_us"] = b.figures.prove_p50_us;
  state.counters["p99_us"] = b.figures.prove_p99_us;
  state.counters["bytes"] = b.figures.proof_bytes;
}

void BM_Verify(benchmark::State& state) {
  Bench& b = *g_bench;
  MapView view(b);
  const Hash root = *view.map.Root();
  std::vector<listings::MapProof> proofs;
  std::mt19937_64 rng(3);
  for (int n = 0; n < 256; ++n) proofs.push_back(*view.map.Prove(Subject(HalfListed(rng, b.options.subjects))));
  std::vector<double> us;
  size_t n = 0;
  for (auto _ : state) {
    const listings::MapProof& p = proofs[n++ % proofs.size()];
    const auto t0 = SteadyClock::now();
    Status s = listings::VerifyMapProof(root, p.key, p.value, p);
    us.push_back(Micros(t0, SteadyClock::now()));
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  b.figures.verify_p50_us = Percentile(us, 0.5);
  b.figures.verify_p99_us = Percentile(us, 0.99);
  state.counters["p50_us"] = b.figures.verify_p50_us;
  state.counters["p99_us"] = b.figures.verify_p99_us;
}

uint64_t DirectoryBytes(const std::string& path) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

void PrintSummary(const Bench& b) {
  const Figures& f = b.figures;
  const double sha_us = f.sha_ns / 1000;
  auto in_hashes = [&](double us) { return sha_us > 0 ? us / sha_us : 0; };
  std::printf("\nlistings map, %llu subjects, LevelDB, %zu threads for the build (%s; load %s)\n",
              static_cast<unsigned long long>(b.options.subjects), b.pool->size(), CpuModel().c_str(),
              LoadAverage().c_str());
  std::printf("  raw SHA-256 of 64 bytes     %8.1f ns   (%.2f M/s on one core)\n", f.sha_ns, 1000 / f.sha_ns);
  std::printf("  build, batches of %-8llu  %8.1f s    (%.0f subjects/s)\n",
              static_cast<unsigned long long>(std::min(b.options.batch, b.options.subjects)), f.build_seconds,
              static_cast<double>(b.options.subjects) / f.build_seconds);
  std::printf("  update a listed subject     %8.1f us   = %.0f raw SHA-256 (the path is 256 hashes)\n", f.update_us,
              in_hashes(f.update_us));
  std::printf("  list a new subject          %8.1f us   = %.0f raw SHA-256\n", f.insert_us, in_hashes(f.insert_us));
  std::printf("  prove (half listed)   p50   %8.1f us   p99 %.1f us   (%.0f bytes)\n", f.prove_p50_us, f.prove_p99_us,
              f.proof_bytes);
  std::printf("  verify                p50   %8.1f us   p99 %.1f us   = %.0f raw SHA-256 at p50\n", f.verify_p50_us,
              f.verify_p99_us, in_hashes(f.verify_p50_us));
  std::printf("  database on disk            %8.1f MB   (%.0f bytes per subject, before compaction)\n",
              static_cast<double>(DirectoryBytes(b.scratch->Sub("db"))) / 1e6,
              static_cast<double>(DirectoryBytes(b.scratch->Sub("db"))) / static_cast<double>(b.options.subjects));
}

// Takes our flags out of argv, leaving Google Benchmark's.
bool ParseOptions(int* argc, char** argv, Options* o) {
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    auto number = [&](uint64_t* v) {
      if (i + 1 >= *argc) return false;
      char* end = nullptr;
      *v = std::strtoull(argv[++i], &end, 10);
      return *end == '\0' && *v > 0;
    };
    uint64_t threads = 0;
    if (arg == "--subjects") {
      if (!number(&o->subjects)) return false;
    } else if (arg == "--batch") {
      if (!number(&o->batch)) return false;
    } else if (arg == "--threads") {
      if (!number(&threads)) return false;
      o->threads = threads;
    } else if (arg == "--dir" && i + 1 < *argc) {
      o->dir = argv[++i];
    } else if (arg == "--keep") {
      o->keep = true;
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  return true;
}

int Main(int argc, char** argv) {
  Bench b;
  if (!ParseOptions(&argc, argv, &b.options)) {
    std::fprintf(stderr,
                 "usage: custos_map_bench [--subjects N] [--batch N] [--threads N] [--dir DIR] [--keep] "
                 "[Google Benchmark flags]\n");
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  auto scratch = ScratchDir::Make(b.options.dir, b.options.keep);
  if (!scratch.ok()) {
    std::fprintf(stderr, "%s\n", scratch.status().ToString().c_str());
    return 1;
  }
  b.scratch = std::move(scratch).value();
  b.pool = std::make_unique<WorkerPool>(b.options.threads);
  Status s = OpenDatabase(b);
  if (s.ok()) s = BuildMap(b);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  g_bench = &b;
  benchmark::RegisterBenchmark("sha256/64B", BM_Sha256Of64Bytes);
  // Longer runs for the writes: they pay for the compactions they cause.
  benchmark::RegisterBenchmark("map/update_listed", BM_UpdateListedSubject)->Unit(benchmark::kMicrosecond)->MinTime(1);
  benchmark::RegisterBenchmark("map/list_new", BM_ListNewSubject)->Unit(benchmark::kMicrosecond)->MinTime(1);
  benchmark::RegisterBenchmark("map/prove", BM_Prove)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("map/verify", BM_Verify)->Unit(benchmark::kMicrosecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  PrintSummary(b);
  g_bench = nullptr;
  b.db.reset();  // before the scratch directory goes
  return 0;
}

}  // namespace
}  // namespace custos::bench

int main(int argc, char** argv) { return custos::bench::Main(argc, argv); }
