#include "crypto/sm2_note.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "crypto/sha256.h"

namespace custos {

namespace {

std::string Label(std::string_view name, uint32_t key_id) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", key_id);
  return std::string(name) + "+" + hex;
}

// SHA-256(name || 0x0A || type || public key)[:4], big-endian.
uint32_t KeyIdOf(std::string_view name, std::string_view type, ByteSpan public_key) {
  Sha256& h = ThreadSha256();
  const Hash d = h.Update(name).Update(uint8_t{'\n'}).Update(type).Update(public_key).Finish();
  return static_cast<uint32_t>(d.bytes[0]) << 24 | static_cast<uint32_t>(d.bytes[1]) << 16 |
         static_cast<uint32_t>(d.bytes[2]) << 8 | d.bytes[3];
}

}  // namespace

uint32_t Sm2NoteKeyId(std::string_view name, ByteSpan public_key) { return KeyIdOf(name, kSm2NoteType, public_key); }

std::string Sm2NoteVerifier::ToString() const {
  std::string material(kSm2NoteType);
  material.append(AsString(public_key));
  return Label(name, key_id) + "+" + Base64Encode(AsBytes(material));
}

Sm2NoteVerifier Sm2NoteVerifier::ForKey(std::string_view name, ByteSpan public_key) {
  return Sm2NoteVerifier{std::string(name), Sm2NoteKeyId(name, public_key), Bytes(public_key.begin(), public_key.end())};
}

Result<Sm2NoteVerifier> Sm2NoteVerifier::Parse(std::string_view vkey) {
  const size_t first = vkey.find('+');
  const size_t second = first == std::string_view::npos ? first : vkey.find('+', first + 1);
  if (second == std::string_view::npos) return Status::InvalidArgument("SM2 verifier key: not NAME+KEYID+KEY");
  const std::string_view name = vkey.substr(0, first);
  const std::string_view hex = vkey.substr(first + 1, second - first - 1);
  if (!IsValidKeyName(name)) return Status::InvalidArgument("SM2 verifier key: invalid key name");
  auto id_bytes = hex.size() == 8 ? HexDecode(hex) : std::nullopt;
  if (!id_bytes) return Status::InvalidArgument("SM2 verifier key: key id is not 8 hex digits");
  auto material = Base64Decode(vkey.substr(second + 1));
  if (!material) return Status::InvalidArgument("SM2 verifier key: key is not canonical base64");
  if (material->size() != kSm2NoteType.size() + kSm2PublicKeyBytes ||
      !std::equal(kSm2NoteType.begin(), kSm2NoteType.end(), material->begin(),
                  [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; })) {
    return Status::InvalidArgument("SM2 verifier key: not an SM2 key (0xff \"sm2\" and a 65-byte point)");
  }
  const ByteSpan point = ByteSpan(*material).subspan(kSm2NoteType.size());
  CUSTOS_RETURN_IF_ERROR(Sm2PublicKeyPem(point).status().WithContext("SM2 verifier key"));
  Sm2NoteVerifier v = ForKey(name, point);
  const uint32_t id = static_cast<uint32_t>((*id_bytes)[0]) << 24 | static_cast<uint32_t>((*id_bytes)[1]) << 16 |
                      static_cast<uint32_t>((*id_bytes)[2]) << 8 | (*id_bytes)[3];
  if (v.key_id != id) return Status::InvalidArgument("SM2 verifier key: key id does not match name and key");
  return v;
}

Result<std::string> AddSm2NoteSignature(std::string_view note, std::string_view name, const Sm2Key& key) {
  CUSTOS_ASSIGN_OR_RETURN(Note n, Note::Parse(note));
  if (!IsValidKeyName(name)) return Status::InvalidArgument("SM2 signature: invalid key name");
  const uint32_t id = Sm2NoteKeyId(name, key.PublicKey());
  CUSTOS_ASSIGN_OR_RETURN(Bytes sig, key.Sign(AsBytes(n.text)));
  std::erase_if(n.signatures, [&](const NoteSignature& s) { return s.name == name && s.key_id == id; });
  if (n.signatures.size() >= kMaxNoteSignatures) return Status::InvalidArgument("SM2 signature: too many signatures");
  n.signatures.push_back(NoteSignature{std::string(name), id, std::move(sig)});
  std::string out = n.Serialize();
  if (out.size() > kMaxNoteSize) return Status::InvalidArgument("SM2 signature: the note would be too large");
  return out;
}

namespace {

std::string CosignedMessage(std::string_view text, uint64_t timestamp) {
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(text);
}

}  // namespace

uint32_t Sm2CosignatureKeyId(std::string_view name, ByteSpan public_key) {
  return KeyIdOf(name, kSm2CosignatureType, public_key);
}

Result<NoteSignature> Sm2Cosign(std::string_view checkpoint_text, std::string_view name, const Sm2Key& key,
                                uint64_t timestamp) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("SM2 cosignature: invalid key name");
  if (timestamp > static_cast<uint64_t>(INT64_MAX)) return Status::InvalidArgument("SM2 cosignature: timestamp above 2^63 - 1");
  CUSTOS_ASSIGN_OR_RETURN(Bytes der, key.Sign(AsBytes(CosignedMessage(checkpoint_text, timestamp))));
  NoteSignature sig{std::string(name), Sm2CosignatureKeyId(name, key.PublicKey()), {}};
  for (int i = 7; i >= 0; --i) sig.sig.push_back(static_cast<uint8_t>(timestamp >> (8 * i)));
  sig.sig.insert(sig.sig.end(), der.begin(), der.end());
  return sig;
}

Result<uint64_t> VerifySm2Cosignature(std::string_view checkpoint_text, const NoteSignature& sig,
                                      const Sm2NoteVerifier& key) {
  if (sig.name != key.name || sig.key_id != Sm2CosignatureKeyId(key.name, key.public_key)) {
    return Status::InvalidArgument("SM2 cosignature: the line is not by " + key.name + "'s SM2 key");
  }
  if (sig.sig.size() <= 8) return Status::Corruption("SM2 cosignature by " + key.name + ": truncated");
  uint64_t timestamp = 0;
  for (size_t i = 0; i < 8; ++i) timestamp = timestamp << 8 | sig.sig[i];
  if (timestamp > static_cast<uint64_t>(INT64_MAX)) {
    return Status::Corruption("SM2 cosignature by " + key.name + ": timestamp above 2^63 - 1");
  }
  const ByteSpan der = ByteSpan(sig.sig).subspan(8);
  if (!Sm2Verify(key.public_key, AsBytes(CosignedMessage(checkpoint_text, timestamp)), der).ok()) {
    return Status::Corruption("SM2 cosignature by " + key.name + ": the signature does not verify");
  }
  return timestamp;
}

Status VerifySm2NoteSignature(const Note& note, const Sm2NoteVerifier& verifier) {
  size_t verified = 0;
  for (const NoteSignature& s : note.signatures) {
    if (s.name != verifier.name || s.key_id != verifier.key_id) continue;
    if (!Sm2Verify(verifier.public_key, AsBytes(note.text), s.sig).ok()) {
      return Status::Corruption("note: invalid SM2 signature by " + Label(verifier.name, verifier.key_id));
    }
    ++verified;
  }
  if (verified == 0) return Status::Corruption("note: no SM2 signature by " + Label(verifier.name, verifier.key_id));
  return Status::OK();
}

}  // namespace custos
