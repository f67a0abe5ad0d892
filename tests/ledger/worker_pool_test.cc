#include "ledger/storage/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace custos {
namespace {

TEST(WorkerPoolTest, CallsEveryIndexExactlyOnce) {
  WorkerPool pool(3);
  for (size_t n : {0, 1, 7, 8, 100, 1000}) {
    std::vector<std::atomic<int>> calls(n);
    pool.ForEach(n, [&](size_t i) { calls[i].fetch_add(1); });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(calls[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

// The node verifies a batch while a full log verification may be running:
// ForEach from several threads at once must still call every index once.
TEST(WorkerPoolTest, ConcurrentCallersEachGetTheirWholeJob) {
  WorkerPool pool(2);
  constexpr size_t kCallers = 4, kItems = 5000;
  std::vector<std::vector<std::atomic<int>>> calls(kCallers);
  for (auto& c : calls) c = std::vector<std::atomic<int>>(kItems);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) pool.ForEach(kItems, [&](size_t i) { calls[t][i].fetch_add(1); });
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < kCallers; ++t) {
    for (size_t i = 0; i < kItems; ++i) ASSERT_EQ(calls[t][i].load(), 5) << "caller " << t << " item " << i;
  }
}

}  // namespace
}  // namespace custos
