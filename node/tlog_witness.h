// The node as a C2SP tlog-witness (c2sp.org/tlog-witness) of logs outside the
// federation that its config names: POST /add-checkpoint on the HTTP read
// plane (docs/http-api.md, "Witnessing other logs"). For each such log it
// keeps the latest checkpoint it cosigned (size and root) in a file of the
// data directory, and cosigns a newer checkpoint only if it is signed by the
// log's key and provably consistent with that one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keyfile.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "node/http_routes.h"

namespace custos::node {

struct WitnessedLog {
  std::string origin;
  NoteVerifier key;  // the log's note key (alg 0x01)
};

class NodeMetrics;

class TlogWitness {
 public:
  // Reads the state file (none yet: nothing cosigned). InvalidArgument /
  // IOError naming the file if it cannot be read. `metrics`, if set, counts
  // the cosignatures given (it must outlive the witness).
  static Result<std::unique_ptr<TlogWitness>> Open(std::vector<WitnessedLog> logs, std::string state_file,
                                                   NamedKey witness_key, NodeMetrics* metrics = nullptr);

  // Answers one add-checkpoint request body, per the spec: 404 for an origin
  // it does not witness, 403 if no signature by the log's key verifies, 400
  // for a malformed body or an old size above the checkpoint's, 409 with the
  // size it holds (text/x.tlog.size) if the old size is not that one or the
  // same size has another root, 422 if the consistency proof does not
  // verify; else it records the checkpoint (the file is synced and renamed
  // before it answers) and answers 200 with its cosignature/v1 line.
  // Thread-safe: the check and the record are one step under a lock.
  HttpResponse AddCheckpoint(std::string_view body);

  // The cosignature/v1 verifier key of this witness ("<name>+<id>+<key>").
  std::string VerifierKey() const;

 private:
  struct Held {
    uint64_t size = 0;
    Hash root;
  };
  TlogWitness(std::vector<WitnessedLog> logs, std::string state_file, NamedKey witness_key, NodeMetrics* metrics)
      : logs_(std::move(logs)), state_file_(std::move(state_file)), key_(std::move(witness_key)), metrics_(metrics) {}
  Status Save(const std::map<std::string, Held>& held) const;

  const std::vector<WitnessedLog> logs_;
  const std::string state_file_;
  const NamedKey key_;
  NodeMetrics* const metrics_;
  std::mutex mu_;
  std::map<std::string, Held> held_;  // by origin; guarded by mu_
};

}  // namespace custos::node
