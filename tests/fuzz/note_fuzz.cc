// Fuzz target: the signed text formats a verifier reads: a C2SP signed note
// (opened with the fixture federation's keys, every cosignature checked),
// the checkpoint it carries, a tlog-proof, verifier-key and signer-key
// strings. What Note::Parse and Checkpoint::Parse accept, they give back
// byte for byte.
#include "crypto/cosignature.h"
#include "crypto/keyfile.h"
#include "crypto/note.h"
#include "ledger/tlog/checkpoint.h"
#include "tests/fuzz/fuzz.h"
#include "tests/ledger/custody_federation.h"

using namespace custos;

namespace {
const NoteVerifier& Origin() {
  static const NoteVerifier v = NoteVerifier::ForKey(
      "suzhou-ipb.example/custos", testing::custody::NodeKeyOf("suzhou-ipb.example/custos").key.public_key());
  return v;
}
const NoteVerifier& Witness() {
  static const NoteVerifier v = testing::custody::Agency::Witness("suzhou-psb.example/custos");
  return v;
}

void ReadNote(std::string_view text) {
  auto note = Note::Parse(text);
  if (!note.ok()) return;
  FUZZ_CHECK(note->Serialize() == text);
  (void)OpenNote(text, Origin());
  for (const NoteSignature& sig : note->signatures) (void)VerifyCosignature(note->text, sig, Witness());
  (void)VerifyNoteCosignature(*note, Witness());
  auto cp = Checkpoint::Parse(note->text);
  if (cp.ok()) FUZZ_CHECK(cp->Format() == note->text);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::TextOf(data, size);
  ReadNote(text);
  auto cp = Checkpoint::Parse(text);
  if (cp.ok()) FUZZ_CHECK(cp->Format() == text);
  auto proof = TlogProof::Parse(text);
  if (proof.ok()) ReadNote(proof->checkpoint);
  (void)NoteVerifier::Parse(text);
  (void)ParseSignerKey(text);
  return 0;
}
