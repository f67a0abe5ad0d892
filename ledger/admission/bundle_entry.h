// Reading log entries for evidence bundles (ledger/query/bundle.h), shared by the
// builder and the verifier: an entry and its statement parsed without
// checking the signature, and names of statement kinds.
#pragma once

#include <string>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "schema/canonical.h"

namespace custos::bundle {

// A LogEntry and the Statement inside it, in canonical form, and its leaf
// hash. The author's signature is NOT checked (ParseEntry does that).
struct LightEntry {
  schema::CanonicalMessage<schema::LogEntry> entry;
  schema::CanonicalMessage<schema::Statement> statement;
  Hash leaf_hash;
};
// InvalidArgument naming what is malformed.
Result<LightEntry> ReadLightEntry(ByteSpan raw);

// Genesis, key grant or key revoke: what authority is decided from.
bool IsAdministration(schema::Statement::Body::Which kind);
// The schema's name of a statement kind ("custodyTransferred").
std::string KindName(schema::Statement::Body::Which kind);

}  // namespace custos::bundle
