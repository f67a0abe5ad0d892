#include "crypto/sm2_note.h"

#include <algorithm>
#include <cstdio>

#include "crypto/sha256.h"

namespace custos {

namespace {

std::string Label(std::string_view name, uint32_t key_id) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", key_id);
  return std::string(name) + "+" + hex;
}

}  // namespace

uint32_t Sm2NoteKeyId(std::string_view name, ByteSpan public_key) {
  Sha256& h = ThreadSha256();
  const Hash d = h.Update(name).Update(uint8_t{'\n'}).Update(kSm2NoteType).Update(public_key).Finish();
  return static_cast<uint32_t>(d.bytes[0]) << 24 | static_cast<uint32_t>(d.bytes[1]) << 16 |
         static_cast<uint32_t>(d.bytes[2]) << 8 | d.bytes[3];
}

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
