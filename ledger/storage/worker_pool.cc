#include "ledger/storage/worker_pool.h"

namespace custos {

namespace {
// Below this many items a job is not worth waking threads for.
constexpr size_t kMinParallelItems = 8;
// Items taken per grab: amortises the lock, keeps the load balanced.
constexpr size_t kChunk = 16;
}  // namespace

WorkerPool::WorkerPool(size_t threads) {
  if (threads == 0) threads = std::max<size_t>(1, std::thread::hardware_concurrency());
  for (size_t i = 1; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::ForEach(size_t n, const std::function<void(size_t)>& fn) {
  if (n < kMinParallelItems || threads_.empty()) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::lock_guard<std::mutex> job(job_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    next_ = 0;
    finished_ = 0;
    ++generation_;
  }
  work_cv_.notify_all();
  Drain();
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return finished_ == n_; });
  fn_ = nullptr;
}

// Takes chunks of the current job until none are left.
void WorkerPool::Drain() {
  while (true) {
    size_t begin, end;
    const std::function<void(size_t)>* fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fn_ == nullptr || next_ >= n_) return;
      begin = next_;
      end = std::min(n_, begin + kChunk);
      next_ = end;
      fn = fn_;
    }
    for (size_t i = begin; i < end; ++i) (*fn)(i);
    std::lock_guard<std::mutex> lock(mu_);
    finished_ += end - begin;
    if (finished_ == n_) done_cv_.notify_all();
  }
}

void WorkerPool::Run() {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    Drain();
  }
}

}  // namespace custos
