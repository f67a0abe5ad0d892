// The command line's side of personal data (docs/personal-data.md):
// `custos submit --private FILE.json` binds a person's name and id number to
// a listing statement, and `custos entry --json` shows them while the node
// still holds them ("redacted" once the listing ended).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cli/common.h"
#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/personal/private_data.h"

namespace custos::cli {

// A statement bound to its private payload: the statement's JSON with
// privateDigest filled in, and the salt and payload to send with it.
struct BoundStatement {
  std::string json;
  personal::Attachment attachment;
};

// Reads --private FILE.json ({"residentId": ..., "name": ..., optionally
// "salt": 64 hex digits}; any other field is refused, naming it) and binds it
// to `statement_json`, which must be a subjectListed of kind residentId. The
// resident id is read as typed (ledger::NormalizeResidentId, at the clock's
// time). Without "salt" a fresh random one is drawn. An empty privateDigest in the statement is filled in with
// SHA-256(salt || payload); a given one must equal it (then the file must
// carry the salt it was made with). InvalidArgument naming the field.
Result<BoundStatement> BindPrivate(const std::string& private_file, const std::string& statement_json);

// For `submit --private FILE`: binds the one statement of `lines` (it must
// come from --statement, not --batch) and returns its attachment, one item
// per line. With no FILE, returns an empty list and changes nothing, unless a
// line lists a person: then personal::MissingPayloadError naming the line.
Result<std::vector<std::optional<personal::Attachment>>> BindPrivates(const std::string& private_file, const std::string& batch_file,
                                                                      std::vector<StatementLine>& lines);

inline constexpr char kPrivateHelp[] =
    "For a listing of a person: JSON file {\"residentId\", \"name\"[, \"salt\"]} kept off the log;\n"
    "fills privateDigest = SHA-256(salt || payload), salt drawn at random (docs/personal-data.md)";

// The "private" member `custos entry --json` adds for a listing of a person:
// {"state": "held", "residentId", "name", "salt"} or {"state": "redacted"}.
// Corruption if a held payload does not hash to the entry's privateDigest.
Result<nlohmann::json> PrivateJson(const Hash& digest, const std::optional<personal::Attachment>& held);

// Prints an entry as JSON (schema::LogEntryToJson), with `private` added
// when it is not null.
void PrintEntryJson(const std::string& entry_json, const nlohmann::json& private_member);

}  // namespace custos::cli
