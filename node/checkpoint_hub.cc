#include "node/checkpoint_hub.h"

#include <spdlog/spdlog.h>

#include <map>
#include <optional>

namespace custos::node {

namespace {
capnp::MessageSize HintFor(std::string_view a, std::string_view b) {
  return {(a.size() + b.size()) / sizeof(capnp::word) + 16, 0};
}
}  // namespace

struct CheckpointHub::State : private kj::TaskSet::ErrorHandler {
  class SubscriptionImpl;
  struct Subscriber {
    std::string origin;
    rpc::CheckpointSubscriber::Client cap;
    bool in_flight = false;
    std::optional<std::string> queued;  // the newest note not yet sent
  };
  explicit State(std::shared_ptr<spdlog::logger> l) : logger(std::move(l)) {}
  virtual ~State() = default;

  // Each task handles its own failure; nothing reaches here.
  void taskFailed(kj::Exception&& e) override { logger->warn("checkpoint push: {}", e.getDescription().cStr()); }

  void Send(uint64_t id, std::string note) {
    auto& s = subs.at(id);
    s.in_flight = true;
    auto request = s.cap.newCheckpointRequest(HintFor(s.origin, note));
    request.setOrigin(s.origin);
    request.setNote(note);
    tasks.add(request.send().then([this, id](auto&&) { Sent(id); },
                                  [this, id](kj::Exception&& e) { Drop(id, e); }));
  }

  void Sent(uint64_t id) {
    auto it = subs.find(id);
    if (it == subs.end()) return;  // unsubscribed meanwhile
    it->second.in_flight = false;
    if (it->second.queued) {
      std::string next = std::move(*it->second.queued);
      it->second.queued.reset();
      Send(id, std::move(next));
    }
  }

  void Drop(uint64_t id, const kj::Exception& e) {
    if (subs.erase(id) > 0) {
      logger->info("dropped a checkpoint subscriber: its call failed: {}", e.getDescription().cStr());
    }
  }

  std::shared_ptr<spdlog::logger> logger;
  std::map<uint64_t, Subscriber> subs;
  uint64_t next_id = 1;
  kj::TaskSet tasks{*this};  // last: destroyed (cancelled) before the map
};

// The capability a subscriber holds; dropping it unsubscribes. Nested in
// State so that it may name it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class CheckpointHub::State::SubscriptionImpl final : public rpc::Subscription::Server {
 public:
  SubscriptionImpl(std::weak_ptr<State> state, uint64_t id) : state_(std::move(state)), id_(id) {}
  ~SubscriptionImpl() {
    if (auto state = state_.lock()) state->subs.erase(id_);
  }

 private:
  std::weak_ptr<State> state_;
  uint64_t id_;
};
#pragma GCC diagnostic pop

CheckpointHub::CheckpointHub(std::shared_ptr<spdlog::logger> logger)
    : state_(std::make_shared<State>(std::move(logger))) {}

CheckpointHub::~CheckpointHub() = default;

rpc::Subscription::Client CheckpointHub::Subscribe(std::string_view origin,
                                                   rpc::CheckpointSubscriber::Client subscriber,
                                                   std::string_view current) {
  uint64_t id = state_->next_id++;
  state_->subs.emplace(id, State::Subscriber{std::string(origin), kj::mv(subscriber), false, std::nullopt});
  if (!current.empty()) state_->Send(id, std::string(current));
  return kj::heap<State::SubscriptionImpl>(state_, id);
}

void CheckpointHub::Publish(std::string_view origin, std::string_view note) {
  for (auto& [id, s] : state_->subs) {
    if (s.origin != origin) continue;
    if (s.in_flight) s.queued = std::string(note);
    else state_->Send(id, std::string(note));
  }
}

size_t CheckpointHub::subscriber_count() const { return state_->subs.size(); }

}  // namespace custos::node
