// Small helpers shared by the benchmark programs (custos_bench,
// custos_rpc_bench): time, percentiles, facts about the machine, progress
// lines and a scratch directory.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace custos::bench {

using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::duration d);
double SecondsSince(SteadyClock::time_point start);

// The q-quantile (0 <= q <= 1) of `values`, by rank (no interpolation).
// `values` must not be empty.
double Percentile(std::vector<double> values, double q);

// The first "model name" of /proc/cpuinfo, or "unknown".
std::string CpuModel();
// The three load averages of /proc/loadavg.
std::string LoadAverage();

// One "[bench] TEXT" line on standard error.
void Progress(std::string_view text);

// A scratch directory "custos-bench-XXXXXX" under `base` (or $TMPDIR, or
// /tmp), removed with everything in it when destroyed unless `keep`.
class ScratchDir {
 public:
  // IOError naming the parent directory if the directory cannot be made.
  static Result<std::unique_ptr<ScratchDir>> Make(const std::string& base, bool keep);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  ScratchDir(std::string path, bool keep) : path_(std::move(path)), keep_(keep) {}
  std::string path_;
  bool keep_;
};

}  // namespace custos::bench
