// Fuzz target: canonical Statement bytes (inside a submission or an entry):
// ReadCanonical, the JSON form, the statement kind and the field checks; a
// statement that passes them goes to JSON and back to the same JSON.
#include "ledger/admission/validate.h"
#include "schema/json.h"
#include "tests/fuzz/fuzz.h"

using namespace custos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto statement = schema::ReadCanonical<schema::Statement>(fuzz::BytesOf(data, size), schema::kMaxStatementBytes,
                                                            "statement");
  if (!statement.ok()) return 0;
  fuzz::CheckReencodes(*statement);
  const std::string json = schema::StatementToJson(statement->get());
  (void)schema::StatementKind(statement->get());
  if (!ledger::ValidateStatement(statement->get()).ok()) return 0;
  auto again = schema::StatementFromJson(json);
  FUZZ_CHECK(again.ok());
  auto reread = schema::ReadCanonical<schema::Statement>(*again, schema::kMaxStatementBytes, "statement");
  FUZZ_CHECK(reread.ok());
  FUZZ_CHECK(schema::StatementToJson(reread->get()) == json);
  return 0;
}
