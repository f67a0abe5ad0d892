// CPU accounting of a phase of the benchmark: wall time, this process's CPU
// time (all threads, LevelDB's background compaction included) and the CPU
// the rest of the machine used meanwhile (from /proc/stat). A rate measured
// while other processes held the cores says so, and the CPU cost per entry
// stays meaningful when the wall-clock rate is not.
#pragma once

namespace custos::bench {

struct PhaseUsage {
  double wall_seconds = 0;
  double cpu_seconds = 0;   // this process, all threads
  double other_cores = 0;   // average number of cores other processes kept busy
};

// Measures the time between Resume() and Pause() calls, summed. Starts paused.
// Not thread-safe.
class PhaseMeter {
 public:
  void Resume();
  void Pause();
  PhaseUsage Usage() const;

 private:
  struct Sample {
    double wall = 0, self = 0, machine = 0;  // seconds
  };
  static Sample Now();
  bool running_ = false;
  Sample start_;
  double wall_ = 0, self_ = 0, machine_ = 0;
};

// Wall and CPU figures of `fn()` run once.
template <typename Fn>
PhaseUsage MeasurePhase(Fn&& fn) {
  PhaseMeter m;
  m.Resume();
  fn();
  m.Pause();
  return m.Usage();
}

}  // namespace custos::bench
