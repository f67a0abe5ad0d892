// crash_appender DATA_DIR SEED
//
// The process that crash_test kills. It creates the log at DATA_DIR (or opens
// it if it exists) with the fixed test keys (log_test_util.h) and the system
// clock, then appends batches of 1 to 50 pre-signed submissions for ever.
// The first batch of a log that holds only its genesis grants the officer key
// (examples/key-grant.json) and uses it in the same batch.
//
// After each acknowledged Append — and only then — it prints one line per
// entry, "<index> <base64 leaf hash>", and flushes, in one write(2) per batch.
// A new log's genesis is printed the same way once Log::Create returns.
// Nonces come from SEED, so runs with different seeds never collide.
// Exit status: 1 if anything fails (the message on stderr), 2 on bad usage.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include "ledger/log/log.h"
#include "ledger/tlog/merkle.h"
#include "tests/ledger/log_test_util.h"

namespace custos::testing {
namespace {

// Writes all of `text` to stdout, bypassing stdio buffers.
void WriteOut(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("writing to stdout failed");
    done += static_cast<size_t>(n);
  }
}

std::string Line(const Receipt& r) { return std::to_string(r.index) + " " + Base64Encode(r.leaf_hash.span()) + "\n"; }

std::unique_ptr<Log> CreateOrOpen(const LogOptions& options) {
  if (std::filesystem::exists(options.path)) return Must(Log::Open(options, NodeKey()), "Log::Open");
  PublicKey admin = AdminKey().public_key();
  auto log = Must(Log::Create(options, kOrigin, NodeKey(), std::span<const PublicKey>(&admin, 1)), "Log::Create");
  WriteOut(Line(Receipt{0, merkle::LeafHash(Must(log->Entry(0), "Entry(0)"))}));
  return log;
}

int Run(const std::string& path, uint64_t seed) {
  SystemClock clock;
  LogOptions options;
  options.path = path;
  options.clock = &clock;
  options.verify_threads = 2;
  std::unique_ptr<Log> log = CreateOrOpen(options);
  StatementMaker maker(seed);
  std::mt19937_64 rng(seed);
  const SigningKey admin = AdminKey(), officer = OfficerKey();
  bool grant = log->size() == 1;
  for (uint64_t n = 0;; ) {
    std::vector<Bytes> batch;
    if (grant) batch.push_back(Sign(maker.FromExample("key-grant", clock.NowMillis()), admin));
    for (size_t i = 1 + rng() % 50; i > 0; --i) {
      std::string id = "crash-" + std::to_string(seed) + "-" + std::to_string(n++);
      batch.push_back(Sign(maker.Clue(id, clock.NowMillis()), officer));
    }
    std::string out;
    for (const auto& r : log->Append(batch, BatchMode::kAllOrNothing)) out += Line(Must(r, "Append"));
    WriteOut(out);
    grant = false;
  }
}

}  // namespace
}  // namespace custos::testing

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: crash_appender DATA_DIR SEED\n";
    return 2;
  }
  try {
    return custos::testing::Run(argv[1], std::stoull(argv[2]));
  } catch (const std::exception& e) {
    std::cerr << "crash_appender: " << e.what() << "\n";
    return 1;
  }
}
