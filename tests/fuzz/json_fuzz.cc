// Fuzz target: a JSON statement, as `custos submit` reads it: what
// StatementFromJson accepts reads with ReadCanonical and takes its defaults
// (FillStatementDefaults requires canonical bytes).
#include "schema/json.h"
#include "tests/fuzz/fuzz.h"

using namespace custos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = schema::StatementFromJson(fuzz::TextOf(data, size));
  if (!bytes.ok()) return 0;
  auto statement = schema::ReadCanonical<schema::Statement>(*bytes, schema::kMaxStatementBytes, "statement");
  FUZZ_CHECK(statement.ok());
  (void)schema::StatementToJson(statement->get());
  const Bytes nonce(16, 7);
  (void)schema::FillStatementDefaults(*bytes, "suzhou-ipb.example/custos", 1'720'000'000'000, nonce);
  return 0;
}
