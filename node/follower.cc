#include "node/follower.h"

#include <kj/debug.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "crypto/note.h"
#include "ledger/log/replica.h"
#include "ledger/personal/private_data.h"
#include "ledger/tlog/checkpoint.h"
#include "node/metrics.h"
#include "node/rpc_errors.h"
#include "schema/text.h"

namespace custos::node {

namespace {

// The size a checkpoint note states (its signature is checked later, by the replica).
Result<uint64_t> NoteSize(std::string_view note) {
  CUSTOS_ASSIGN_OR_RETURN(Note parsed, Note::Parse(note));
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::Parse(parsed.text));
  return cp.size;
}

std::string Describe(const kj::Exception& e) { return FromException(e).ToString(); }

}  // namespace

// The capability the peer calls with each new checkpoint of its log.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
// It may outlive the follower (the peer holds it until the connection
// closes), so it reaches the follower through a pointer the follower clears.
class Follower::Subscriber final : public rpc::CheckpointSubscriber::Server {
 public:
  explicit Subscriber(std::shared_ptr<Follower*> follower) : follower_(std::move(follower)) {}

 protected:
  kj::Promise<void> newCheckpoint(NewCheckpointContext context) override {
    Follower* f = *follower_;
    if (f != nullptr && Str(context.getParams().getOrigin()) == f->origin()) {
      f->Announce(Str(context.getParams().getNote()));
    }
    return kj::READY_NOW;
  }

 private:
  std::shared_ptr<Follower*> follower_;
};
#pragma GCC diagnostic pop

Follower::Follower(kj::AsyncIoProvider& io, Replica& replica, const PeerConfig& peer, const TlsIdentity& self,
                   const NamedKey& witness_key, FollowerEvents& events, std::shared_ptr<spdlog::logger> logger,
                   FollowerOptions options)
    : io_(io),
      replica_(replica),
      peer_(peer),
      self_(self),
      witness_key_(witness_key),
      events_(events),
      logger_(std::move(logger)),
      options_(options),
      backoff_(options.min_backoff),
      self_ref_(std::make_shared<Follower*>(this)) {}

Follower::~Follower() noexcept(false) { *self_ref_ = nullptr; }

PeerState Follower::state() const {
  PeerState s;
  s.origin = peer_.origin;
  s.address = peer_.address.ToString();
  s.agency_kind = peer_.agency_kind;
  s.connected = connected_;
  s.held_size = replica_.size();
  s.known_size = std::max(known_size_, s.held_size);
  s.last_contact_ms = last_contact_ms_;
  s.last_error = last_error_;
  return s;
}

void Follower::Touch() {
  last_contact_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
}

void Follower::Announce(std::string note) {
  auto size = NoteSize(note);
  if (!size.ok()) {
    logger_->warn("peer {}: ignoring a malformed checkpoint: {}", peer_.origin, size.status().ToString());
    return;
  }
  logger_->trace("peer {}: announced size {}", peer_.origin, *size);
  Touch();
  announced_ = std::move(note);
  Wake();
}

void Follower::Wake() {
  KJ_IF_MAYBE(w, wake_) {
    (*w)->fulfill();
    wake_ = nullptr;
  }
}

kj::Promise<void> Follower::WaitHeld(uint64_t size, kj::Duration timeout) {
  if (replica_.size() >= size) return kj::READY_NOW;
  auto paf = kj::newPromiseAndFulfiller<void>();
  waiters_.push_back(Waiter{size, kj::mv(paf.fulfiller)});
  return io_.getTimer().timeoutAfter(timeout, kj::mv(paf.promise)).catch_([this, size](kj::Exception&& e) {
    if (e.getType() == kj::Exception::Type::OVERLOADED) {
      kj::throwFatalException(ToException(Status::IOError(
          "the witness holds " + std::to_string(replica_.size()) + " entries of " + peer_.origin +
          " and could not verify up to size " + std::to_string(size) + " in time; retry later")));
    }
    kj::throwFatalException(kj::mv(e));
  });
}

void Follower::CheckWaiters() {
  uint64_t held = replica_.size();
  std::erase_if(waiters_, [held](Waiter& w) {
    if (!w.fulfiller->isWaiting()) return true;  // the caller timed out or went away
    if (w.size > held) return false;
    w.fulfiller->fulfill();
    return true;
  });
}

void Follower::Fail(const std::string& what) {
  if (last_error_ != what) logger_->warn("peer {}: {}", peer_.origin, what);
  last_error_ = what;
}

template <typename T>
kj::Promise<T> Follower::Timed(kj::Promise<T> call) {
  return io_.getTimer().timeoutAfter(options_.call_timeout, kj::mv(call));
}

// --- connection

kj::Promise<void> Follower::Run() {
  return Session()
      .catch_([this](kj::Exception&& e) {
        if (connected_) {
          logger_->info("peer {}: disconnected: {}", peer_.origin, Describe(e));
          last_error_ = Describe(e);
        } else {
          Fail(Describe(e));
        }
        connected_ = false;
        subscription_ = nullptr;
        source_ = nullptr;
        client_ = nullptr;
        kj::Duration delay = backoff_;
        backoff_ = std::min(backoff_ * 2, options_.max_backoff);
        return Relay().then([this, delay] { return io_.getTimer().afterDelay(delay); });
      })
      .then([this] { return Run(); });
}

kj::Maybe<rpc::Node::Client> Follower::client() {
  if (!connected_ || client_.get() == nullptr) return nullptr;
  return client_->node();
}

rpc::Node::Client Follower::Source() { return KJ_ASSERT_NONNULL(source_, "no connection to fetch from"); }

// One round of sync through another peer's replica of this peer's log.
kj::Promise<void> Follower::Relay() {
  Follower* holder = events_.RelayFor(peer_.origin);
  if (holder == nullptr) return kj::READY_NOW;
  KJ_IF_MAYBE(c, holder->client()) { source_ = *c; }
  else { return kj::READY_NOW; }
  relay_ = holder->origin();
  std::string unreachable = last_error_;
  auto request = Source().checkpointRequest();
  request.setOrigin(peer_.origin);
  return Timed(request.send().then([](auto&& response) { return Str(response.getNote()); }))
      .then([this](std::string note) { return Sync(std::move(note)); })
      .then(
          [this, unreachable] {
            if (last_error_ == unreachable) {
              last_error_ = unreachable + "; replica held " + std::to_string(replica_.size()) + ", fetched via " +
                            relay_;
            }
          },
          [this](kj::Exception&& e) { logger_->debug("peer {}: via {}: {}", peer_.origin, relay_, Describe(e)); })
      .then([this] {
        source_ = nullptr;
        relay_.clear();
      });
}

kj::Promise<void> Follower::Session() {
  return NodeClient::Connect(io_, self_, peer_.verifier.key, peer_.address, options_.connect_timeout)
      .then([this](kj::Own<NodeClient> client) {
        client_ = kj::mv(client);
        connected_ = true;
        Touch();
        backoff_ = options_.min_backoff;
        handed_over_.clear();
        if (failed_note_.empty()) last_error_.clear();
        logger_->info("peer {}: connected to {}", peer_.origin, peer_.address.ToString());
        source_ = client_->node();
        auto request = Source().subscribeRequest();
        request.setOrigin(peer_.origin);
        request.setSubscriber(kj::heap<Subscriber>(self_ref_));
        // The subscription is held as a pipelined capability: if the call
        // fails, the pull below still keeps the replica current.
        subscription_ = request.send().getSubscription();
        return SyncLoop();
      });
}

// --- the loop: learn the newest checkpoint, sync to it, pass proofs on, wait

kj::Promise<void> Follower::SyncLoop() {
  return NextNote()
      .then([this](std::string note) { return Sync(std::move(note)); })
      .then([this] { return HandOverProofs(); })
      .then([this] { return WaitForWork(); })
      .then([this] { return SyncLoop(); });
}

kj::Promise<std::string> Follower::NextNote() {
  if (announced_) {
    std::string note = std::move(*announced_);
    announced_.reset();
    return note;
  }
  auto request = Source().checkpointRequest();
  request.setOrigin(peer_.origin);
  return Timed(request.send().then([](auto&& response) { return Str(response.getNote()); }));
}

kj::Promise<void> Follower::WaitForWork() {
  if (announced_) return kj::READY_NOW;
  auto paf = kj::newPromiseAndFulfiller<void>();
  wake_ = kj::mv(paf.fulfiller);
  return paf.promise.exclusiveJoin(io_.getTimer().afterDelay(options_.poll_interval)).then([this] {
    wake_ = nullptr;
  });
}

kj::Promise<void> Follower::Sync(std::string note) {
  if (note.empty()) return kj::READY_NOW;  // the peer has no checkpoint yet
  auto size = NoteSize(note);
  if (!size.ok()) {
    Fail("checkpoint: " + size.status().ToString());
    return kj::READY_NOW;
  }
  uint64_t target = *size;
  if (note == failed_note_) return kj::READY_NOW;  // its entries failed a check: wait for a newer one
  // A note below the held size is still observed: its root must be the held
  // tree's root at its size, or it is an equivocation.
  uint64_t held = replica_.size();
  kj::Promise<std::vector<Hash>> proof =
      target > held && held > 0 ? FetchConsistency(held, target) : kj::Promise<std::vector<Hash>>(std::vector<Hash>{});
  return proof
      .then([this, note](std::vector<Hash> consistency) {
        return offload_.Run([this, note, consistency = std::move(consistency)] {
          return replica_.Observe(note, consistency);
        });
      })
      .then([this, note, target](Result<Observation> obs) mutable -> kj::Promise<void> {
        if (!obs.ok()) {
          Fail("checkpoint of size " + std::to_string(target) + ": " + obs.status().ToString());
          return kj::READY_NOW;
        }
        // Only a size the origin signed counts as announced (status' knownSize).
        known_size_ = std::max(known_size_, target);
        switch (obs->kind) {
          case CheckpointClass::kEquivocation:
            Fail("equivocation: " + obs->reason);
            events_.EquivocationFound(peer_.origin);
            return kj::READY_NOW;
          case CheckpointClass::kBadProof:
            Fail("checkpoint of size " + std::to_string(target) + ": bad consistency proof: " + obs->reason);
            return kj::READY_NOW;
          case CheckpointClass::kAhead:
            return Fetch(std::move(note), target);
          case CheckpointClass::kHeld:
            // Cosign the newest only: an older note is merely consistent.
            if (target < replica_.size()) return kj::READY_NOW;
            return offload_.Run([this, note] { return replica_.KeepCosignatures(note, options_.witnesses, options_.tsas,
                                                                       options_.sm2_witnesses); })
                .then([this, note = std::move(note), target](Status kept) mutable {
                  if (!kept.ok()) logger_->warn("peer {}: keeping cosignatures: {}", peer_.origin, kept.ToString());
                  return CosignAndReturn(std::move(note), target);
                });
        }
        return kj::READY_NOW;
      });
}

// --- replication

kj::Promise<void> Follower::Fetch(std::string note, uint64_t target) {
  uint64_t start = replica_.size();
  return ApplyFrom(std::move(note), start, target, FetchChunk(start, target));
}

kj::Promise<std::vector<Bytes>> Follower::FetchChunk(uint64_t start, uint64_t target) {
  auto request = Source().entriesRequest();
  request.setOrigin(peer_.origin);
  request.setStart(start);
  request.setCount(static_cast<uint32_t>(std::min<uint64_t>(options_.chunk_entries, target - start)));
  return Timed(request.send().then([](auto&& response) {
    std::vector<Bytes> entries;
    auto list = response.getEntries();
    entries.reserve(list.size());
    for (auto e : list) entries.emplace_back(e.begin(), e.end());
    return entries;
  }));
}

kj::Promise<std::vector<Hash>> Follower::FetchConsistency(uint64_t old_size, uint64_t new_size) {
  auto request = Source().consistencyProofRequest();
  request.setOrigin(peer_.origin);
  request.setOldSize(old_size);
  request.setTreeSize(new_size);
  return Timed(request.send().then([](auto&& response) {
    std::vector<Hash> proof;
    for (auto d : response.getProof()) {
      auto h = Hash::FromSpan(ByteSpan(d.begin(), d.size()));
      if (!h) Throw(Status::Corruption("consistency proof: a hash is not 32 bytes"));
      proof.push_back(*h);
    }
    return proof;
  }));
}

// Applies the chunk starting at `start` while the next one is on its way.
kj::Promise<void> Follower::ApplyFrom(std::string note, uint64_t start, uint64_t target,
                                      kj::Promise<std::vector<Bytes>> chunk) {
  return chunk.then([this, note = std::move(note), start, target](std::vector<Bytes> entries) mutable
                    -> kj::Promise<void> {
    if (entries.empty()) {
      Fail("entries from " + std::to_string(start) + ": the peer sent none below its checkpoint's size " +
           std::to_string(target));
      return kj::READY_NOW;
    }
    if (entries.size() > target - start) entries.resize(target - start);
    uint64_t end = start + entries.size();
    // Ask for the next chunk and for the proof that ties this chunk's end to
    // the note before verifying this one, so the network and the CPU overlap.
    kj::Maybe<kj::Promise<std::vector<Bytes>>> next;
    if (end < target) next = FetchChunk(end, target);
    kj::Promise<std::vector<Hash>> proof =
        end < target ? FetchConsistency(end, target) : kj::Promise<std::vector<Hash>>(std::vector<Hash>{});
    return proof
        .then([this, note, entries = std::move(entries)](std::vector<Hash> consistency) mutable {
          return offload_.Run([this, note, entries = std::move(entries), consistency = std::move(consistency)] {
            Applied out;
            out.status = replica_.Apply(entries, note, consistency, &out.person_listings);
            return out;
          });
        })
        .then([this](Applied applied) {
          auto persons = std::move(applied.person_listings);
          return FetchPayloads(std::move(persons)).then([status = std::move(applied.status)]() mutable {
            return std::move(status);
          });
        })
        .then([this, note, start, end, target, next = kj::mv(next)](Status applied) mutable -> kj::Promise<void> {
          if (!applied.ok()) {
            failed_note_ = note;
            stopped_reason_ = "replication of " + peer_.origin + " stopped at size " + std::to_string(start) +
                              " (checkpoint of size " + std::to_string(target) + "): " + applied.ToString();
            Fail(stopped_reason_);
            return kj::READY_NOW;
          }
          CheckWaiters();
          if (end == target) {
            logger_->debug("peer {}: replica at size {}", peer_.origin, end);
            failed_note_.clear();
            stopped_reason_.clear();
            last_error_.clear();
            Touch();
            events_.ReplicaAdvanced(peer_.origin);
            return CosignAndReturn(std::move(note), target);
          }
          return ApplyFrom(std::move(note), end, target, kj::mv(KJ_ASSERT_NONNULL(next)));
        });
  });
}

// --- personal data (docs/personal-data.md)

// Fetches the private payloads of the person listings just applied, one at a
// time, and stores those that bind to their entries. A payload the source no
// longer holds (the listing ended there) stores nothing, and no failure here
// stops replication: the entries are what the follower must not miss.
kj::Promise<void> Follower::FetchPayloads(std::vector<uint64_t> indexes) {
  kj::Promise<void> chain = kj::READY_NOW;
  for (uint64_t index : indexes) {
    chain = chain.then([this, index] {
      auto request = Source().privatePayloadRequest();
      request.setOrigin(peer_.origin);
      request.setIndex(index);
      return Timed(request.send().then([](auto&& response) {
               auto salt = response.getSalt();
               auto payload = response.getPayload();
               return personal::Attachment{Bytes(salt.begin(), salt.end()),
                                           std::string(payload.asChars().begin(), payload.size())};
             }))
          .then([this, index](personal::Attachment a) -> kj::Promise<void> {
            if (a.salt.empty() && a.payload.empty()) {
              logger_->debug("peer {}: entry {}: no private payload held there (the listing ended)", peer_.origin, index);
              return kj::READY_NOW;
            }
            int64_t now = replica_.stored().store().clock().NowMillis();
            return offload_.Run([this, index, a = std::move(a), now] { return replica_.StorePayload(index, a, now); })
                .then([this, index](Status stored) {
                  if (!stored.ok()) logger_->warn("peer {}: private payload of entry {}: {}", peer_.origin, index, stored.ToString());
                });
          })
          .catch_([this, index](kj::Exception&& e) {
            logger_->warn("peer {}: fetching the private payload of entry {}: {}", peer_.origin, index, Describe(e));
          });
    });
  }
  return chain;
}

// --- witnessing

kj::Promise<void> Follower::CosignAndReturn(std::string note, uint64_t size) {
  if (size == 0 || size <= delivered_size_) return kj::READY_NOW;
  kj::TimePoint tick = io_.getTimer().now();
  KJ_IF_MAYBE(last, last_cosign_) {
    if (tick - *last < options_.min_cosign_interval) return kj::READY_NOW;  // the next poll cosigns the newest
  }
  last_cosign_ = tick;
  uint64_t now = static_cast<uint64_t>(replica_.stored().store().clock().NowMillis() / 1000);
  return offload_.Run([this, note, now] { return replica_.Cosign(note, witness_key_, now); })
      .then([this, note, size](Result<std::string> line) -> kj::Promise<void> {
        if (!line.ok()) {
          if (replica_.equivocation()) return kj::READY_NOW;  // already reported
          Fail("cosigning size " + std::to_string(size) + ": " + line.status().ToString());
          return kj::READY_NOW;
        }
        if (options_.metrics != nullptr) options_.metrics->CosignatureGiven(peer_.origin);
        events_.ReplicaAdvanced(peer_.origin);
        if (!relay_.empty()) return kj::READY_NOW;  // handed to the peer once it is back
        auto request = Source().addCosignatureRequest();
        request.setCheckpoint(note);
        request.setCosignature(*line);
        return Timed(request.send().ignoreResult()).then([this, size] {
          delivered_size_ = size;
          logger_->debug("peer {}: cosigned size {}", peer_.origin, size);
        });
      });
}

kj::Promise<void> Follower::HandOverProofs() {
  kj::Promise<void> chain = kj::READY_NOW;
  for (auto& proof : events_.KnownEquivocations()) {
    if (proof.origin == peer_.origin || handed_over_.count(proof.origin) != 0) continue;
    chain = chain.then([this, proof = std::move(proof)]() {
      auto request = Source().reportEquivocationRequest();
      auto p = request.initProof();
      p.setOrigin(proof.origin);
      p.setNoteA(proof.note_a);
      p.setNoteB(proof.note_b);
      auto list = p.initConsistency(static_cast<capnp::uint>(proof.consistency.size()));
      for (size_t i = 0; i < proof.consistency.size(); ++i) {
        list.set(static_cast<capnp::uint>(i), DataOf(proof.consistency[i].span()));
      }
      return Timed(request.send().then([this, origin = proof.origin](auto&& response) {
        handed_over_.insert(origin);
        logger_->info("peer {}: handed over the proof that {} equivocated: {}", peer_.origin, origin,
                      response.getAccepted() ? "accepted" : "refused: " + Str(response.getReason()));
      }));
    });
  }
  return chain;
}

}  // namespace custos::node
