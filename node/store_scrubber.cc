#include "node/store_scrubber.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "ledger/storage/store.h"

namespace custos::node {

StoreScrubber::StoreScrubber(Store& store, std::shared_ptr<spdlog::logger> logger)
    : store_(store), logger_(std::move(logger)), thread_([this] { Run(); }) {}

StoreScrubber::~StoreScrubber() {
  stop_.store(true);
  thread_.join();
}

void StoreScrubber::Run() {
  const auto start = std::chrono::steady_clock::now();
  Status st = store_.Scrub(&stop_);
  if (stop_.load()) return;
  if (st.code() == Status::Code::kCorruption) {
    store_.MarkDamaged(st);
    logger_->error("{}; this node appends, signs and cosigns nothing more: stop it and repair the store", st.message());
    return;
  }
  if (!st.ok()) {
    logger_->warn("scrubbing the store: {}", st.ToString());
    return;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  logger_->info("store scrubbed: every block of both databases read with its checksum in {} ms", ms.count());
}

}  // namespace custos::node
