// Follows one federation peer's log (docs/replication.md, "The follower"):
// keeps a replica of it verified and current, cosigns what it verified, and
// passes on proofs of equivocation.
//
// One Follower per peer, on the node's RPC event loop. It connects to the
// peer with the node's key (TLS, the peer's key pinned), subscribes to the
// peer's checkpoints (push) and also asks for the latest one every
// `poll_interval` (pull, the fallback). For each checkpoint note it learns:
//
//   1. Observe it against the replica (with the peer's consistency proof from
//      the held size): held, ahead, an equivocation, or a bad proof;
//   2. ahead: fetch the entries in chunks, the next chunk already on the wire
//      while the previous one is verified, and Apply each chunk with the
//      note (and the consistency proof from the chunk's end to the note),
//      then fetch the private payloads of the listings of persons it holds
//      (privatePayload; docs/personal-data.md) — never a reason to stop;
//   3. held at the note's size: cosign it and hand the cosignature back to the
//      peer (addCosignature).
//
// Verification and synced writes run on the follower's Offload thread, never
// on the event loop. While the peer cannot be reached, the follower fetches
// its log from another connected peer's replica (everything it applies is
// still checked against the peer's own signature), cosigns locally, and hands
// the cosignature to the peer once it is back. A peer that is down or slow costs a reconnect with
// backoff; a restart resumes at the replica's size. An entry that fails a
// check stops replication at the chunk holding it; the reason is kept in the
// peer's status until a later note replicates cleanly.
#pragma once

#include <kj/async-io.h>
#include <kj/timer.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/keyfile.h"
#include "ledger/log/equivocation.h"
#include "node/client.h"
#include "node/config.h"
#include "node/offload.h"
#include "node/server.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos {
class Replica;
}  // namespace custos

namespace custos::node {

class NodeMetrics;

struct FollowerOptions {
  uint32_t chunk_entries = 4096;  // entries asked for per call (the RPC limit)
  kj::Duration poll_interval = 2 * kj::SECONDS;
  kj::Duration call_timeout = 60 * kj::SECONDS;
  kj::Duration connect_timeout = 10 * kj::SECONDS;
  kj::Duration min_backoff = 200 * kj::MILLISECONDS;
  kj::Duration max_backoff = 5 * kj::SECONDS;
  // Cosign a peer's checkpoint at most this often (docs/replication.md: witnessing
  // cost must not grow with the append rate); the newest is cosigned at the
  // next poll.
  kj::Duration min_cosign_interval = 1 * kj::SECONDS;
  // How long a witness call (addCheckpoint) for a checkpoint ahead of the
  // replica waits for the follower to verify the entries.
  kj::Duration witness_wait = 30 * kj::SECONDS;
  // The federation's witnesses (alg 0x04 keys): their cosignatures on a
  // note the origin serves are kept with the replica's copy of that note,
  // so a listing check answered from the replica carries the quorum
  // (Replica::KeepCosignatures). Empty: only this node's own is kept.
  std::vector<NoteVerifier> witnesses{};
  // The federation's time-stamping authorities: their RFC 3161 tokens on the
  // origin's notes are kept likewise (bundles made here then carry them).
  std::vector<TimestampVerifier> tsas{};
  // The peers' SM2 keys: their SM2 cosignature lines are kept likewise.
  std::vector<Sm2NoteVerifier> sm2_witnesses{};
  // If set (it must outlive the federation), cosignatures given and
  // received are counted there.
  NodeMetrics* metrics = nullptr;
};

class Follower;

// What a follower tells the rest of the node. Called on the event loop.
class FollowerEvents {
 public:
  virtual ~FollowerEvents() noexcept(false) = default;
  // The replica of `origin` reached or cosigned a new checkpoint.
  virtual void ReplicaAdvanced(const std::string& origin) = 0;
  // The replica of `origin` now holds a proof that it equivocated.
  virtual void EquivocationFound(const std::string& origin) = 0;
  // Every proof of equivocation the node holds (to hand to peers).
  virtual std::vector<EquivocationProof> KnownEquivocations() const = 0;
  // Another peer, connected now, that can serve `origin`'s log (its replica)
  // while `origin` itself cannot be reached; nullptr if none.
  virtual Follower* RelayFor(const std::string& origin) = 0;
};

class Follower {
 public:
  // Borrows everything; all must outlive the follower. `witness_key` is the
  // node's key: its cosignatures are made with it under the node's origin.
  Follower(kj::AsyncIoProvider& io, Replica& replica, const PeerConfig& peer, const TlsIdentity& self,
           const NamedKey& witness_key, FollowerEvents& events, std::shared_ptr<spdlog::logger> logger,
           FollowerOptions options = {});
  ~Follower() noexcept(false);
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Runs until the promise is dropped (it never resolves).
  kj::Promise<void> Run();

  const std::string& origin() const { return peer_.origin; }
  bool connected() const { return connected_; }
  // The peer's RPC capability while connected.
  kj::Maybe<rpc::Node::Client> client();
  Replica& replica() const { return replica_; }
  Offload& offload() { return offload_; }
  PeerState state() const;

  // A checkpoint of the peer's log learnt elsewhere (its subscription, or a
  // witness call): the follower syncs to it soon.
  void Announce(std::string note);
  // Makes an idle follower look for work now (e.g. a proof to hand over).
  void Wake();
  // Why replication of this peer stopped at an entry that fails a check;
  // empty while it replicates cleanly.
  const std::string& stopped_reason() const { return stopped_reason_; }
  // Resolves once the replica holds at least `size` entries; rejects with
  // OVERLOADED after `timeout`.
  kj::Promise<void> WaitHeld(uint64_t size, kj::Duration timeout);

 private:
  class Subscriber;
  // Records that the peer was heard from now.
  void Touch();
  kj::Promise<void> Session();
  kj::Promise<void> Relay();
  rpc::Node::Client Source();
  kj::Promise<void> SyncLoop();
  kj::Promise<void> WaitForWork();
  kj::Promise<std::string> NextNote();
  kj::Promise<void> Sync(std::string note);
  kj::Promise<void> Fetch(std::string note, uint64_t target);
  kj::Promise<void> ApplyFrom(std::string note, uint64_t start, uint64_t target,
                              kj::Promise<std::vector<Bytes>> chunk);
  kj::Promise<std::vector<Bytes>> FetchChunk(uint64_t start, uint64_t target);
  kj::Promise<std::vector<Hash>> FetchConsistency(uint64_t old_size, uint64_t new_size);
  // What applying one chunk did: its status, and which of its entries are
  // listings of persons (whose private payloads are fetched next).
  struct Applied {
    Status status;
    std::vector<uint64_t> person_listings;
  };
  kj::Promise<void> FetchPayloads(std::vector<uint64_t> indexes);
  kj::Promise<void> CosignAndReturn(std::string note, uint64_t size);
  kj::Promise<void> HandOverProofs();
  template <typename T>
  kj::Promise<T> Timed(kj::Promise<T> call);
  void Fail(const std::string& what);
  void CheckWaiters();

  kj::AsyncIoProvider& io_;
  Replica& replica_;
  const PeerConfig& peer_;
  const TlsIdentity& self_;
  const NamedKey& witness_key_;
  FollowerEvents& events_;
  std::shared_ptr<spdlog::logger> logger_;
  FollowerOptions options_;

  kj::Own<NodeClient> client_;
  // Where entries, proofs and checkpoints come from: the peer, or while it
  // cannot be reached, another peer holding a replica of its log (`relay_`).
  kj::Maybe<rpc::Node::Client> source_;
  std::string relay_;
  kj::Maybe<rpc::Subscription::Client> subscription_;
  std::optional<std::string> announced_;             // newest note not yet synced to
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> wake_;
  kj::Duration backoff_;
  std::shared_ptr<Follower*> self_ref_;  // what the subscriber capability holds

  bool connected_ = false;
  uint64_t known_size_ = 0;
  std::string last_error_;
  int64_t last_contact_ms_ = 0;  // see PeerState
  std::string stopped_reason_;
  std::string failed_note_;       // a note whose entries failed a check: not retried
  uint64_t delivered_size_ = 0;   // the size whose cosignature the peer accepted
  kj::Maybe<kj::TimePoint> last_cosign_;
  std::set<std::string> handed_over_;  // origins whose proof this peer has

  struct Waiter {
    uint64_t size;
    kj::Own<kj::PromiseFulfiller<void>> fulfiller;
  };
  std::vector<Waiter> waiters_;

  Offload offload_;  // last: stopped (joined) first
};

}  // namespace custos::node
