// What the RPC server reads from a log the node holds: its own log, or a
// replica of a peer's log that the node follows and verifies.
//
// The server looks logs up by origin in a LogRegistry and serves checkpoint,
// entries and proofs through LogView only, so a replica plugs in by
// implementing LogView and registering itself.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/listings/listing_check.h"

namespace custos {
class Log;
class Replica;
class StoredLog;
}  // namespace custos

namespace custos::node {

enum class LogRole {
  kOwn,      // the node appends and signs
  kReplica,  // a peer's log, followed, verified and cosigned here
};

// "own" / "replica", as JSON answers name the role.
inline const char* RoleName(LogRole role) { return role == LogRole::kOwn ? "own" : "replica"; }

// A read-only view of one log. Implementations must be thread-safe: the RPC
// event loop and the node's own worker threads read concurrently with appends,
// and every method sees some committed state.
class LogView {
 public:
  virtual ~LogView() = default;

  virtual const std::string& origin() const = 0;
  virtual LogRole role() const = 0;
  // Entries held (verified and stored, for a replica).
  virtual uint64_t size() const = 0;
  // The latest checkpoint held, a signed note verbatim, with whatever
  // cosignatures the node has gathered for it.
  virtual std::string checkpoint() const = 0;
  // The checkpoint of tree size `size`; NotFound if the node holds none of
  // that size (the own log signs one per committed batch).
  virtual Result<std::string> CheckpointAt(uint64_t size) const = 0;
  // Canonical LogEntry bytes; NotFound at or past size().
  virtual Result<Bytes> Entry(uint64_t index) const = 0;
  // RFC 9162 proofs; InvalidArgument/NotFound for sizes the log does not have.
  virtual Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const = 0;
  virtual Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t tree_size) const = 0;
  // The log's answer to a listing check for `key`, from one committed state
  // (listings::BuildLogAnswer).
  virtual Result<listings::LogListingAnswer> ListingAnswer(const listings::SubjectKey& key) const = 0;
  // The log's records in the store, for queries that read its indexes and
  // rule state (evidence bundles: ledger/query/bundle.h).
  virtual const StoredLog& stored() const = 0;
};

// The node's own log as a LogView. Borrows `log`, which must outlive it.
std::unique_ptr<LogView> NewOwnLogView(const Log& log);
// A verified replica of a peer's log as a LogView: the origin's latest note it
// holds, with this node's cosignature once it made one. Borrows `replica`.
std::unique_ptr<LogView> NewReplicaView(const Replica& replica);

// Every log the node holds, by origin. Lives on the RPC event loop's thread;
// not thread-safe (the views themselves are).
class LogRegistry {
 public:
  // Registers `view` under its origin; AlreadyExists if one is registered.
  Status Add(std::shared_ptr<LogView> view);
  // nullptr if the node holds no log of that origin.
  std::shared_ptr<LogView> Find(std::string_view origin) const;
  // Every log, the own one first, then by origin.
  std::vector<std::shared_ptr<LogView>> All() const;

 private:
  std::map<std::string, std::shared_ptr<LogView>, std::less<>> logs_;
};

}  // namespace custos::node
