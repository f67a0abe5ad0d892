// Fuzz target: a custos/listing-answer/v1 text (docs/listings-map.md), as a
// credit platform's client gets it from a node: ListingAnswer::Parse, its map
// proofs and entries, then ListingVerifier (with the fixture bureau's key)
// for each log's answer. What Parse accepts, Format gives back byte for
// byte (it is the strict inverse).
#include "ledger/listings/listing_check.h"
#include "tests/fuzz/fuzz.h"
#include "tests/ledger/custody_federation.h"
#include "trust/listing_verifier.h"

using namespace custos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::TextOf(data, size);
  auto answer = listings::ListingAnswer::Parse(text);
  if (!answer.ok()) return 0;
  const std::string again = answer->Format();
  if (again != text) std::fprintf(stderr, "Format gives:\n%s\n", again.c_str());
  FUZZ_CHECK(again == text);
  auto subject = listings::SubjectOfQuery(answer->kind, answer->id);
  if (!subject.ok()) return 0;
  static const std::string kOrigin = "suzhou-ipb.example/custos";
  static const NoteVerifier kKey =
      NoteVerifier::ForKey(kOrigin, testing::custody::NodeKeyOf(kOrigin).key.public_key());
  static const trust::Federation kTrust({{kOrigin, kKey}}, {});
  listings::ListingVerifier verifier(kTrust);
  for (const auto& log : answer->logs) (void)verifier.Verify(log, subject->key, 0);
  return 0;
}
