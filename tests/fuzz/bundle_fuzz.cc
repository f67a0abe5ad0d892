// Fuzz target: an evidence bundle, as a court receives it: PeekDigest and
// VerifyEvidenceBundle against the federation of tests/fixtures/ (the keys
// of tests/ledger/custody_federation.h), with and without the file's digest.
#include "tests/fuzz/fuzz.h"
#include "tests/ledger/custody_federation.h"
#include "trust/bundle_verify.h"

using namespace custos;

namespace {
const trust::Federation& Trust() {
  static const trust::Federation trust =
      testing::custody::TrustOf({"suzhou-ipb.example/custos", "suzhou-psb.example/custos"}, 1);
  return trust;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan bytes = fuzz::BytesOf(data, size);
  (void)bundle::PeekDigest(bytes);
  bundle::Verdict v = bundle::VerifyEvidenceBundle(bytes, Trust(), std::nullopt);
  FUZZ_CHECK(v.ok() == v.message.empty());
  (void)bundle::VerifyEvidenceBundle(bytes, Trust(), testing::custody::ContentOf("the video of the raid"));
  auto parsed = schema::ReadCanonical<schema::EvidenceBundle>(bytes, bundle::kMaxBundleBytes, "bundle");
  if (parsed.ok()) fuzz::CheckReencodes(*parsed);
  return 0;
}
