#include "tests/bench/raw_verify.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace custos::bench {

namespace {
using SteadyClock = std::chrono::steady_clock;

// Enough distinct messages that the loop is not one message hot in cache.
constexpr size_t kMessages = 64;
constexpr size_t kKeys = 8;
// Verifications between two looks at the clock (~1 ms of work).
constexpr size_t kCheckEvery = 16;

struct SignedMessage {
  std::vector<uint8_t> message;
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> key{};
  std::array<uint8_t, crypto_sign_BYTES> sig{};
};

// Made before timing, so that only verification is measured.
std::vector<SignedMessage> MakeMessages(size_t message_bytes) {
  std::vector<std::array<uint8_t, crypto_sign_SECRETKEYBYTES>> secrets(kKeys);
  std::vector<std::array<uint8_t, crypto_sign_PUBLICKEYBYTES>> publics(kKeys);
  for (size_t k = 0; k < kKeys; ++k) crypto_sign_keypair(publics[k].data(), secrets[k].data());
  std::vector<SignedMessage> out(kMessages);
  for (size_t i = 0; i < kMessages; ++i) {
    out[i].message.resize(message_bytes);
    randombytes_buf(out[i].message.data(), message_bytes);
    out[i].key = publics[i % kKeys];
    crypto_sign_detached(out[i].sig.data(), nullptr, out[i].message.data(), message_bytes,
                         secrets[i % kKeys].data());
  }
  return out;
}

bool VerifyOne(const SignedMessage& m) {
  return crypto_sign_verify_detached(m.sig.data(), m.message.data(), m.message.size(), m.key.data()) == 0;
}

struct ThreadResult {
  double rate = 0;
  uint64_t done = 0;
};

// One thread's share: verifies until `seconds` have passed.
ThreadResult VerifyLoop(const std::vector<SignedMessage>& messages, double seconds) {
  const auto start = SteadyClock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  uint64_t done = 0;
  auto now = start;
  while (now < stop) {
    for (size_t i = 0; i < kCheckEvery; ++i, ++done) {
      if (!VerifyOne(messages[done % messages.size()])) {
        std::fprintf(stderr, "raw verify: a pre-made signature did not verify\n");
        std::abort();
      }
    }
    now = SteadyClock::now();
  }
  return {static_cast<double>(done) / std::chrono::duration<double>(now - start).count(), done};
}
}  // namespace

RawVerifyRate MeasureRawVerify(size_t threads, size_t message_bytes, double seconds) {
  std::vector<std::vector<SignedMessage>> messages;
  for (size_t t = 0; t < threads; ++t) messages.push_back(MakeMessages(message_bytes));
  std::vector<ThreadResult> results(threads);
  // All threads start together, so that they share the cores for the whole run.
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      results[t] = VerifyLoop(messages[t], seconds);
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& w : workers) w.join();
  RawVerifyRate r;
  r.threads = threads;
  for (const ThreadResult& t : results) {
    r.per_second += t.rate;
    r.verifications += t.done;
  }
  return r;
}

MachineLimit MeasureMachineLimit(size_t message_bytes, double seconds) {
  MachineLimit m;
  m.cores = std::max(1u, std::thread::hardware_concurrency());
  // The best of three runs: on a virtual machine one run sometimes comes out
  // a third slower with no other process to blame, and a low limit would
  // flatter every ratio measured against it.
  for (int run = 0; run < 3; ++run) {
    RawVerifyRate all;
    PhaseUsage usage = MeasurePhase([&] { all = MeasureRawVerify(m.cores, message_bytes, seconds / 3); });
    if (all.per_second <= m.all_cores_rate) continue;
    m.all_cores_rate = all.per_second;
    m.usage = usage;
    m.cpu_us = 1e6 * usage.cpu_seconds / static_cast<double>(all.verifications);
  }
  return m;
}

}  // namespace custos::bench
