// The node's RPC service (schema/rpc.capnp, docs/node.md): one rpc::Node
// capability per connection, bound to the key that connection authenticated
// with, over parts that each have one job:
//
//   LogRegistry      the logs the node holds, by origin (node/log_view.h)
//   GroupCommitter   appends to the own log (node/group_commit.h)
//   CheckpointHub    pushes new checkpoints to subscribers (node/checkpoint_hub.h)
//   AccessPolicy     who may do what (node/access.h)
//   FederationHooks  witnessing, peer status and alarms — the replication and
//                    witness code plugs in here (below)
//
// Everything here runs on the RPC event loop's thread.
#pragma once

#include <capnp/capability.h>
#include <kj/async.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "node/access.h"
#include "node/checkpoint_hub.h"
#include "node/config.h"
#include "node/group_commit.h"
#include "node/log_view.h"
#include "schema/rpc.capnp.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos {
class Store;
}  // namespace custos

namespace custos::node {

class Maintenance;
class Offload;

// What the node knows about one federation peer (rpc::PeerStatus).
struct PeerState {
  std::string origin;
  std::string address;
  std::string agency_kind;
  bool connected = false;
  uint64_t held_size = 0;   // entries of its log verified and stored here
  uint64_t known_size = 0;  // the largest size it has announced
  int64_t last_contact_ms = 0;  // when it last connected, answered or announced (ms since the epoch); 0: never
  std::string last_error;
};

// Two checkpoints of one origin that cannot both be honest (rpc::EquivocationProof).
struct EquivocationReport {
  std::string origin;
  std::string note_a;  // the smaller (or equal) size
  std::string note_b;
  std::vector<Hash> consistency;
};

struct EquivocationVerdict {
  bool accepted = false;
  std::string reason;
};

// The federation side of the node: witnessing (C2SP tlog-witness), gathering
// cosignatures, equivocation, and what status reports about peers. The RPC
// server checks that the caller is a federation peer before the three witness
// calls, and turns a rejected promise into the call's exception (use
// node/rpc_errors.h ToException for a Status). Called on the event loop.
class FederationHooks {
 public:
  virtual ~FederationHooks() noexcept(false) = default;

  // rpc addCheckpoint: returns this node's cosignature line.
  virtual kj::Promise<std::string> AddCheckpoint(const Caller& caller, uint64_t old_size, std::vector<Hash> proof,
                                                 std::string checkpoint) = 0;
  // rpc addCosignature: a witness's cosignature on a checkpoint of the own log.
  virtual kj::Promise<void> AddCosignature(const Caller& caller, std::string checkpoint, std::string cosignature) = 0;
  // rpc reportEquivocation.
  virtual kj::Promise<EquivocationVerdict> ReportEquivocation(const Caller& caller, EquivocationReport report) = 0;

  virtual std::vector<PeerState> Peers() const = 0;
  virtual std::vector<std::string> Alarms() const = 0;
};

// Hooks for a server that neither follows nor witnesses (tests of the RPC
// server alone; custosd uses node/federation.h): the witness calls fail with
// UNIMPLEMENTED, and every configured peer (other than the node itself) is
// reported as not connected, nothing held.
std::unique_ptr<FederationHooks> NewStaticFederation(const FederationConfig& federation, std::string_view own_origin);

// The parts one node's RPC service is made of. Borrowed: all must outlive
// every capability made from them (destroy the listener first).
struct NodeServices {
  std::string origin;  // the own log's origin
  LogRegistry* logs = nullptr;
  GroupCommitter* committer = nullptr;
  CheckpointHub* hub = nullptr;
  const AccessPolicy* access = nullptr;
  FederationHooks* federation = nullptr;
  std::shared_ptr<spdlog::logger> logger;
  // The own log's size last published to subscribers (so one batch's
  // checkpoint is published once, however many calls it answered).
  uint64_t published_size = 0;
  // The database of every log held: for private payloads
  // (ledger/personal/private_data.h; nullptr: privatePayload answers UNIMPLEMENTED)
  // and for the queries across every log (node/queries.h; nullptr: they fail).
  Store* store = nullptr;
  // The federation file (agency kinds), for the queries.
  const FederationConfig* federation_config = nullptr;
  // Where the queries run, off the event loop; nullptr: on it.
  Offload* queries = nullptr;
  // Where listing checks are answered: their own thread, so that a long
  // audit on `queries` does not hold them up; nullptr: on the event loop.
  Offload* listing_checks = nullptr;
  // Operators' verification and backup of the store (node/maintenance.h);
  // nullptr: verifyStore and backupStore answer UNIMPLEMENTED.
  Maintenance* maintenance = nullptr;
};

// The bootstrap capability for a connection whose peer authenticated as `caller`.
rpc::Node::Client NewNodeServer(NodeServices& services, Caller caller);

}  // namespace custos::node
