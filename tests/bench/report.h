// The benchmark's output: a table with targets and PASS/MISS per line, and
// the same figures as JSON.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace custos::bench {

// One measured figure. `limit` and `ratio` are set for rates compared with
// the raw verification rate; `pass` is unset for figures without a target.
struct Row {
  std::string key;   // JSON name, e.g. "append_batch_1000"
  std::string name;  // table label
  double value = 0;
  std::string unit;
  std::optional<double> limit;  // in `limit_unit`
  std::string limit_unit;
  std::optional<double> ratio;
  std::string target;  // e.g. ">= 60% of raw", "<= 20 us"; empty: none
  std::optional<bool> pass;
};

class Report {
 public:
  // Facts about the run printed above the table (machine, sizes, seed).
  void AddFact(std::string key, std::string value) { facts_.emplace_back(std::move(key), std::move(value)); }
  void Add(Row row) { rows_.push_back(std::move(row)); }

  // A rate compared with the raw limit: ratio = value / limit, target `min_ratio`.
  void AddRate(std::string key, std::string name, double value, double limit, double min_ratio);
  // A CPU cost per entry compared with the raw cost of one verification:
  // ratio = raw / value (the share of the CPU that went into verifying).
  void AddCpuCost(std::string key, std::string name, double us_per_entry, double raw_us);
  // A figure with an upper bound (latency, time, size ratio).
  void AddAtMost(std::string key, std::string name, double value, std::string unit, double max);
  // A figure shown for information only.
  void AddInfo(std::string key, std::string name, double value, std::string unit);

  void PrintTable(std::ostream& out) const;
  void PrintJson(std::ostream& out) const;
  // How a benchmark program ends: the table on `out`, and the JSON into
  // `json_path` if it is not empty. False if that file cannot be written.
  bool Finish(std::ostream& out, const std::string& json_path) const;
  // Number of rows with a target that missed it.
  int Misses() const;

 private:
  std::vector<std::pair<std::string, std::string>> facts_;
  std::vector<Row> rows_;
};

}  // namespace custos::bench
