// Part 2 of custos_rpc_bench: how fast a new node catches up with a peer's
// log. An origin node serves a log of N entries built offline; a second,
// empty node lists it as a federation peer (and the origin lists it back);
// the follower's `status` is polled until it holds all N entries.
#pragma once

#include <kj/async-io.h>

#include <cstdint>
#include <string>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/storage/worker_pool.h"
#include "tests/bench/workload.h"

namespace custos::bench {

struct CatchupOptions {
  std::string custosd;       // the custosd binary
  std::string examples;      // examples/ (the officer's key grant)
  uint64_t entries = 0;      // size of the origin's log, at least 3
  double poll_s = 0.05;      // between two status calls
  double timeout_s = 600;    // give up after this long
  double stall_s = 60;       // or when heldSize has not moved for this long
};

struct CatchupOutcome {
  // False when the follower did not get to N: `reason` says why (no
  // progress, a stall, the time limit, the follower exited, status failed).
  bool measured = false;
  std::string reason;
  double build_seconds = 0;     // building the origin's log offline (not a figure of the node)
  double seconds = 0;           // from starting the follower to heldSize == N
  double first_progress_s = 0;  // from starting the follower to heldSize > 0 (0: never)
  uint64_t held = 0;            // heldSize at the end
  double slowest_status_s = 0;  // the longest status call: how late the end may be seen
  double follower_cpu_s = 0;    // CPU time of the follower custosd over the run
  double origin_cpu_s = 0;      // CPU time of the origin custosd over the run
  std::string stop_errors;      // empty if both nodes stopped cleanly on SIGTERM
};

// Runs Part 2 in `dir` (which it fills: origin/, follower/) with the two
// custosd processes on 127.0.0.1; both are stopped with SIGTERM before it
// returns. `evidence` is the statement the origin's log is built of (see
// PresignStatements). Fails (IOError, …) only if the setup fails: building the
// log, writing the configs or starting either node; a follower that does not
// catch up (or does not answer) is an outcome with a reason.
Result<CatchupOutcome> MeasureCatchup(const CatchupOptions& options, const Keys& keys, ByteSpan evidence,
                                      const std::string& dir, kj::AsyncIoContext& io, WorkerPool& signers);

}  // namespace custos::bench
