#include "node/group_commit.h"

#include <kj/debug.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "ledger/log/log.h"
#include "ledger/tlog/checkpoint.h"
#include "node/metrics.h"

namespace custos::node {

struct GroupCommitter::Request {
  std::vector<Bytes> submissions;
  std::vector<std::optional<personal::Attachment>> privates;  // empty, or one per submission
  kj::Own<kj::CrossThreadPromiseFulfiller<CommitOutcome>> fulfiller;
};

GroupCommitter::GroupCommitter(Log& log, std::shared_ptr<spdlog::logger> logger, GroupCommitOptions options)
    : log_(log), logger_(std::move(logger)), options_(options) {
  for (size_t i = 0; i < std::max<size_t>(1, options_.writers); ++i) writers_.emplace_back([this] { WriterLoop(); });
}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : writers_) {
    if (w.joinable()) w.join();
  }
}

kj::Promise<CommitOutcome> GroupCommitter::Submit(std::vector<Bytes> submissions,
                                                  std::vector<std::optional<personal::Attachment>> privates) {
  KJ_REQUIRE(privates.empty() || privates.size() == submissions.size(), "one private item per submission, or none");
  auto paf = kj::newPromiseAndCrossThreadFulfiller<CommitOutcome>();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return KJ_EXCEPTION(DISCONNECTED, "the node is shutting down");
    if (queued_ + submissions.size() > options_.max_queued_submissions) {
      if (options_.metrics != nullptr) options_.metrics->SubmissionsRefused(submissions.size());
      return KJ_EXCEPTION(OVERLOADED, "the node is busy: too many submissions are waiting; retry later");
    }
    queued_ += submissions.size();
    queue_.push_back(Request{std::move(submissions), std::move(privates), kj::mv(paf.fulfiller)});
  }
  wake_.notify_one();
  return kj::mv(paf.promise);
}

void GroupCommitter::WriterLoop() {
  for (;;) {
    std::vector<Request> batch = TakeBatch();
    if (batch.empty()) return;  // stopping, and nothing is left
    Commit(batch);
  }
}

// Waits for work and takes whole requests, oldest first, up to the batch cap.
std::vector<GroupCommitter::Request> GroupCommitter::TakeBatch() {
  std::unique_lock lock(mu_);
  wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  std::vector<Request> batch;
  size_t taken = 0, n = 0;
  while (n < queue_.size() && (n == 0 || taken + queue_[n].submissions.size() <= options_.max_batch_submissions)) {
    taken += queue_[n].submissions.size();
    ++n;
  }
  std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n), std::back_inserter(batch));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queued_ -= taken;
  return batch;
}

size_t GroupCommitter::queued() const {
  std::lock_guard lock(mu_);
  return queued_;
}

void GroupCommitter::Commit(std::vector<Request>& batch) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<Bytes> all;
  std::vector<std::optional<personal::Attachment>> privates;  // stays empty unless a request has some
  for (auto& r : batch) {
    if (!r.privates.empty() && privates.empty()) privates.resize(all.size());
    for (size_t i = 0; i < r.submissions.size(); ++i) {
      all.push_back(std::move(r.submissions[i]));
      if (!r.privates.empty()) privates.push_back(std::move(r.privates[i]));
      else if (!privates.empty()) privates.emplace_back();
    }
  }
  // Independent: one officer's bad statement must not refuse another's.
  auto results = log_.Append(all, BatchMode::kIndependent, privates);
  uint64_t tree_size = 0;
  for (const auto& r : results) {
    if (r.ok()) tree_size = std::max(tree_size, r->index + 1);
  }
  std::string checkpoint;
  if (tree_size > 0) {
    auto cp = log_.CheckpointAt(tree_size);
    if (cp.ok()) checkpoint = *cp;
    else logger_->error("batch committed at size {} but its checkpoint cannot be read: {}", tree_size, cp.status().ToString());
  }
  if (!results.empty() && !results[0].ok() && results[0].status().code() == Status::Code::kIOError) {
    // The log refuses every later append until it is reopened (ledger/log/log.h).
    logger_->error("writing a batch failed; the log refuses appends until the node restarts: {}",
                   results[0].status().ToString());
  }
  batches_.fetch_add(1);
  submissions_.fetch_add(all.size());
  if (options_.metrics != nullptr) {
    const auto appended = static_cast<size_t>(
        std::count_if(results.begin(), results.end(), [](const auto& r) { return r.ok(); }));
    options_.metrics->BatchCommitted(all.size(), appended,
                                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  logger_->debug("committed a batch of {} submissions from {} calls; size {}", all.size(), batch.size(), tree_size);

  size_t next = 0;
  for (auto& request : batch) {
    CommitOutcome outcome{{}, tree_size, checkpoint};
    for (size_t i = 0; i < request.submissions.size(); ++i, ++next) {
      auto& r = results[next];
      if (r.ok()) outcome.results.emplace_back(MakeReceipt(r->index, r->leaf_hash, tree_size, checkpoint));
      else outcome.results.emplace_back(r.status());
    }
    request.fulfiller->fulfill(kj::mv(outcome));  // a no-op if the caller went away
  }
}

SubmitReceipt GroupCommitter::MakeReceipt(uint64_t index, const Hash& leaf, uint64_t tree_size,
                                          const std::string& checkpoint) {
  SubmitReceipt receipt{index, leaf, {}};
  if (checkpoint.empty()) return receipt;
  auto proof = log_.InclusionProof(index, tree_size);
  if (!proof.ok()) {
    logger_->error("entry {} was appended but its inclusion proof cannot be read: {}", index, proof.status().ToString());
    return receipt;
  }
  receipt.proof = TlogProof{"", index, std::move(proof).value(), checkpoint}.Format();
  return receipt;
}

}  // namespace custos::node
