// Ends the publication of lapsed listings of persons (docs/personal-data.md):
// a thread that every `interval` deletes the private payloads whose listing's
// publication end has passed (personal::SweepExpired), so no node keeps a
// person's name and id number past the end of the listing. A delisting needs
// no sweep: its batch deletes the payload (ledger/storage/store.h, AddEntry).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos {
class Store;
}  // namespace custos

namespace custos::node {

class PayloadSweeper {
 public:
  // Starts the thread; the first sweep runs at once. `store` must outlive
  // this object.
  PayloadSweeper(Store& store, std::shared_ptr<spdlog::logger> logger,
                 std::chrono::milliseconds interval = std::chrono::seconds(60));
  // Stops and joins the thread.
  ~PayloadSweeper();
  PayloadSweeper(const PayloadSweeper&) = delete;
  PayloadSweeper& operator=(const PayloadSweeper&) = delete;

 private:
  void Loop();

  Store& store_;
  std::shared_ptr<spdlog::logger> logger_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // last: started once the rest is set
};

}  // namespace custos::node
