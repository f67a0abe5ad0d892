// Runs blocking work (signature checks, synced LevelDB writes) on a thread of
// its own and hands the result back to the KJ event loop that asked for it,
// so the loop keeps serving RPC while the disk syncs.
//
// Jobs run one at a time, in the order they were queued: a follower's
// replica sees Observe, Apply and Cosign in the order it issued them.
// Dropping the promise Run returned does not cancel a job that has started;
// its result is then thrown away. Run rejects with OVERLOADED when the
// queue is at its bound (if it has one).
//
// Why not kj::Executor::executeAsync on a thread with its own event loop: a
// promise it returned, when dropped, blocks the requesting thread until the
// executor thread acknowledges the cancellation, i.e. until the job running
// there ends. An RPC call whose client went away would then stall the node's
// event loop for as long as a synced write or a bundle query takes. Here a
// dropped promise costs nothing, and a full queue is refused at once.
#pragma once

#include <kj/async.h>
#include <kj/debug.h>  // KJ_EXCEPTION

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace custos::node {

class Offload final {
 public:
  // `max_queued` > 0 bounds the jobs waiting (not counting the one
  // running): Run rejects more with OVERLOADED, so that a client cannot
  // queue work without limit. 0: no bound.
  explicit Offload(size_t max_queued = 0) : max_queued_(max_queued), thread_([this] { Loop(); }) {}
  // Stop().
  ~Offload() { Stop(); }
  Offload(const Offload&) = delete;
  Offload& operator=(const Offload&) = delete;

  // Call on an event loop's thread. Queues `job` (a callable returning T,
  // which may throw a kj::Exception); the promise resolves on this thread
  // with its result. Rejects with DISCONNECTED after Stop().
  template <typename Job>
  auto Run(Job job) -> kj::Promise<std::invoke_result_t<Job&>> {
    using T = std::invoke_result_t<Job&>;
    auto paf = kj::newPromiseAndCrossThreadFulfiller<T>();
    auto task = std::make_unique<Task<Job, T>>(std::move(job), kj::mv(paf.fulfiller));
    {
      std::lock_guard lock(mu_);
      if (stopping_) return KJ_EXCEPTION(DISCONNECTED, "the node is shutting down");
      if (max_queued_ > 0 && queue_.size() >= max_queued_) {
        ++refused_;
        return KJ_EXCEPTION(OVERLOADED, "the node is busy: too many requests are waiting; retry");
      }
      queue_.push_back(std::move(task));
    }
    wake_.notify_one();
    return kj::mv(paf.promise);
  }

  // Jobs waiting now, and refused for a full queue so far (any thread).
  size_t queued() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  uint64_t refused() const {
    std::lock_guard lock(mu_);
    return refused_;
  }

  // Finishes the job in progress, rejects the queued ones, joins the thread.
  // Idempotent.
  void Stop() {
    std::deque<std::unique_ptr<TaskBase>> dropped;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      dropped.swap(queue_);
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    for (auto& task : dropped) task->Cancel();
  }

 private:
  struct TaskBase {
    virtual ~TaskBase() noexcept(false) = default;
    virtual void Execute() = 0;
    virtual void Cancel() = 0;
  };
  template <typename Job, typename T>
  struct Task final : TaskBase {
    Task(Job j, kj::Own<kj::CrossThreadPromiseFulfiller<T>> f) : job(std::move(j)), fulfiller(kj::mv(f)) {}
    void Execute() override {
      KJ_IF_MAYBE(e, kj::runCatchingExceptions([this] {
                    if constexpr (std::is_void_v<T>) {
                      job();
                      fulfiller->fulfill();
                    } else {
                      fulfiller->fulfill(job());
                    }
                  })) {
        fulfiller->reject(kj::mv(*e));
      }
    }
    void Cancel() override { fulfiller->reject(KJ_EXCEPTION(DISCONNECTED, "the node is shutting down")); }
    Job job;
    kj::Own<kj::CrossThreadPromiseFulfiller<T>> fulfiller;
  };

  void Loop() {
    for (;;) {
      std::unique_ptr<TaskBase> task;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task->Execute();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<TaskBase>> queue_;  // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  uint64_t refused_ = 0;                         // guarded by mu_
  const size_t max_queued_;
  std::thread thread_;                           // last: starts after the rest is built
};

}  // namespace custos::node
