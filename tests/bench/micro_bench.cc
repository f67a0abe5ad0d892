// custos_microbench: what one entry costs, step by step (Google Benchmark).
//
// custos_bench gives the ledger's rates; this program splits the per-entry
// work into its parts so that a missed rate can be traced to a step: the raw
// signature check against the full CheckSubmission (parsing, field checks,
// hashing), and the serial steps of an append (entry building, leaf hash).
// All inputs are made before timing, from examples/evidence-registered.json.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <chrono>
#include <cstdlib>

#include "crypto/sha256.h"
#include "ledger/admission/submission.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"
#include "tests/bench/workload.h"

namespace custos::bench {
namespace {

// One signed evidence submission, and the parts a benchmark needs of it.
struct Sample {
  Keys keys;
  Bytes statement;   // canonical, origin/time/nonce filled in
  Bytes submission;  // canonical SignedSubmission
  Bytes message;     // what the author signed
  Signature signature;
};

const Sample& TheSample() {
  static const Sample sample = [] {
    InitCrypto();
    auto keys = MakeKeys();
    auto evidence = ExampleStatement(CUSTOS_SOURCE_DIR "/examples", "evidence-registered");
    if (!keys.ok() || !evidence.ok()) std::abort();
    WorkerPool pool(1);
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    Bytes submission = PresignStatements(*evidence, keys->officer, now, 0, 1, pool)[0];
    auto checked = CheckSubmission(submission);
    if (!checked.ok()) std::abort();
    auto data = checked->submission.get().getStatement();
    ByteSpan statement(data.begin(), data.size());
    Bytes message(kStatementSigningContext.begin(), kStatementSigningContext.end());
    message.insert(message.end(), statement.begin(), statement.end());
    Sample s{std::move(keys).value(), Bytes(statement.begin(), statement.end()), submission, message, {}};
    s.signature = s.keys.officer.Sign(s.message);
    return s;
  }();
  return sample;
}

void BM_RawVerify(benchmark::State& state) {
  const Sample& s = TheSample();
  const PublicKey& key = s.keys.officer.public_key();
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto_sign_verify_detached(s.signature.bytes.data(), s.message.data(), s.message.size(),
                                                         key.bytes.data()));
  }
  state.SetLabel(std::to_string(s.message.size()) + "-byte message");
}
BENCHMARK(BM_RawVerify);

// Everything a submission costs before the log looks at it (runs in parallel).
void BM_CheckSubmission(benchmark::State& state) {
  const Sample& s = TheSample();
  for (auto _ : state) {
    auto checked = CheckSubmission(s.submission);
    if (!checked.ok()) state.SkipWithError("the sample submission does not check");
    benchmark::DoNotOptimize(checked);
  }
}
BENCHMARK(BM_CheckSubmission);

void BM_SignSubmission(benchmark::State& state) {
  const Sample& s = TheSample();
  for (auto _ : state) benchmark::DoNotOptimize(SignSubmission(s.statement, s.keys.officer));
}
BENCHMARK(BM_SignSubmission);

// The serial steps of an append, per entry: build the entry, hash the leaf.
void BM_BuildEntryAndLeafHash(benchmark::State& state) {
  const Sample& s = TheSample();
  auto checked = CheckSubmission(s.submission);
  Hash prev;
  uint64_t index = 2;
  for (auto _ : state) {
    Bytes entry = BuildEntry(index++, prev, 1700000000000, checked->submission.get());
    prev = merkle::LeafHash(entry);
  }
}
BENCHMARK(BM_BuildEntryAndLeafHash);

void BM_LeafHash(benchmark::State& state) {
  const Sample& s = TheSample();
  auto checked = CheckSubmission(s.submission);
  Bytes entry = BuildEntry(2, Hash{}, 1700000000000, checked->submission.get());
  for (auto _ : state) benchmark::DoNotOptimize(merkle::LeafHash(entry));
  state.SetLabel(std::to_string(entry.size()) + "-byte entry");
}
BENCHMARK(BM_LeafHash);

// An interior Merkle node (65 bytes) through Sha256, and the same digest
// through a reused EVP_MD_CTX: the reason crypto/sha256.cc uses the
// low-level interface.
void BM_NodeHash(benchmark::State& state) {
  Hash h;
  for (auto _ : state) h = merkle::NodeHash(h, h);
  benchmark::DoNotOptimize(h);
}
BENCHMARK(BM_NodeHash);

void BM_NodeHashThroughEvp(benchmark::State& state) {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::array<uint8_t, 65> buf{1};
  for (auto _ : state) {
    unsigned int len = 0;
    EVP_DigestInit_ex2(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, buf.data(), buf.size());
    EVP_DigestFinal_ex(ctx, buf.data() + 1, &len);
  }
  benchmark::DoNotOptimize(buf);
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}
BENCHMARK(BM_NodeHashThroughEvp);

// A checkpoint-sized base64 field, through the table-driven codec and the
// constant-time one kept for key material.
void BM_Base64Decode(benchmark::State& state) {
  Bytes data(600, 0x5A);
  const std::string text = Base64Encode(data);
  for (auto _ : state) benchmark::DoNotOptimize(Base64Decode(text));
}
BENCHMARK(BM_Base64Decode);

void BM_Base64DecodeSecret(benchmark::State& state) {
  Bytes data(600, 0x5A);
  const std::string text = Base64Encode(data);
  for (auto _ : state) benchmark::DoNotOptimize(Base64DecodeSecret(text));
}
BENCHMARK(BM_Base64DecodeSecret);

}  // namespace
}  // namespace custos::bench

BENCHMARK_MAIN();
