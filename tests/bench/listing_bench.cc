// custos_listing_bench — listing checks with proof, and the listings map's
// cost per listing on the append path.
//
// 1. Builds a log of --subjects listed organisations (default 200,000; 1,000,000
//    takes a few minutes) through the real Log::Append, --batch listings per
//    batch, and times batches of listings against batches of the same size of
//    evidence registrations appended to the same log: the difference per
//    entry is what the map (the 'l' record and the 256-level path) adds to an
//    append (unsynced write here, as every batch pays the same sync).
// 2. Runs listing checks on --threads threads for --seconds: subjects chosen at
//    random, half listed, half never listed. One check is what the node does
//    for one log (listings::BuildLogAnswer: a LevelDB snapshot, the map proof,
//    the live listing entries with inclusion proofs, the checkpoint with its
//    cosignatures), the answer text written and parsed (the RPC payload), and
//    what `custos listing check` verifies (ListingVerifier: the checkpoint's
//    signature once per checkpoint, the map proof's 257 hashes, each listing
//    entry's inclusion proof). No network. Then the
//    same for the node's side alone: what one node answers per second when
//    its clients verify on their own machines.
// 3. Beside them, the machine's raw SHA-256 rate over 65 bytes in the same run:
//    verifying a listed subject's map proof needs 257 such hashes (an absent
//    subject's only those above its lowest non-empty sibling), so threads x
//    rate / 257 is the rate of checks of listed subjects that verification
//    alone would allow.
#include <CLI/CLI.hpp>
#include <capnp/message.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <sys/resource.h>
#include <thread>

#include "crypto/sha256.h"
#include "ledger/admission/submission.h"
#include "ledger/admission/validate.h"
#include "ledger/listings/listing_check.h"
#include "ledger/listings/listings_state.h"
#include "schema/canonical.h"
#include "schema/json.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/listing_workload.h"
#include "tests/bench/workload.h"
#include "trust/listing_verifier.h"

namespace custos::bench {
namespace {

struct Options {
  uint64_t subjects = 200'000;
  size_t batch = 1000;
  size_t threads = std::max(1u, std::thread::hardware_concurrency());
  double seconds = 5;
  double warmup = 3;
  std::string dir;
  bool keep = false;
};

struct Build {
  double listing_us = 0;   // per entry, batches of listings
  double evidence_us = 0;  // per entry, batches of evidence registrations
};

// Appends `subjects` listings, then times a few more batches of each kind.
Result<Build> BuildLog(Log& log, const Workload& w, ByteSpan listing, const Options& o, WorkerPool& pool) {
  const int64_t now = log.store().clock().NowMillis();
  auto append = [&](std::vector<Bytes> subs) -> Result<double> {
    auto start = SteadyClock::now();
    auto results = log.Append(subs, BatchMode::kAllOrNothing);
    double us = SecondsSince(start) * 1e6 / static_cast<double>(subs.size());
    if (!results[0].ok()) return results[0].status();
    return us;
  };
  auto listings = [&](uint64_t first, size_t count) {
    return SignedListings(listing, w.keys, now, first, count, pool);
  };
  for (uint64_t done = 0; done < o.subjects; done += o.batch) {
    CUSTOS_RETURN_IF_ERROR(append(listings(done, std::min<uint64_t>(o.batch, o.subjects - done))).status());
    if ((done / o.batch) % 50 == 49) Progress("building: " + std::to_string(done + o.batch) + " listings appended");
  }
  Build b;
  constexpr int kTimed = 5;
  for (int k = 0; k < kTimed; ++k) {
    CUSTOS_ASSIGN_OR_RETURN(double us, append(listings(o.subjects + k * o.batch, o.batch)));
    b.listing_us += us / kTimed;
    CUSTOS_ASSIGN_OR_RETURN(us, append(PresignStatements(w.evidence, w.keys.officer, now, k * o.batch, o.batch, pool)));
    b.evidence_us += us / kTimed;
  }
  return b;
}

struct CheckFigures {
  uint64_t checks = 0;
  double seconds = 0;
  std::vector<double> total_us, server_us, client_us;
};

// The ids checked: ids[1][n] = Company(n, true) (listed), ids[0][n] never
// listed. Made before the timed loop (finding a check character costs as
// much as a fifth of a check).
struct Subjects {
  std::vector<std::string> ids[2];
};

Subjects MakeSubjects(uint64_t n, WorkerPool& pool) {
  Subjects s;
  for (int listed = 0; listed < 2; ++listed) {
    s.ids[listed].resize(n);
    pool.ForEach(n, [&](size_t i) { s.ids[listed][i] = Company(i, listed == 1); });
  }
  return s;
}

// One thread's checks until `stop`; with `verify` false, only the node's
// side (the answer built and written).
Status CheckLoop(const Log& log, const trust::Federation& trust, const Subjects& subjects, uint64_t seed, bool verify,
                 const std::atomic<bool>& stop, CheckFigures* out) {
  std::mt19937_64 rng(seed);
  listings::ListingVerifier verifier(trust);
  const int64_t now = log.store().clock().NowMillis();
  while (!stop.load(std::memory_order_relaxed)) {
    const bool listed = rng() % 2 == 0;
    const std::string& id = subjects.ids[listed ? 1 : 0][rng() % subjects.ids[0].size()];
    auto key = listings::DeriveSubjectKey(listings::SubjectKind::kUnifiedSocialCreditCode, id);
    auto t0 = SteadyClock::now();
    CUSTOS_ASSIGN_OR_RETURN(auto part, listings::BuildLogAnswer(log.listings(), key));
    listings::ListingAnswer answer{listings::SubjectKind::kUnifiedSocialCreditCode, id, {std::move(part)}};
    const Bytes wire = answer.Encode();
    auto t1 = SteadyClock::now();
    if (!verify) {
      out->server_us.push_back(Seconds(t1 - t0) * 1e6);
      ++out->checks;
      continue;
    }
    CUSTOS_ASSIGN_OR_RETURN(auto received, listings::ListingAnswer::Decode(wire));
    CUSTOS_ASSIGN_OR_RETURN(auto verdict, verifier.Verify(received.logs.at(0), key, now));
    auto t2 = SteadyClock::now();
    if (verdict.listed != listed) return Status::Corruption("subject " + id + ": the verdict is wrong");
    out->server_us.push_back(Seconds(t1 - t0) * 1e6);
    out->client_us.push_back(Seconds(t2 - t1) * 1e6);
    out->total_us.push_back(Seconds(t2 - t0) * 1e6);
    ++out->checks;
  }
  return Status::OK();
}

Result<CheckFigures> RunChecks(const Log& log, const Options& o, const Subjects& subjects, bool verify) {
  const trust::Federation trust({{log.origin(), NoteVerifier::ForKey(log.origin(), log.node_key())}}, {});
  std::vector<CheckFigures> per(o.threads);
  std::vector<Status> status(o.threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto start = SteadyClock::now();
  for (size_t t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] { status[t] = CheckLoop(log, trust, subjects, 7 + t, verify, stop, &per[t]); });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  CheckFigures all;
  all.seconds = SecondsSince(start);
  for (size_t t = 0; t < o.threads; ++t) {
    CUSTOS_RETURN_IF_ERROR(status[t]);
    all.checks += per[t].checks;
    for (auto v : {&CheckFigures::total_us, &CheckFigures::server_us, &CheckFigures::client_us}) {
      (all.*v).insert((all.*v).end(), (per[t].*v).begin(), (per[t].*v).end());
    }
  }
  return all;
}

// This process's CPU time so far, in seconds.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// Waits (at most two minutes) until the process has been idle for a second:
// the build leaves LevelDB compacting for a while, and checks measured
// beside that measure the compactions. A node serving checks while a few
// listings a second arrive is not in the middle of compacting a bulk load.
// Returns the seconds waited.
double SettleCompactions() {
  auto start = SteadyClock::now();
  while (SecondsSince(start) < 120) {
    const double before = ProcessCpuSeconds();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (ProcessCpuSeconds() - before < 0.05) break;
  }
  return SecondsSince(start);
}

// Hashes of 65 bytes (an interior node) per second on one thread.
double RawSha256Rate() {
  uint8_t input[65] = {1};
  Hash h;
  auto start = SteadyClock::now();
  uint64_t n = 0;
  while (SecondsSince(start) < 1.0) {
    for (int i = 0; i < 10000; ++i, ++n) {
      h = Sha256::Digest(ByteSpan(input, sizeof input));
      input[1 + (n & 31)] = h.bytes[0];
    }
  }
  return static_cast<double>(n) / SecondsSince(start);
}

int Run(const Options& o) {
  auto w = LoadWorkload(CUSTOS_SOURCE_DIR "/examples");
  auto listing = ExampleStatement(CUSTOS_SOURCE_DIR "/examples", "subject-listed");
  if (!w.ok() || !listing.ok()) {
    std::cerr << "custos_listing_bench: " << (w.ok() ? listing.status() : w.status()).ToString() << "\n";
    return 1;
  }
  auto scratch = ScratchDir::Make(o.dir, o.keep);
  if (!scratch.ok()) {
    std::cerr << "custos_listing_bench: " << scratch.status().ToString() << "\n";
    return 1;
  }
  LogOptions options;
  options.path = (*scratch)->path() + "/db";
  auto log = CreateGrantedLog(options, w->keys, CUSTOS_SOURCE_DIR "/examples", SystemClock().NowMillis());
  if (!log.ok()) {
    std::cerr << "custos_listing_bench: " << log.status().ToString() << "\n";
    return 1;
  }
  WorkerPool pool(o.threads);
  auto build_start = SteadyClock::now();
  auto build = BuildLog(**log, *w, *listing, o, pool);
  double build_s = SecondsSince(build_start);
  const Subjects subjects = MakeSubjects(std::max<uint64_t>(o.subjects, 1), pool);
  const double settled = build.ok() ? SettleCompactions() : 0;
  // A serving node is warm: its caches hold the map's upper levels and the
  // blocks it reads most. The first seconds after the build are not measured.
  Options warm = o;
  warm.seconds = o.warmup;
  auto warmed = build.ok() ? RunChecks(**log, warm, subjects, false) : Result<CheckFigures>(build.status());
  auto checks = warmed.ok() ? RunChecks(**log, o, subjects, true) : warmed;
  auto answers = checks.ok() ? RunChecks(**log, o, subjects, false) : checks;
  if (!answers.ok()) {
    std::cerr << "custos_listing_bench: " << answers.status().ToString() << "\n";
    return 1;
  }
  const double sha = RawSha256Rate();
  const double rate = static_cast<double>(checks->checks) / checks->seconds;
  const double ceiling = static_cast<double>(o.threads) * sha / 257;
  std::printf("custos_listing_bench on %s (%zu threads; load %s)\n", CpuModel().c_str(), o.threads, LoadAverage().c_str());
  std::printf("map of %llu listed subjects (--subjects), built through Log::Append in %.1f s\n",
              static_cast<unsigned long long>(o.subjects), build_s);
  std::printf("waited %.0f s after the build for LevelDB's compactions to finish, then %.0f s of unmeasured checks\n",
              settled, o.warmup);
  std::printf("append, per entry, batches of %zu: listing %.1f us, evidence registration %.1f us; the map's part %.1f us\n",
              o.batch, build->listing_us, build->evidence_us, build->listing_us - build->evidence_us);
  std::printf("listing checks with proof: %.0f /s over %.1f s (half listed); latency p50 %.0f us, p99 %.0f us\n", rate,
              checks->seconds, Percentile(checks->total_us, 0.5), Percentile(checks->total_us, 0.99));
  std::printf("  node side (answer built and written) p50 %.0f us, p99 %.0f us; client side (parsed and verified) "
              "p50 %.0f us, p99 %.0f us\n",
              Percentile(checks->server_us, 0.5), Percentile(checks->server_us, 0.99),
              Percentile(checks->client_us, 0.5), Percentile(checks->client_us, 0.99));
  std::printf("node side alone (answers built and written, nothing verified): %.0f /s on %zu threads; p50 %.0f us, "
              "p99 %.0f us\n",
              static_cast<double>(answers->checks) / answers->seconds, o.threads,
              Percentile(answers->server_us, 0.5), Percentile(answers->server_us, 0.99));
  std::printf("raw SHA-256 (65 bytes): %.2f M/s per thread; a listed subject's map proof (257 hashes) costs %.1f us of "
              "it: %.0f such proofs/s on %zu threads (an absent subject's proof hashes far less)\n",
              sha / 1e6, 257e6 / sha, ceiling, o.threads);
  std::printf("targets: >= 30,000 checks/s (%.2fx), p99 <= 2 ms (%.2fx)\n", rate / 30000,
              2000 / Percentile(checks->total_us, 0.99));
  return 0;
}

}  // namespace
}  // namespace custos::bench

int main(int argc, char** argv) {
  CLI::App app{"custos_listing_bench: listing checks with proof per second and p99, and the map's cost per listing"};
  custos::bench::Options o;
  app.add_option("--subjects", o.subjects, "Listed subjects in the log (default 200000; the issue's figure is 1000000)");
  app.add_option("--batch", o.batch, "Listings per appended batch (default 1000)");
  app.add_option("--threads", o.threads, "Threads running checks (default: all cores)");
  app.add_option("--seconds", o.seconds, "How long the checks run (default 5)");
  app.add_option("--warmup", o.warmup, "Seconds of checks, not measured, before the measured ones (default 3)");
  app.add_option("--dir", o.dir, "Where the scratch directory goes (default: $TMPDIR or /tmp; removed at the end)");
  app.add_flag("--keep", o.keep, "Keep the scratch directory");
  CLI11_PARSE(app, argc, argv);
  return custos::bench::Run(o);
}
