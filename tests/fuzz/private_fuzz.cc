// Fuzz target: a private payload and its stored record, as a peer sends them
// and the store keeps them (ledger/personal/private_data.h): what parses is exactly
// its canonical form.
#include "ledger/personal/private_data.h"
#include "tests/fuzz/fuzz.h"

using namespace custos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::TextOf(data, size);
  auto person = personal::ParsePayload(text, 1'720'000'000'000);
  if (person.ok()) FUZZ_CHECK(personal::CanonicalPayload(*person) == text);
  auto record = personal::DecodeRecord(text);
  if (record) FUZZ_CHECK(personal::EncodeRecord(*record) == text);
  return 0;
}
