// A fixed pool of threads for data-parallel work (signature verification).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace custos {

class WorkerPool final {
 public:
  // `threads` == 0 means std::thread::hardware_concurrency().
  explicit WorkerPool(size_t threads = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return threads_.size() + 1; }

  // Calls fn(i) for every i in [0, n), spread over the pool and the calling
  // thread, and returns when all calls have returned. `fn` must not throw.
  // Small jobs run on the calling thread alone. Thread-safe: concurrent
  // callers take turns (a job in progress finishes before the next starts).
  void ForEach(size_t n, const std::function<void(size_t)>& fn);

 private:
  void Run();
  void Drain();

  std::mutex job_mu_;  // held for a whole ForEach: one job at a time
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t n_ = 0, next_ = 0, finished_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace custos
