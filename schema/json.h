// The JSON form of Custos records, through Cap'n Proto's own JSON codec
// (capnp/compat/json.h) with the $Json.hex annotations of custos.capnp:
// digests and keys are lower-case hex strings, 64-bit integers are strings
// or numbers on input and strings on output (capnp's convention).
#pragma once

#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "schema/custos.capnp.h"

namespace custos::schema {

// Parses a JSON statement and returns its canonical bytes. Unknown fields,
// an unknown body kind, malformed JSON, a wrong-length hex value and a
// missing body are InvalidArgument errors naming the field.
// Fields `time` and `nonce` are left as given (0 / empty when absent); the
// caller decides whether to fill them (see FillStatementDefaults).
Result<Bytes> StatementFromJson(std::string_view json);

// Sets `origin` if empty, `time` if 0 and `nonce` (16 random bytes from
// `random16`) if empty, and returns the new canonical bytes.
Bytes FillStatementDefaults(ByteSpan canonical_statement, std::string_view origin, int64_t now_ms,
                            ByteSpan random16);

// JSON text of a statement (single line unless `pretty`).
std::string StatementToJson(Statement::Reader statement, bool pretty = false);

// JSON text of a log entry, with the embedded statement decoded in place of
// its bytes (field "statement") and its hex bytes kept as "statementBytes".
std::string LogEntryToJson(LogEntry::Reader entry, bool pretty = false);

// The kind of a statement as used in file names and messages, e.g.
// "evidence-registered" for body.evidenceRegistered.
std::string StatementKind(Statement::Reader statement);

}  // namespace custos::schema
