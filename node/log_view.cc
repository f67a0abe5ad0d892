#include "node/log_view.h"

#include <algorithm>

#include "ledger/log.h"

namespace custos::node {

namespace {

// Every call goes straight to the Log, which is thread-safe and serves reads
// from committed state while a batch is being appended.
class OwnLogView final : public LogView {
 public:
  explicit OwnLogView(const Log& log) : log_(log) {}

  const std::string& origin() const override { return log_.origin(); }
  LogRole role() const override { return LogRole::kOwn; }
  uint64_t size() const override { return log_.size(); }
  // With the cosignatures the peers handed back for it.
  std::string checkpoint() const override {
    auto cosigned = log_.CosignedCheckpoint();
    return cosigned.ok() && !cosigned->empty() ? *cosigned : log_.checkpoint();
  }
  Result<std::string> CheckpointAt(uint64_t size) const override { return log_.CheckpointAt(size); }
  Result<Bytes> Entry(uint64_t index) const override { return log_.Entry(index); }
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const override {
    return log_.InclusionProof(index, tree_size);
  }
  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t tree_size) const override {
    return log_.ConsistencyProof(old_size, tree_size);
  }

 private:
  const Log& log_;
};

}  // namespace

std::unique_ptr<LogView> NewOwnLogView(const Log& log) { return std::make_unique<OwnLogView>(log); }

Status LogRegistry::Add(std::shared_ptr<LogView> view) {
  std::string origin = view->origin();
  if (!logs_.emplace(origin, std::move(view)).second) {
    return Status::AlreadyExists("log \"" + origin + "\" is already registered");
  }
  return Status::OK();
}

std::shared_ptr<LogView> LogRegistry::Find(std::string_view origin) const {
  auto it = logs_.find(origin);
  return it == logs_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<LogView>> LogRegistry::All() const {
  std::vector<std::shared_ptr<LogView>> all;
  for (const auto& [origin, view] : logs_) all.push_back(view);
  std::stable_partition(all.begin(), all.end(), [](const auto& v) { return v->role() == LogRole::kOwn; });
  return all;
}

}  // namespace custos::node
