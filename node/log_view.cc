#include "node/log_view.h"

#include <algorithm>

#include "ledger/log/log.h"
#include "ledger/log/replica.h"

namespace custos::node {

namespace {

// A stored log as a LogView: the own Log or a peer's Replica, which read the
// same way (both are thread-safe and serve reads from committed state while a
// batch is written). The checkpoint carries the cosignatures gathered for it.
template <typename Stored, LogRole kRole>
class StoredLogView final : public LogView {
 public:
  explicit StoredLogView(const Stored& log) : log_(log) {}

  const std::string& origin() const override { return log_.origin(); }
  LogRole role() const override { return kRole; }
  uint64_t size() const override { return log_.size(); }
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
  Result<listings::LogListingAnswer> ListingAnswer(const listings::SubjectKey& key) const override {
    return listings::BuildLogAnswer(log_.listings(), key);
  }
  const StoredLog& stored() const override { return log_.stored(); }

 private:
  const Stored& log_;
};

}  // namespace

std::unique_ptr<LogView> NewOwnLogView(const Log& log) {
  return std::make_unique<StoredLogView<Log, LogRole::kOwn>>(log);
}

std::unique_ptr<LogView> NewReplicaView(const Replica& replica) {
  return std::make_unique<StoredLogView<Replica, LogRole::kReplica>>(replica);
}

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
