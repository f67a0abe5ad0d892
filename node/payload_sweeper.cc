#include "node/payload_sweeper.h"

#include <spdlog/spdlog.h>

#include "ledger/personal/private_data.h"
#include "ledger/storage/store.h"

namespace custos::node {

PayloadSweeper::PayloadSweeper(Store& store, std::shared_ptr<spdlog::logger> logger, std::chrono::milliseconds interval)
    : store_(store), logger_(std::move(logger)), interval_(interval), thread_([this] { Loop(); }) {}

PayloadSweeper::~PayloadSweeper() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void PayloadSweeper::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    auto swept = personal::SweepExpired(store_, store_.clock().NowMillis());
    if (!swept.ok()) {
      logger_->error("deleting the private payloads of lapsed listings failed: {}", swept.status().ToString());
    } else if (*swept > 0) {
      logger_->info("deleted the private payloads of {} lapsed listings", *swept);
    }
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace custos::node
