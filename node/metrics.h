// What GET /metrics reports (docs/operations.md, "Metrics"), in the
// Prometheus text format 0.0.4.
//
// Two kinds of figures meet here. Events are counted by whichever thread sees
// them — a group-commit writer (batches, their sizes and latency), the event
// loop (cosignatures given and received) — into atomics and locked
// histograms. What lives on the event loop or in other parts (peers, alarms,
// connections, queue depths) the loop copies here every second
// (NodeMetrics::Publish), and the HTTP threads read that copy. Log sizes and
// LevelDB's figures are read when /metrics is asked (node/http_routes.cc).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/server.h"

namespace custos::node {

// A Prometheus histogram with fixed upper bounds (le), plus +Inf.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  // The # HELP / # TYPE lines, each bucket (cumulative), _sum and _count.
  void Render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative, +Inf last; guarded by mu_
  double sum_ = 0;                // guarded by mu_
};

// What the event loop publishes: everything /metrics, /readyz and the status
// page need that lives on the loop.
struct LoopState {
  std::vector<PeerState> peers;
  std::vector<std::string> alarms;
  size_t rpc_connections = 0;        // open now
  uint64_t rpc_connections_refused = 0;
  size_t http_connections = 0;       // open now
  uint64_t http_connections_refused = 0;
  size_t queued_submissions = 0;     // waiting for the group commit
  size_t queued_queries = 0;         // case trails, audits, bundles waiting
  size_t queued_listing_checks = 0;
  uint64_t queries_refused = 0;      // refused as overload
  uint64_t listing_checks_refused = 0;
  int64_t published_ms = 0;          // when the loop published this; 0: never
};

// LevelDB's compaction table (the "leveldb.stats" property) of each named
// database as metrics: table files and bytes per level (bytes at LevelDB's
// resolution of 1 MiB), and the time, reads and writes of compactions into
// it. Lines that are not a level's row are skipped; a database without
// table files yet gives no rows.
void RenderLevelDbStats(std::string& out, const std::vector<std::pair<std::string, std::string>>& stats_by_db);

class NodeMetrics {
 public:
  NodeMetrics();

  // A group-commit batch: `submissions` taken, `appended` of them appended,
  // `seconds` from taking the batch to its durable checkpoint.
  void BatchCommitted(size_t submissions, size_t appended, double seconds);
  // Submissions refused because the queue was full.
  void SubmissionsRefused(size_t n);
  // The node cosigned a checkpoint of `origin` (a peer, or an outside log it witnesses).
  void CosignatureGiven(std::string_view origin);
  // A peer's cosignature of the node's own checkpoint was stored.
  void CosignatureReceived();

  void Publish(LoopState state);
  LoopState loop() const;

  // Appends every figure above to `out`; `now_ms` gives the replicas' time
  // since last contact.
  void Render(std::string& out, int64_t now_ms) const;

 private:
  Histogram batch_seconds_;
  Histogram batch_submissions_;
  std::atomic<uint64_t> appended_{0};
  std::atomic<uint64_t> refused_entries_{0};  // taken, but refused by Log::Append's checks
  std::atomic<uint64_t> submissions_overload_{0};
  std::atomic<uint64_t> cosignatures_received_{0};

  mutable std::mutex mu_;
  std::vector<std::pair<std::string, uint64_t>> cosignatures_given_;  // by origin; guarded by mu_
  LoopState loop_;                                                     // guarded by mu_
};

}  // namespace custos::node
