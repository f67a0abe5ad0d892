// The node's log asks witnesses outside its federation to cosign its
// checkpoints, as a C2SP tlog-witness client (c2sp.org/tlog-witness;
// docs/http-api.md, "Outside witnesses"): config "outsideWitnesses":
// [{"url", "verifierKey"}].
//
// A thread of its own, once a second: for each witness whose cosigned size is
// below the log's latest checkpoint, POST <url>/add-checkpoint with the size
// the witness is believed to hold, the RFC 6962 consistency proof from it, and
// the checkpoint. 200: the cosignature/v1 line is checked against the
// witness's key and stored with the checkpoint (Log::AddCosignature), so that
// /tlog/<origin>/checkpoint and every answer carry it. 409: the witness holds
// another size (text/x.tlog.size); if that size is at most the log's, the
// next request starts from it; if it is larger, the witness has seen a
// checkpoint of this log the log never signed, or another history, and the
// node raises an alarm (status page, /metrics, the log) and stops asking it.
// Anything else is logged and retried at the next round, the size unchanged.
//
// The size each witness holds is not kept across restarts: the first request
// says 0 and a witness that holds more answers 409 with its size.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crypto/note.h"
#include "crypto/status.h"
#include "node/config.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos {
class Log;
}  // namespace custos

namespace custos::node {

class NodeMetrics;

class WitnessAsker {
 public:
  // `log` (the node's own), `metrics` (may be null) and `logger` must outlive this.
  WitnessAsker(Log& log, std::vector<OutsideWitness> witnesses, std::shared_ptr<spdlog::logger> logger,
               NodeMetrics* metrics, std::chrono::milliseconds interval = std::chrono::seconds(1));
  // Stop().
  ~WitnessAsker();
  WitnessAsker(const WitnessAsker&) = delete;
  WitnessAsker& operator=(const WitnessAsker&) = delete;

  void Start();
  // Ends the thread (a request in flight is abandoned). Idempotent.
  void Stop();

  // Witnesses that answered with a size this log never reached (any thread).
  std::vector<std::string> Alarms() const;

 private:
  struct Asked;
  void Loop();
  // One request to `w`; true if another should follow at once (a 409 with a size to start from).
  bool Ask(Asked& w);

  Log& log_;
  std::shared_ptr<spdlog::logger> logger_;
  NodeMetrics* const metrics_;
  const std::chrono::milliseconds interval_;
  std::vector<std::unique_ptr<Asked>> witnesses_;

  mutable std::mutex mu_;
  bool stopping_ = false;            // guarded by mu_
  std::vector<std::string> alarms_;  // guarded by mu_
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace custos::node
