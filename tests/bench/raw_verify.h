// The machine's limit: raw libsodium Ed25519 verifications per second.
//
// Every ledger rate in the benchmark is compared with this figure, measured
// in the same run, because appending and full verification both check one
// author signature per entry and cannot beat the machine at that.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tests/bench/phase_meter.h"

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

// The limit every rate is compared with: raw verifications per second on all
// cores (one thread per core), and the CPU time one of them costs.
struct MachineLimit {
  size_t cores = 1;
  double all_cores_rate = 0;  // verifications per second, summed over the threads
  double cpu_us = 0;          // this process's CPU time per verification
  PhaseUsage usage;           // of the measurement (how busy the machine was)
};

// MeasureRawVerify on std::thread::hardware_concurrency() threads.
MachineLimit MeasureMachineLimit(size_t message_bytes, double seconds);

}  // namespace custos::bench
