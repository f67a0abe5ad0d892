// The federation side of a node (docs/replication.md): a Follower
// per peer keeping a verified replica of its log, the witness calls of the
// RPC interface (tlog-witness addCheckpoint, addCosignature,
// reportEquivocation), the alarms, and what status says about peers.
//
// Lives on the RPC event loop's thread. Blocking work (verification, synced
// writes) runs on Offload threads: one per follower, one for the own log.
#pragma once

#include <kj/async-io.h>

#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "crypto/keyfile.h"
#include "node/checkpoint_hub.h"
#include "node/config.h"
#include "node/follower.h"
#include "node/log_view.h"
#include "node/offload.h"
#include "node/server.h"
#include "node/tls.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos {
class Log;
class Replica;
}  // namespace custos

namespace custos::node {

class Federation final : public FederationHooks, private FollowerEvents {
 public:
  // `replicas` holds one replica per peer of `federation` other than the
  // node itself (Replica::Open with the peer's key), keyed by origin. All
  // borrowed; all must outlive this object.
  Federation(kj::AsyncIoProvider& io, const FederationConfig& federation, Log& own_log,
             const std::map<std::string, Replica*>& replicas, const TlsIdentity& self, const NamedKey& node_key,
             CheckpointHub& hub, std::shared_ptr<spdlog::logger> logger, FollowerOptions options = {});
  ~Federation() noexcept(false) override;

  // Before Start: also ask an RFC 3161 time-stamping authority, every
  // `config.interval_ms`, for a token on the own log's latest checkpoint if
  // it has none by `tsa` yet; the token's line is checked, stored with the
  // checkpoint (Log::AddTimestamp) and published with it, so followers keep
  // it and bundles carry it (docs/timestamps.md). A failed request is logged
  // (once until the reason changes) and tried again at the next interval.
  void StampWith(TimestampingConfig config, TimestampVerifier tsa);

  // Starts following every peer. Runs until the object is destroyed.
  void Start();

  // FederationHooks.
  kj::Promise<std::string> AddCheckpoint(const Caller& caller, uint64_t old_size, std::vector<Hash> proof,
                                         std::string checkpoint) override;
  kj::Promise<void> AddCosignature(const Caller& caller, std::string checkpoint, std::string cosignature) override;
  kj::Promise<EquivocationVerdict> ReportEquivocation(const Caller& caller, EquivocationReport report) override;
  std::vector<PeerState> Peers() const override;
  std::vector<std::string> Alarms() const override;

 private:
  // FollowerEvents.
  void ReplicaAdvanced(const std::string& origin) override;
  void EquivocationFound(const std::string& origin) override;
  std::vector<EquivocationProof> KnownEquivocations() const override;
  Follower* RelayFor(const std::string& origin) override;

  Follower* FindFollower(std::string_view origin) const;
  // The witness call's cosignature: refused if the witness state is no longer `old_size`.
  kj::Promise<std::string> Cosign(Follower& follower, std::string note, uint64_t old_size);
  // The time-stamping loop (StampWith), and one round of it on
  // stamp_offload_ (a thread of its own: a slow TSA must not hold up the
  // cosignatures own_offload_ stores): true if a token was added.
  kj::Promise<void> StampLoop();
  Result<bool> StampLatest();

  const FederationConfig& federation_;
  Log& own_log_;
  const NamedKey& node_key_;
  CheckpointHub& hub_;
  kj::Duration witness_wait_;
  NodeMetrics* metrics_ = nullptr;  // FollowerOptions::metrics
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<std::string> own_alarms_;  // proofs that the own key signed two histories
  std::set<std::string> alarmed_;        // origins whose equivocation was logged
  std::map<std::string, std::unique_ptr<Follower>, std::less<>> followers_;
  Offload own_offload_;  // the own log's cosignature writes
  kj::Timer& timer_;
  struct Stamping {
    TimestampingConfig config;
    TimestampVerifier tsa;
    std::string last_error;  // logged once until it changes
  };
  std::optional<Stamping> stamping_;
  std::unique_ptr<Offload> stamp_offload_;  // made by StampWith
  std::vector<kj::Promise<void>> runs_;  // the followers' Run promises; destroyed first
};

}  // namespace custos::node
