#include "tests/bench/bench_util.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace custos::bench {

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

double SecondsSince(SteadyClock::time_point start) { return Seconds(SteadyClock::now() - start); }

double Percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(values.size() - 1));
  return values[i];
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

void Progress(std::string_view text) { std::cerr << "[bench] " << text << std::endl; }

Result<std::unique_ptr<ScratchDir>> ScratchDir::Make(const std::string& base, bool keep) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string root = !base.empty() ? base : tmpdir != nullptr ? tmpdir : "/tmp";
  std::string pattern = root + "/custos-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return Status::IOError("cannot make a directory under " + root);
  return std::unique_ptr<ScratchDir>(new ScratchDir(pattern, keep));
}

ScratchDir::~ScratchDir() {
  if (keep_) {
    Progress("kept " + path_);
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace custos::bench
