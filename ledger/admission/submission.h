// Signed submissions and log entries (docs/entry-format.md).
//
// An author signs  "custos/statement/v1\n" || canonical Statement bytes  with
// Ed25519. The node checks a submission in two steps: CheckSubmission needs no
// log state (sizes, canonical form, fields and identifiers, signature) and can
// run on any thread; the log then checks origin, time, replay and authority
// in order.
#pragma once

#include <string_view>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "schema/canonical.h"

namespace custos {

inline constexpr std::string_view kStatementSigningContext = "custos/statement/v1\n";

// Canonical SignedSubmission bytes for `statement` (canonical Statement bytes).
Bytes SignSubmission(ByteSpan statement, const SigningKey& key);

struct CheckedSubmission {
  schema::CanonicalMessage<schema::SignedSubmission> submission;
  schema::CanonicalMessage<schema::Statement> statement;
  PublicKey author;
  Hash statement_hash;  // SHA-256 of the statement bytes: with the time, the replay-index key

  int64_t statement_time() const { return statement.get().getTime(); }
};

// Checks everything about a submission that needs no log state. Errors:
// InvalidArgument (malformed, oversized, bad field or identifier, naming it),
// Corruption ("signature: does not verify").
Result<CheckedSubmission> CheckSubmission(ByteSpan submission_bytes);

// The checks that need the log's state at the moment of appending, shared
// by the appender and by full verification: origin, the author's clock
// against the log's, and authority. Replay is checked by the caller.
struct AppendContext {
  std::string_view origin;
  uint64_t index = 0;
  int64_t log_time = 0;
  int64_t max_clock_skew_ms = 0;
  const class Authority* authority = nullptr;
};
Status CheckInContext(const CheckedSubmission& c, const AppendContext& ctx);

// Canonical LogEntry bytes.
Bytes BuildEntry(uint64_t index, const Hash& prev_hash, int64_t log_time,
                 schema::SignedSubmission::Reader submission);

}  // namespace custos
