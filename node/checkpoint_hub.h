// Pushes new checkpoints to subscribers (rpc::CheckpointSubscriber
// capabilities), per origin.
//
// Whoever learns of a new checkpoint of a log — the own log's group commit,
// a follower that stored or cosigned a peer's checkpoint, or the witness code
// that gathered a cosignature — calls Publish. Each subscriber has at most one
// newCheckpoint call in flight: checkpoints that arrive meanwhile are
// coalesced to the newest, so a slow subscriber costs one pending note, never
// a queue. A subscriber whose call fails is dropped; dropping the returned
// Subscription capability unsubscribes.
//
// Lives on the RPC event loop's thread; not thread-safe.
#pragma once

#include <kj/async.h>

#include <memory>
#include <string>
#include <string_view>

#include "schema/rpc.capnp.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos::node {

class CheckpointHub {
 public:
  explicit CheckpointHub(std::shared_ptr<spdlog::logger> logger);
  ~CheckpointHub();
  CheckpointHub(const CheckpointHub&) = delete;
  CheckpointHub& operator=(const CheckpointHub&) = delete;

  // Registers `subscriber` for checkpoints of `origin` and, unless
  // `current` is empty, sends it `current` (the log's latest checkpoint) at
  // once, so that nothing published before the subscription is missed. The
  // result may outlive the hub (it then does nothing).
  rpc::Subscription::Client Subscribe(std::string_view origin, rpc::CheckpointSubscriber::Client subscriber,
                                      std::string_view current = {});

  // Sends `note` (a checkpoint of `origin`) to each of its subscribers, or
  // queues it behind the call in flight (replacing an older queued one).
  void Publish(std::string_view origin, std::string_view note);

  // Subscribers currently registered (for status and tests).
  size_t subscriber_count() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace custos::node
