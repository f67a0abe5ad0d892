// A checkpoint subscriber for tests: collects the notes it is called with.
#pragma once

#include <kj/async.h>

#include <string>
#include <vector>

#include "schema/rpc.capnp.h"

namespace custos::testing {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Collector final : public rpc::CheckpointSubscriber::Server {
 public:
  explicit Collector(std::vector<std::string>* notes) : notes_(notes) {}

 protected:
  kj::Promise<void> newCheckpoint(NewCheckpointContext context) override {
    notes_->push_back(context.getParams().getNote().cStr());
    return kj::READY_NOW;
  }

 private:
  std::vector<std::string>* notes_;
};
#pragma GCC diagnostic pop

}  // namespace custos::testing
