#include "tests/bench/phase_meter.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>

namespace custos::bench {

namespace {
double CpuSeconds(const timeval& user, const timeval& sys) {
  return static_cast<double>(user.tv_sec + sys.tv_sec) + 1e-6 * static_cast<double>(user.tv_usec + sys.tv_usec);
}

// Busy CPU time of the whole machine, all cores: the first line of
// /proc/stat minus idle and iowait. Zero if /proc/stat cannot be read.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  if (!in || cpu != "cpu") return 0;
  return static_cast<double>(user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}
}  // namespace

PhaseMeter::Sample PhaseMeter::Now() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  Sample s;
  s.wall = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  s.self = CpuSeconds(usage.ru_utime, usage.ru_stime);
  s.machine = MachineBusySeconds();
  return s;
}

void PhaseMeter::Resume() {
  if (running_) return;
  running_ = true;
  start_ = Now();
}

void PhaseMeter::Pause() {
  if (!running_) return;
  running_ = false;
  Sample end = Now();
  wall_ += end.wall - start_.wall;
  self_ += end.self - start_.self;
  machine_ += end.machine - start_.machine;
}

PhaseUsage PhaseMeter::Usage() const {
  PhaseUsage u;
  u.wall_seconds = wall_;
  u.cpu_seconds = self_;
  // /proc/stat counts in clock ticks: small negative noise means "none".
  u.other_cores = wall_ > 0 ? std::max(0.0, (machine_ - self_) / wall_) : 0;
  return u;
}

}  // namespace custos::bench
