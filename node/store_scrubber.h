// Reads the node's whole store once, in the background, after the node
// starts (Store::Scrub): opening reads only the heads, the key tables and a
// few entries, so a damaged block deeper in the files would otherwise be found
// only when someone asks for it. On Corruption the store refuses every write
// from then on (Store::MarkDamaged): the node appends, signs and cosigns
// nothing more, serves what still reads, and logs what to do
// (docs/operations.md).
#pragma once

#include <atomic>
#include <memory>
#include <thread>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos {
class Store;
}  // namespace custos

namespace custos::node {

class StoreScrubber {
 public:
  // Starts the thread. `store` must outlive this object.
  StoreScrubber(Store& store, std::shared_ptr<spdlog::logger> logger);
  // Stops the scrub where it is and joins the thread.
  ~StoreScrubber();
  StoreScrubber(const StoreScrubber&) = delete;
  StoreScrubber& operator=(const StoreScrubber&) = delete;

 private:
  void Run();

  Store& store_;
  std::shared_ptr<spdlog::logger> logger_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: started once the rest is set
};

}  // namespace custos::node
