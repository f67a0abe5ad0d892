// Static publishing (docs/http-api.md, "Publishing tiles as files"): every
// log the node holds written as files in the C2SP tlog-tiles layout under one
// directory, DIR/<origin>/checkpoint and DIR/<origin>/tile/…, so that nginx,
// an object store or a CDN serves reads without touching the node.
//
// Each pass publishes, for each log whose checkpoint changed, the tiles and
// entry bundles its size has that the last published size had not, then the
// checkpoint: a reader who sees a checkpoint finds every tile it needs. Every
// file is written aside and renamed into place; a tile or bundle file is
// never rewritten (its path names its width), and the partial files of a
// tile are removed once the full tile is there (the spec allows it; clients
// fall back to the full tile).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/status.h"
#include "node/log_view.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos::node {

class TilePublisher {
 public:
  // Publishes `logs` under `directory` (created if missing). Start() runs a
  // pass every `interval` on a thread of its own.
  TilePublisher(std::string directory, std::vector<std::shared_ptr<LogView>> logs, std::chrono::milliseconds interval,
                std::shared_ptr<spdlog::logger> logger);
  // Stop().
  ~TilePublisher();
  TilePublisher(const TilePublisher&) = delete;
  TilePublisher& operator=(const TilePublisher&) = delete;

  void Start();
  // Ends the pass in progress, joins the thread. Idempotent.
  void Stop();

  // One pass over every log; the first error (IOError naming the file, or
  // the store's error), after trying every log. Not concurrent with itself.
  Status PublishOnce();

 private:
  struct Published {
    uint64_t size = 0;
    std::string checkpoint;
  };
  Status PublishLog(const LogView& log, Published& published);

  const std::string directory_;
  const std::vector<std::shared_ptr<LogView>> logs_;
  const std::chrono::milliseconds interval_;
  std::shared_ptr<spdlog::logger> logger_;
  std::map<std::string, Published> published_;  // by origin; the publishing thread's

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace custos::node
