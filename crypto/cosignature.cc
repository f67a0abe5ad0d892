#include "crypto/cosignature.h"

#include <algorithm>
#include <limits>
#include <optional>

namespace custos {

namespace {

constexpr size_t kTimestampSize = 8;
constexpr uint64_t kMaxTimestamp = std::numeric_limits<int64_t>::max();  // 2^63 - 1, per the spec

// The message a cosignature/v1 signature covers.
std::string CosignedMessage(std::string_view checkpoint_text, uint64_t timestamp) {
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(checkpoint_text);
}

}  // namespace

NoteSignature Cosign(std::string_view checkpoint_text, std::string_view name, const SigningKey& key,
                     uint64_t timestamp) {
  assert(timestamp <= kMaxTimestamp && "cosignature timestamp above 2^63 - 1");
  Signature s = key.Sign(AsBytes(CosignedMessage(checkpoint_text, timestamp)));
  std::string field;
  PutBigEndian64(&field, timestamp);
  field.append(AsString(s.span()));
  return NoteSignature{std::string(name), NoteKeyId(name, kAlgCosignatureV1, key.public_key()),
                       Bytes(field.begin(), field.end())};
}

Result<uint64_t> VerifyCosignature(std::string_view checkpoint_text, const NoteSignature& sig,
                                   const NoteVerifier& witness) {
  if (witness.alg != kAlgCosignatureV1) {
    return Status::InvalidArgument("witness key " + witness.name + ": not a cosignature/v1 (0x04) key");
  }
  if (sig.name != witness.name || sig.key_id != witness.key_id) {
    return Status::InvalidArgument("cosignature is not by witness " + witness.name);
  }
  if (sig.sig.size() != kTimestampSize + Signature::kSize) {
    return Status::Corruption("cosignature by " + witness.name + ": not 72 bytes");
  }
  uint64_t timestamp = GetBigEndian64(sig.sig.data());
  if (timestamp > kMaxTimestamp) {
    return Status::Corruption("cosignature by " + witness.name + ": timestamp above 2^63 - 1");
  }
  auto s = Signature::FromSpan(ByteSpan(sig.sig).subspan(kTimestampSize));
  if (!VerifySignature(witness.key, AsBytes(CosignedMessage(checkpoint_text, timestamp)), *s)) {
    return Status::Corruption("cosignature by " + witness.name + ": signature does not verify");
  }
  return timestamp;
}

Result<uint64_t> VerifyNoteCosignature(const Note& note, const NoteVerifier& witness) {
  std::optional<uint64_t> newest;
  for (const NoteSignature& s : note.signatures) {
    if (s.name != witness.name || s.key_id != witness.key_id) continue;  // another signer
    // Every line by this witness must verify, as OpenNote demands for the origin.
    CUSTOS_ASSIGN_OR_RETURN(uint64_t t, VerifyCosignature(note.text, s, witness));
    newest = std::max(newest.value_or(0), t);
  }
  if (!newest) return Status::NotFound("no cosignature by witness " + witness.name);
  return *newest;
}

}  // namespace custos
