// Group commit of submissions to the node's own log.
//
// Calls that arrive together on the RPC event loop are queued; a writer
// thread takes everything pending, appends it with ONE Log::Append (one synced
// LevelDB write, one signed checkpoint), makes each appended item's tlog-proof
// against that batch's checkpoint, and hands every caller its own items'
// results back on the event loop. The event loop never blocks on the disk.
// Two writers by default: while one batch is written (Log::Append's serial
// part and the sync), the next one's signatures are already being checked
// (Log::Append checks before it takes its lock), so no core idles.
#pragma once

#include <kj/async.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/personal/private_data.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos {
class Log;
}  // namespace custos

namespace custos::node {

class NodeMetrics;

// An appended submission: where it is, and a c2sp.org/tlog-proof@v1 text for
// it against the checkpoint of the batch that appended it. `proof` is empty
// only if the proof could not be read back (an I/O error, logged).
struct SubmitReceipt {
  uint64_t index = 0;
  Hash leaf_hash;
  std::string proof;
};

// What one Submit call gets back.
struct CommitOutcome {
  // One per submission, in order: a receipt, or why it was refused (the
  // Log::Append codes; IOError if the write failed).
  std::vector<Result<SubmitReceipt>> results;
  // The log's size after the batch and the checkpoint signed at that size;
  // 0 and empty when nothing of the batch was appended.
  uint64_t tree_size = 0;
  std::string checkpoint;
};

struct GroupCommitOptions {
  // Requests are taken whole, up to this many submissions per batch (at least
  // one request), so one batch's latency stays bounded.
  size_t max_batch_submissions = 16384;
  // Submit fails with OVERLOADED when this many submissions are already
  // waiting, so memory stays bounded under overload.
  size_t max_queued_submissions = 65536;
  // Writer threads, each with one batch in flight (at least 1).
  size_t writers = 2;
  // If set (it must outlive the committer), every batch and every refusal
  // for a full queue is counted there.
  NodeMetrics* metrics = nullptr;
};

class GroupCommitter {
 public:
  // Starts the writer threads. `log` must be opened with its node key and
  // outlive this object; nothing else may append to it.
  GroupCommitter(Log& log, std::shared_ptr<spdlog::logger> logger, GroupCommitOptions options = {});
  // Stop().
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Call on the thread of the event loop that will wait for the result.
  // Queues `submissions` (canonical SignedSubmission bytes); the promise
  // resolves once the batch holding them is committed. Rejects with
  // OVERLOADED when the queue is full, DISCONNECTED after Stop(). Dropping the
  // promise does not withdraw the submissions.
  // `privates` is empty or one item per submission (Log::Append's).
  kj::Promise<CommitOutcome> Submit(std::vector<Bytes> submissions,
                                    std::vector<std::optional<personal::Attachment>> privates = {});

  // Commits everything already queued, then stops the writer threads; later
  // Submit calls fail. Idempotent; call from the owning thread.
  void Stop();

  // Batches committed and submissions taken so far (any thread).
  uint64_t batches() const { return batches_.load(); }
  uint64_t submissions() const { return submissions_.load(); }
  // Submissions waiting now (any thread).
  size_t queued() const;

 private:
  struct Request;
  void WriterLoop();
  std::vector<Request> TakeBatch();
  void Commit(std::vector<Request>& batch);
  SubmitReceipt MakeReceipt(uint64_t index, const Hash& leaf, uint64_t tree_size, const std::string& checkpoint);

  Log& log_;
  std::shared_ptr<spdlog::logger> logger_;
  GroupCommitOptions options_;
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> submissions_{0};

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Request> queue_;  // guarded by mu_
  size_t queued_ = 0;           // submissions in queue_; guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::vector<std::thread> writers_;
};

}  // namespace custos::node
