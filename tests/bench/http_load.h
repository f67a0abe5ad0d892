// The clients of the HTTP benchmark (custos_http_bench): threads that each
// ask one question after another (a closed loop) through a Fetcher of their
// own, either a keep-alive HTTP/1.1 connection to a node (Boost.Beast,
// synchronous) or the node's routes called in the same process, with no
// socket and no HTTP, so that the two runs differ only in the transport.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "node/config.h"
#include "node/http_routes.h"
#include "tests/bench/phase_meter.h"

namespace custos::bench {

// An answer as a client sees it.
struct Answer {
  unsigned status = 0;
  std::string body;
};

// One thread's way of asking. Not thread-safe: one per thread.
class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // GET `target` (origin-form). IOError if the connection fails or the
  // answer is not HTTP/1.1; any status is an answer.
  virtual Result<Answer> Get(const std::string& target) = 0;
};

// A keep-alive HTTP/1.1 connection to `address`, TCP_NODELAY set. IOError
// naming the address if it cannot connect.
Result<std::unique_ptr<Fetcher>> ConnectHttp(const node::HostPort& address);
// `routes` called directly: HttpRoutes::Handle of a GET. Borrows `routes`.
std::unique_ptr<Fetcher> InProcess(const node::HttpRoutes& routes);

// What the threads ask: one of `targets` at random (uniformly) each time,
// and how the answer to targets[i] is checked. `thorough` is set for one
// answer in kThoroughEvery of each thread (a spot check that parses the
// whole answer); the other answers get the cheap checks only. A check that
// fails ends the run with its status. `check` must be thread-safe.
struct Requests {
  std::vector<std::string> targets;
  std::function<Status(size_t i, const std::string& target, const Answer& answer, bool thorough)> check;
};
inline constexpr uint64_t kThoroughEvery = 16;

// What one run measured, over its measured window only.
struct LoadRun {
  uint64_t requests = 0;        // answers completed in the window
  uint64_t body_bytes = 0;      // their bodies
  double seconds = 0;           // the window
  std::vector<double> latency_us;  // per answer: from asking to the answer checked
  PhaseUsage self;              // this process in the window (all its threads)
  double other_cpu_s = 0;       // `other_cpu` over the window (custosd's CPU)
};

// Runs one thread per fetcher, each asking `requests` back to back: first
// `warmup_s` not measured, then `seconds` measured; thread t draws its
// targets from a generator seeded with seed + t. `other_cpu` (may be empty)
// reads another process's CPU seconds, sampled at the window's ends. Fails
// with the first failed Get or check.
Result<LoadRun> RunClosedLoop(std::vector<std::unique_ptr<Fetcher>>& fetchers, const Requests& requests,
                              double warmup_s, double seconds, uint64_t seed,
                              const std::function<double()>& other_cpu);

}  // namespace custos::bench
