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
//
// Strictness, in detail: input over kMaxStatementBytes is refused unparsed;
// the parsed JSON is walked against the schema before decoding, so every
// error message starts with the field path ("body.caseOpened.partys: unknown
// field", "body.fooBar: unknown statement kind; known kinds: genesis, ...").
// Refused: unknown or duplicate fields, null, a body that is absent, empty or
// has two kinds, a value of the wrong JSON type, an enum name not in the
// schema (numbers are not accepted for enums), integers that are fractional,
// out of range, or JSON numbers beyond 2^53 (write those as strings), and hex
// that is odd-length or not hex ("wrong-length" here means not whole bytes:
// the byte counts of keys and digests are ledger/admission/validate.h's to check).
// Hex is accepted in either case. Text that is not valid UTF-8 is refused
// ("statement: body.caseClosed.reason: text is not valid UTF-8"): the
// result always reads with ReadCanonical.
Result<Bytes> StatementFromJson(std::string_view json);

// Sets `origin` if empty, `time` if 0 and `nonce` (16 random bytes from
// `random16`) if empty, and returns the new canonical bytes.
// Requires (KJ_REQUIRE) canonical statement bytes, as StatementFromJson
// returns, and random16.size() == 16.
Bytes FillStatementDefaults(ByteSpan canonical_statement, std::string_view origin, int64_t now_ms,
                            ByteSpan random16);

// JSON text of a statement (single line unless `pretty`).
std::string StatementToJson(Statement::Reader statement, bool pretty = false);

// JSON text of a log entry, with the embedded statement decoded in place of
// its bytes (field "statement") and its hex bytes kept as "statementBytes".
// If the bytes are not a canonical statement, "statement" is null and
// "statementError" says why.
std::string LogEntryToJson(LogEntry::Reader entry, bool pretty = false);

// The kind of a statement as used in file names and messages, e.g.
// "evidence-registered" for body.evidenceRegistered; "unknown" for a kind
// from a newer schema.
std::string StatementKind(Statement::Reader statement);

}  // namespace custos::schema
