// The benchmark's workload: the keys of one agency's log and realistic signed
// submissions (examples/evidence-registered.json with unique nonces, signed by
// the officer that examples/key-grant.json grants).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/keyfile.h"
#include "crypto/status.h"
#include "ledger/log/log.h"
#include "ledger/storage/worker_pool.h"

namespace custos::bench {

inline constexpr std::string_view kOrigin = "suzhou-ipb.example/custos";

struct Keys {
  NamedKey node;       // signs checkpoints; named after the origin
  SigningKey admin;    // named in the genesis; signs the officer's grant
  SigningKey officer;  // the key that examples/key-grant.json grants
};

// What the benchmarks append: the keys and one example statement.
struct Workload {
  Keys keys;
  Bytes evidence;  // canonical examples/evidence-registered.json, no origin/time/nonce
};

// MakeKeys() and the evidence statement of `examples_dir`; fails as they do.
Result<Workload> LoadWorkload(const std::string& examples_dir);

// Fixed keys (the officer's is the one of examples/keys/officer.key), so that
// runs are comparable. Fails if the officer seed does not give the key the
// example grant names.
Result<Keys> MakeKeys();

// Canonical statement bytes of examples/<kind>.json, origin and time not set.
Result<Bytes> ExampleStatement(const std::string& examples_dir, std::string_view kind);

// The admin's signed submission granting the officer its roles, at `now_ms`.
Result<Bytes> SignedOfficerGrant(const Keys& keys, const std::string& examples_dir, int64_t now_ms);

// A new log at options.path (origin kOrigin, node key keys.node, admin
// keys.admin) whose admin has granted the officer its roles at `now_ms`:
// genesis and grant, size 2. Fails as Log::Create and Log::Append do.
Result<std::unique_ptr<Log>> CreateGrantedLog(const LogOptions& options, const Keys& keys,
                                              const std::string& examples_dir, int64_t now_ms);

// Signed submissions of `statement` at time `now_ms`, one for each nonce
// counter in [first, first + count) (so every statement is unique), signed by
// `key` on all threads of `pool`. An evidenceRegistered gets the evidence id
// "<id>-<counter>" (evidence ids are unique in a log: docs/rules.md). With
// `per_ms` > 0, counter c is signed at now_ms + c / per_ms instead: the
// statements of a stream appended at per_ms entries per millisecond of log
// time carry the times their officers would have signed them at.
std::vector<Bytes> PresignStatements(ByteSpan statement, const SigningKey& key, int64_t now_ms, uint64_t first,
                                     size_t count, WorkerPool& pool, uint64_t per_ms = 0);

}  // namespace custos::bench
