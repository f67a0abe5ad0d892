// The machine's limit: raw libsodium Ed25519 verifications per second.
//
// Every ledger rate in the benchmark is compared with this figure, measured
// in the same run, because appending and full verification both check one
// author signature per entry and cannot beat the machine at that.
#pragma once

#include <cstddef>
#include <cstdint>

namespace custos::bench {

struct RawVerifyRate {
  size_t threads = 0;
  double per_second = 0;        // summed over the threads
  uint64_t verifications = 0;   // summed over the threads
};

// Runs `threads` threads, each verifying pre-made signatures of distinct
// `message_bytes`-byte messages (under a few keys) with
// crypto_sign_verify_detached for about `seconds`. Aborts if a signature
// fails to verify (the measurement would be meaningless).
RawVerifyRate MeasureRawVerify(size_t threads, size_t message_bytes, double seconds);

}  // namespace custos::bench
