// Fuzz target: canonical LogEntry bytes, as a disk or a peer hands them over,
// through every reader of an entry: ParseEntry (full verification and
// replication), ReadLightEntry (bundles) and the JSON of `custos entry`.
#include "ledger/admission/bundle_entry.h"
#include "ledger/admission/entry_checker.h"
#include "schema/json.h"
#include "tests/fuzz/fuzz.h"

using namespace custos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan bytes = fuzz::BytesOf(data, size);
  (void)ParseEntry(bytes, 0);
  (void)bundle::ReadLightEntry(bytes);
  auto entry = schema::ReadCanonical<schema::LogEntry>(bytes, schema::kMaxEntryBytes, "entry");
  if (!entry.ok()) return 0;
  fuzz::CheckReencodes(*entry);
  (void)schema::LogEntryToJson(entry->get());
  return 0;
}
