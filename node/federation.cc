#include "node/federation.h"

#include "crypto/timestamp.h"
#include "node/http_client.h"

#include <kj/debug.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "crypto/cosignature.h"
#include "crypto/note.h"
#include "ledger/log/log.h"
#include "ledger/log/replica.h"
#include "ledger/tlog/checkpoint.h"
#include "node/metrics.h"
#include "node/rpc_errors.h"

namespace custos::node {

namespace {

Result<Checkpoint> ParseNote(std::string_view note) {
  CUSTOS_ASSIGN_OR_RETURN(Note parsed, Note::Parse(note));
  return Checkpoint::Parse(parsed.text);
}

std::string DescribeProof(const EquivocationProof& proof) {
  auto a = ParseNote(proof.note_a);
  auto b = ParseNote(proof.note_b);
  std::string sizes = a.ok() && b.ok() ? " (sizes " + std::to_string(a->size) + " and " + std::to_string(b->size) + ")"
                                       : "";
  return "equivocation: " + proof.origin + " signed two inconsistent checkpoints" + sizes +
         "; the proof is kept and this node no longer cosigns it";
}

}  // namespace

Federation::Federation(kj::AsyncIoProvider& io, const FederationConfig& federation, Log& own_log,
                       const std::map<std::string, Replica*>& replicas, const TlsIdentity& self,
                       const NamedKey& node_key, CheckpointHub& hub, std::shared_ptr<spdlog::logger> logger,
                       FollowerOptions options)
    : federation_(federation),
      own_log_(own_log),
      node_key_(node_key),
      hub_(hub),
      logger_(std::move(logger)),
      timer_(io.getTimer()) {
  FollowerEvents& events = *this;
  witness_wait_ = options.witness_wait;
  metrics_ = options.metrics;
  for (const auto& peer : federation.peers) {
    if (peer.origin != node_key.name) {
      options.witnesses.push_back(NoteVerifier::ForKey(peer.origin, peer.verifier.key, kAlgCosignatureV1));
    }
  }
  options.tsas = federation.tsas;
  for (const auto& peer : federation.peers) {
    if (peer.origin != node_key.name && peer.sm2_key) options.sm2_witnesses.push_back(*peer.sm2_key);
  }
  for (const auto& [origin, replica] : replicas) {
    const PeerConfig* peer = federation.FindPeer(origin);
    KJ_REQUIRE(peer != nullptr, "a replica without a federation peer", origin);
    followers_.emplace(origin,
                       std::make_unique<Follower>(io, *replica, *peer, self, node_key, events, logger_, options));
  }
}

Federation::~Federation() noexcept(false) {
  runs_.clear();         // stop following (drops in-flight calls)
  if (stamp_offload_) stamp_offload_->Stop();  // a TSA request in flight ends within its timeouts
  own_offload_.Stop();   // finish a cosignature being stored
}

void Federation::StampWith(TimestampingConfig config, TimestampVerifier tsa) {
  stamping_ = Stamping{std::move(config), std::move(tsa), ""};
  stamp_offload_ = std::make_unique<Offload>();
}

void Federation::Start() {
  for (auto& [origin, follower] : followers_) {
    runs_.push_back(follower->Run().eagerlyEvaluate([this, o = origin](kj::Exception&& e) {
      logger_->error("peer {}: the follower stopped: {}", o, FromException(e).ToString());
    }));
  }
  if (stamping_) {
    runs_.push_back(StampLoop().eagerlyEvaluate([this](kj::Exception&& e) {
      logger_->error("time stamping stopped: {}", FromException(e).ToString());
    }));
  }
}

kj::Promise<void> Federation::StampLoop() {
  return timer_.afterDelay(stamping_->config.interval_ms * kj::MILLISECONDS)
      .then([this] { return stamp_offload_->Run([this] { return StampLatest(); }); })
      .then([this](Result<bool> stamped) {
        if (!stamped.ok()) {
          const std::string why = stamped.status().ToString();
          if (why != stamping_->last_error) {
            logger_->warn("time stamp from {} ({}): {}", stamping_->tsa.name, stamping_->config.url, why);
          }
          stamping_->last_error = why;
        } else if (*stamped) {
          stamping_->last_error.clear();
          // Followers keep the line from the note the origin publishes.
          auto cosigned = own_log_.CosignedCheckpoint();
          if (cosigned.ok() && !cosigned->empty()) hub_.Publish(own_log_.origin(), *cosigned);
        }
        return StampLoop();
      });
}

Result<bool> Federation::StampLatest() {
  CUSTOS_ASSIGN_OR_RETURN(std::string note, own_log_.CosignedCheckpoint());
  if (note.empty()) return false;
  CUSTOS_ASSIGN_OR_RETURN(Note parsed, Note::Parse(note));
  const TimestampVerifier& tsa = stamping_->tsa;
  for (const auto& sig : parsed.signatures) {
    if (sig.name == tsa.name && sig.key_id == tsa.key_id) return false;  // stamped already
  }
  CUSTOS_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(stamping_->config.url));
  CUSTOS_ASSIGN_OR_RETURN(TimestampRequest request, MakeTimestampRequest(parsed.text));
  constexpr size_t kMaxTimestampReply = 64 * 1024;
  CUSTOS_ASSIGN_OR_RETURN(HttpReply reply, HttpPost(url, "", "application/timestamp-query", std::string(AsString(request.der)),
                                                    stamping_->config.ca_file, kMaxTimestampReply));
  if (reply.status != 200) return Status::IOError("the TSA answered HTTP " + std::to_string(reply.status));
  CUSTOS_ASSIGN_OR_RETURN(Bytes token, TokenFromResponse(AsBytes(reply.body), request, tsa.cert));
  CUSTOS_RETURN_IF_ERROR(own_log_.AddTimestamp(note, TimestampLine(tsa, token), tsa));
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::Parse(parsed.text));
  logger_->info("checkpoint of size {} time-stamped by {}", cp.size, tsa.name);
  return true;
}

Follower* Federation::FindFollower(std::string_view origin) const {
  auto it = followers_.find(origin);
  return it == followers_.end() ? nullptr : it->second.get();
}

// --- FederationHooks

namespace {

// The witness's answer to a checkpoint, decided on the follower's thread
// (one job at a time, so the witness state cannot move in between): the
// origin's signature first, then whether it contradicts what is held (kept as
// evidence whatever oldSize says), then C2SP's oldSize rules, then the
// consistency proof for a checkpoint ahead of what is held.
Result<Observation> WitnessObserve(Replica& replica, std::string_view checkpoint, const Checkpoint& cp,
                                   uint64_t old_size, std::span<const Hash> proof) {
  if (cp.size <= replica.size()) {
    CUSTOS_ASSIGN_OR_RETURN(Observation held, replica.Observe(checkpoint, std::span<const Hash>{}));
    if (held.kind == CheckpointClass::kEquivocation) return held;
  }
  if (old_size > cp.size) {
    return Status::InvalidArgument("oldSize: " + std::to_string(old_size) + " is above the checkpoint's size " +
                                   std::to_string(cp.size));
  }
  auto witness = replica.witness_state();
  uint64_t witnessed = witness ? witness->size : 0;
  if (old_size != witnessed) return Status::FailedPrecondition("conflict: witness holds size " + std::to_string(witnessed));
  return replica.Observe(checkpoint, old_size, proof);
}

}  // namespace

kj::Promise<std::string> Federation::AddCheckpoint(const Caller& caller, uint64_t old_size, std::vector<Hash> proof,
                                                   std::string checkpoint) {
  auto cp = ParseNote(checkpoint);
  if (!cp.ok()) Throw(cp.status().WithContext("checkpoint"));
  Follower* follower = FindFollower(cp->origin);
  if (follower == nullptr) {
    Throw(Status::NotFound("checkpoint: unknown origin \"" + cp->origin + "\": this node does not witness it"));
  }
  Replica& replica = follower->replica();
  logger_->debug("witness call from {}: {} at size {}", caller.peer_origin.value_or("?"), cp->origin, cp->size);
  uint64_t size = cp->size;
  return follower->offload()
      .Run([&replica, checkpoint, cp = *cp, old_size, proof = std::move(proof)] {
        return WitnessObserve(replica, checkpoint, cp, old_size, proof);
      })
      .then([this, follower, checkpoint, size, old_size](Result<Observation> obs) mutable -> kj::Promise<std::string> {
        if (!obs.ok()) {
          if (obs.status().code() == Status::Code::kFailedPrecondition || obs.status().code() == Status::Code::kInvalidArgument) {
            Throw(obs.status());  // "conflict: …", "oldSize: …"
          }
          Throw(obs.status().WithContext("checkpoint"));
        }
        switch (obs->kind) {
          case CheckpointClass::kEquivocation:
            EquivocationFound(follower->origin());
            Throw(Status::FailedPrecondition("equivocation: " + obs->reason));
          case CheckpointClass::kBadProof:
            Throw(Status::Corruption("proof: " + obs->reason));
          case CheckpointClass::kAhead:
            follower->Announce(checkpoint);
            return follower->WaitHeld(size, witness_wait_).then([this, follower, checkpoint, old_size]() mutable {
              return Cosign(*follower, std::move(checkpoint), old_size);
            });
          case CheckpointClass::kHeld:
            break;
        }
        return Cosign(*follower, std::move(checkpoint), old_size);
      });
}

kj::Promise<std::string> Federation::Cosign(Follower& follower, std::string note, uint64_t old_size) {
  Replica& replica = follower.replica();
  uint64_t now = static_cast<uint64_t>(replica.stored().store().clock().NowMillis() / 1000);
  return follower.offload()
      .Run([&replica, note, this, now, old_size]() -> Result<std::string> {
        // Checked again here: another witness call may have cosigned meanwhile.
        auto witness = replica.witness_state();
        uint64_t witnessed = witness ? witness->size : 0;
        if (old_size != witnessed) {
          return Status::FailedPrecondition("conflict: witness holds size " + std::to_string(witnessed));
        }
        return replica.Cosign(note, node_key_, now);
      })
      .then([this, &follower](Result<std::string> line) {
        if (!line.ok()) Throw(line.status());
        if (metrics_ != nullptr) metrics_->CosignatureGiven(follower.origin());
        ReplicaAdvanced(follower.origin());
        return std::move(line).value();
      });
}

kj::Promise<void> Federation::AddCosignature(const Caller& caller, std::string checkpoint, std::string cosignature) {
  const PeerConfig* peer = caller.peer_origin ? federation_.FindPeer(*caller.peer_origin) : nullptr;
  if (peer == nullptr) Throw(Status::Unauthorized("addCosignature: the caller is not a federation peer"));
  auto cp = ParseNote(checkpoint);
  if (!cp.ok()) Throw(cp.status().WithContext("checkpoint"));
  if (cp->origin != own_log_.origin()) {
    Throw(Status::InvalidArgument("checkpoint: origin \"" + cp->origin + "\" is not this node's log \"" +
                                  own_log_.origin() + "\""));
  }
  NoteVerifier witness = NoteVerifier::ForKey(peer->origin, peer->verifier.key, kAlgCosignatureV1);
  // The cosignature/v1 line, then (from a witness with an SM2 key) its SM2
  // cosignature line, kept only if the federation file has the peer's sm2Key.
  std::string sm2_line;
  if (const size_t end = cosignature.find('\n'); end != std::string::npos && end + 1 < cosignature.size()) {
    sm2_line = cosignature.substr(end + 1);
    cosignature.resize(end + 1);
  }
  std::optional<Sm2NoteVerifier> sm2_key = peer->sm2_key;
  return own_offload_
      .Run([this, checkpoint = std::move(checkpoint), cosignature = std::move(cosignature), witness,
            sm2_line = std::move(sm2_line), sm2_key] {
        Status st = own_log_.AddCosignature(checkpoint, cosignature, witness);
        if (st.ok() && !sm2_line.empty() && sm2_key) st = own_log_.AddSm2Cosignature(checkpoint, sm2_line, *sm2_key);
        return st;
      })
      .then([this, origin = peer->origin, size = cp->size](Status stored) {
        if (!stored.ok()) Throw(stored.WithContext("cosignature"));
        if (metrics_ != nullptr) metrics_->CosignatureReceived();
        logger_->debug("{} cosigned size {}", origin, size);
        if (size != own_log_.size()) return;
        auto cosigned = own_log_.CosignedCheckpoint();
        if (cosigned.ok() && !cosigned->empty()) hub_.Publish(own_log_.origin(), *cosigned);
      });
}

kj::Promise<EquivocationVerdict> Federation::ReportEquivocation(const Caller& caller, EquivocationReport report) {
  EquivocationProof proof{std::move(report.origin), std::move(report.note_a), std::move(report.note_b),
                          std::move(report.consistency)};
  std::string from = caller.peer_origin.value_or("?");
  if (proof.origin == own_log_.origin()) {
    // Someone holds two histories signed with this node's key: if the proof
    // checks, the key is compromised or a second log was made with it.
    Status st = CheckEquivocationProof(proof, NoteVerifier::ForKey(own_log_.origin(), own_log_.node_key()));
    if (!st.ok()) return EquivocationVerdict{false, st.ToString()};
    std::string alarm = "equivocation: two histories signed with this node's own key (reported by " + from + ")";
    logger_->critical("ALARM {}", alarm);
    if (std::find(own_alarms_.begin(), own_alarms_.end(), alarm) == own_alarms_.end()) own_alarms_.push_back(alarm);
    return EquivocationVerdict{true, ""};
  }
  Follower* follower = FindFollower(proof.origin);
  if (follower == nullptr) {
    return EquivocationVerdict{false, "this node does not follow \"" + proof.origin + "\""};
  }
  bool had = follower->replica().equivocation().has_value();
  Replica& replica = follower->replica();
  return follower->offload()
      .Run([&replica, proof] { return replica.ReportEquivocation(proof); })
      .then([this, follower, had, from](Status st) {
        if (!st.ok()) {
          logger_->warn("{} handed over a proof of equivocation by {} that does not check: {}", from,
                        follower->origin(), st.ToString());
          return EquivocationVerdict{false, st.ToString()};
        }
        if (!had) {
          logger_->info("{} handed over a proof of equivocation by {}; checked", from, follower->origin());
          EquivocationFound(follower->origin());
        }
        return EquivocationVerdict{true, ""};
      });
}

std::vector<PeerState> Federation::Peers() const {
  std::vector<PeerState> peers;
  for (const auto& [origin, follower] : followers_) peers.push_back(follower->state());
  return peers;
}

std::vector<std::string> Federation::Alarms() const {
  std::vector<std::string> alarms = own_alarms_;
  for (const auto& [origin, follower] : followers_) {
    if (auto proof = follower->replica().equivocation()) alarms.push_back(DescribeProof(*proof));
    if (!follower->stopped_reason().empty()) alarms.push_back(follower->stopped_reason());
  }
  return alarms;
}

// --- FollowerEvents

void Federation::ReplicaAdvanced(const std::string& origin) {
  Follower* follower = FindFollower(origin);
  if (follower == nullptr) return;
  auto note = follower->replica().CosignedCheckpoint();
  if (note.ok() && !note->empty()) hub_.Publish(origin, *note);
}

void Federation::EquivocationFound(const std::string& origin) {
  Follower* follower = FindFollower(origin);
  if (follower == nullptr) return;
  auto proof = follower->replica().equivocation();
  if (!proof || !alarmed_.insert(origin).second) return;
  logger_->critical("ALARM {}", DescribeProof(*proof));
  for (auto& [o, f] : followers_) f->Wake();  // hand the proof over
}

std::vector<EquivocationProof> Federation::KnownEquivocations() const {
  std::vector<EquivocationProof> proofs;
  for (const auto& [origin, follower] : followers_) {
    if (auto proof = follower->replica().equivocation()) proofs.push_back(std::move(*proof));
  }
  return proofs;
}

// Any connected peer other than the origin: every node of the federation
// follows every other, so each holds a replica of the origin's log.
Follower* Federation::RelayFor(const std::string& origin) {
  for (auto& [o, f] : followers_) {
    if (o != origin && f->connected()) return f.get();
  }
  return nullptr;
}

}  // namespace custos::node
