// Fuzz target: RFC 3161 bytes from outside (crypto/timestamp.h): a
// time-stamp token on a checkpoint line (VerifyTimestampToken), a TSA's
// answer (TokenFromResponse) and a TSA certificate from a trust file
// (TsaCertificate::FromPem). The first byte picks which; the rest is the
// input. The TSA is a real one (tests/tools/test_tsa.h), made once.
#include "crypto/timestamp.h"
#include "tests/fuzz/fuzz.h"
#include "tests/tools/test_tsa.h"

using namespace custos;

namespace {
constexpr std::string_view kText = "suzhou-ipb.example/custos\n7\nzxydswZaLQ766ertEKbgsqyLjq42ZUjOxYC/rBs1xIk=\n";

struct Fixture {
  testing::TestTsa tsa = *testing::TestTsa::Create("Fuzz TSA");
  TimestampVerifier verifier = *TimestampVerifier::For("tsa.example", *TsaCertificate::FromPem(tsa.certificate_pem()));
  TimestampRequest request = *MakeTimestampRequest(kText);
};
const Fixture& F() {
  static const Fixture f;
  return f;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan rest(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto a = VerifyTimestampToken(rest, kText, F().verifier);
      if (a.ok()) FUZZ_CHECK(a->tsa == "tsa.example");
      break;
    }
    case 1:
      (void)TokenFromResponse(rest, F().request, F().verifier.cert);
      break;
    default:
      (void)TsaCertificate::FromPem(AsString(rest));
  }
  return 0;
}
