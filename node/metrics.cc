#include "node/metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace custos::node {

namespace {

// Prometheus numbers: integers as such, the rest with as few digits as
// give the same double back (0.1, not 0.10000000000000001).
std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A label value: backslash, quote and newline escaped.
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " + std::string(name) + " " +
         std::string(type) + "\n";
}

void Line(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += std::string(name);
  if (!labels.empty()) out += "{" + std::string(labels) + "}";
  out += " " + Number(value) + "\n";
}

void One(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value) {
  Head(out, name, type, help);
  Line(out, name, "", value);
}

}  // namespace

void RenderLevelDbStats(std::string& out, const std::vector<std::pair<std::string, std::string>>& stats_by_db) {
  struct Figure {
    const char* name;
    const char* type;
    const char* help;
    double scale;  // LevelDB prints sizes in MiB
  };
  static const Figure kFigures[] = {
      {"custos_leveldb_files", "gauge", "LevelDB table files, by database and level.", 1},
      {"custos_leveldb_bytes", "gauge", "LevelDB table bytes (1 MiB resolution), by database and level.", 1048576},
      {"custos_leveldb_compaction_seconds_total", "counter", "Time LevelDB spent compacting into a level.", 1},
      {"custos_leveldb_compaction_read_bytes_total", "counter", "Bytes LevelDB read compacting into a level.", 1048576},
      {"custos_leveldb_compaction_write_bytes_total", "counter", "Bytes LevelDB wrote compacting into a level.",
       1048576},
  };
  std::vector<std::string> lines[5];
  for (const auto& [db, stats] : stats_by_db) {
    std::istringstream in(stats);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream row(line);
      int level = -1;
      double values[5];
      if (!(row >> level >> values[0] >> values[1] >> values[2] >> values[3] >> values[4]) || level < 0) continue;
      for (int i = 0; i < 5; ++i) {
        lines[i].push_back(std::string(kFigures[i].name) + "{db=\"" + Label(db) + "\",level=\"" +
                           std::to_string(level) + "\"} " + Number(values[i] * kFigures[i].scale) + "\n");
      }
    }
  }
  for (int i = 0; i < 5; ++i) {
    Head(out, kFigures[i].name, kFigures[i].type, kFigures[i].help);
    for (const auto& l : lines[i]) out += l;
  }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  const size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::lock_guard lock(mu_);
  ++counts_[bucket];
  sum_ += value;
}

void Histogram::Render(std::string& out, std::string_view name, std::string_view help) const {
  std::vector<uint64_t> counts;
  double sum = 0;
  {
    std::lock_guard lock(mu_);
    counts = counts_;
    sum = sum_;
  }
  Head(out, name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    const std::string le = i < bounds_.size() ? Number(bounds_[i]) : "+Inf";
    Line(out, bucket, "le=\"" + le + "\"", static_cast<double>(cumulative));
  }
  Line(out, std::string(name) + "_sum", "", sum);
  Line(out, std::string(name) + "_count", "", static_cast<double>(cumulative));
}

NodeMetrics::NodeMetrics()
    : batch_seconds_({0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5}),
      batch_submissions_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384}) {}

void NodeMetrics::BatchCommitted(size_t submissions, size_t appended, double seconds) {
  batch_seconds_.Observe(seconds);
  batch_submissions_.Observe(static_cast<double>(submissions));
  appended_.fetch_add(appended);
  refused_entries_.fetch_add(submissions - appended);
}

void NodeMetrics::SubmissionsRefused(size_t n) { submissions_overload_.fetch_add(n); }

void NodeMetrics::CosignatureGiven(std::string_view origin) {
  std::lock_guard lock(mu_);
  for (auto& [o, n] : cosignatures_given_) {
    if (o == origin) {
      ++n;
      return;
    }
  }
  cosignatures_given_.emplace_back(std::string(origin), 1);
}

void NodeMetrics::CosignatureReceived() { cosignatures_received_.fetch_add(1); }

void NodeMetrics::Publish(LoopState state) {
  std::lock_guard lock(mu_);
  loop_ = std::move(state);
}

LoopState NodeMetrics::loop() const {
  std::lock_guard lock(mu_);
  return loop_;
}

void NodeMetrics::Render(std::string& out, int64_t now_ms) const {
  batch_seconds_.Render(out, "custos_append_batch_seconds",
                        "Time from taking a group-commit batch to its durable, signed checkpoint.");
  batch_submissions_.Render(out, "custos_append_batch_submissions", "Submissions per group-commit batch.");
  One(out, "custos_appended_entries_total", "counter", "Entries appended to the node's own log.",
      static_cast<double>(appended_.load()));
  One(out, "custos_refused_submissions_total", "counter",
      "Submissions refused by the log's checks (signature, authority, rules).",
      static_cast<double>(refused_entries_.load()));
  One(out, "custos_cosignatures_received_total", "counter", "Peers' cosignatures of the own log's checkpoints stored.",
      static_cast<double>(cosignatures_received_.load()));
  const LoopState loop = this->loop();
  One(out, "custos_http_connections", "gauge", "HTTP connections open.", static_cast<double>(loop.http_connections));
  Head(out, "custos_cosignatures_given_total", "counter", "Checkpoints of other logs this node cosigned, by origin.");
  {
    std::lock_guard lock(mu_);
    for (const auto& [origin, n] : cosignatures_given_) {
      Line(out, "custos_cosignatures_given_total", "origin=\"" + Label(origin) + "\"", static_cast<double>(n));
    }
  }
  Head(out, "custos_overload_refusals_total", "counter", "Requests refused because a queue or a cap was full.");
  Line(out, "custos_overload_refusals_total", "what=\"submissions\"", static_cast<double>(submissions_overload_.load()));
  Line(out, "custos_overload_refusals_total", "what=\"queries\"", static_cast<double>(loop.queries_refused));
  Line(out, "custos_overload_refusals_total", "what=\"listing-checks\"", static_cast<double>(loop.listing_checks_refused));
  Line(out, "custos_overload_refusals_total", "what=\"rpc-connections\"",
       static_cast<double>(loop.rpc_connections_refused));
  Line(out, "custos_overload_refusals_total", "what=\"http-connections\"", static_cast<double>(loop.http_connections_refused));
  Head(out, "custos_queue_depth", "gauge", "Work waiting, by queue.");
  Line(out, "custos_queue_depth", "queue=\"submissions\"", static_cast<double>(loop.queued_submissions));
  Line(out, "custos_queue_depth", "queue=\"queries\"", static_cast<double>(loop.queued_queries));
  Line(out, "custos_queue_depth", "queue=\"listing-checks\"", static_cast<double>(loop.queued_listing_checks));
  One(out, "custos_rpc_connections", "gauge", "Cap'n Proto RPC connections open.",
      static_cast<double>(loop.rpc_connections));
  One(out, "custos_equivocation_alarms", "gauge",
      "Alarms: proofs that a log signed two histories, and replications stopped at a bad entry.",
      static_cast<double>(loop.alarms.size()));

  Head(out, "custos_peer_connected", "gauge", "1 if the follower of a peer's log is connected.");
  for (const auto& p : loop.peers) {
    Line(out, "custos_peer_connected", "origin=\"" + Label(p.origin) + "\"", p.connected ? 1 : 0);
  }
  Head(out, "custos_replica_lag_entries", "gauge",
       "Entries a peer has announced that its replica here does not hold yet.");
  for (const auto& p : loop.peers) {
    Line(out, "custos_replica_lag_entries", "origin=\"" + Label(p.origin) + "\"",
         static_cast<double>(p.known_size - std::min(p.known_size, p.held_size)));
  }
  Head(out, "custos_peer_last_contact_seconds", "gauge",
       "Seconds since a peer last connected, answered or announced; -1 if never.");
  for (const auto& p : loop.peers) {
    const double ago = p.last_contact_ms == 0 ? -1 : static_cast<double>(now_ms - p.last_contact_ms) / 1000;
    Line(out, "custos_peer_last_contact_seconds", "origin=\"" + Label(p.origin) + "\"", ago);
  }
}

}  // namespace custos::node
