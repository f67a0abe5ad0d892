// Fuzz target: SignedSubmission bytes, as a client or a peer sends them:
// CheckSubmission (canonical form, fields, identifiers, signature).
#include "ledger/admission/submission.h"
#include "tests/fuzz/fuzz.h"

using namespace custos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan bytes = fuzz::BytesOf(data, size);
  (void)CheckSubmission(bytes);
  auto submission = schema::ReadCanonical<schema::SignedSubmission>(bytes, schema::kMaxStatementBytes + 256,
                                                                    "submission");
  if (submission.ok()) fuzz::CheckReencodes(*submission);
  return 0;
}
