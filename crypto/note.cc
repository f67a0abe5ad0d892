#include "crypto/note.h"

#include <algorithm>

#include "crypto/sha256.h"
#include "crypto/utf8.h"

namespace custos {

namespace {

// U+2014 EM DASH and a space: the start of every signature line.
constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";

// Unicode White_Space, the set Go's unicode.IsSpace uses (the signed-note
// spec forbids "Unicode spaces" in key names).
bool IsUnicodeSpace(char32_t c) {
  switch (c) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// The signed-note text rule: valid UTF-8, no ASCII control character other
// than newline (so also no NUL).
bool IsValidNoteChars(std::string_view s) {
  char32_t cp = 0;
  for (size_t i = 0; i < s.size();) {
    if (!NextRune(s, &i, &cp) || (cp < 0x20 && cp != '\n')) return false;
  }
  return true;
}

Status CheckNoteText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("note text: must end with a newline");
  }
  if (!IsValidNoteChars(text)) {
    return Status::InvalidArgument("note text: not UTF-8 or holds a control character");
  }
  return Status::OK();
}

// "<name>+<%08x id>", the way keys are named in error messages.
std::string KeyLabel(std::string_view name, uint32_t key_id) {
  std::string id;
  PutBigEndian32(&id, key_id);
  return std::string(name) + "+" + HexEncode(AsBytes(id));
}

// Parses exactly 8 hex digits (either case, as Go's strconv does).
std::optional<uint32_t> ParseKeyId(std::string_view hex) {
  if (hex.size() != 8) return std::nullopt;
  auto bytes = HexDecode(hex);
  if (!bytes) return std::nullopt;
  return GetBigEndian32(bytes->data());
}

// Splits `s` at the first `sep`; the tail is empty if there is none.
std::pair<std::string_view, std::string_view> Chop(std::string_view s, char sep) {
  size_t at = s.find(sep);
  if (at == std::string_view::npos) return {s, {}};
  return {s.substr(0, at), s.substr(at + 1)};
}

// Parses one "— <name> <base64(keyid || sig)>" line (without its newline).
Result<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (!line.starts_with(kSigPrefix)) {
    return Status::InvalidArgument("note: signature line does not start with an em dash and a space");
  }
  auto [name, b64] = Chop(line.substr(kSigPrefix.size()), ' ');
  if (!IsValidKeyName(name)) return Status::InvalidArgument("note: invalid key name in signature line");
  auto raw = Base64Decode(b64);
  if (b64.empty() || !raw || raw->size() < 5) {
    return Status::InvalidArgument("note: bad base64 signature for key " + std::string(name));
  }
  NoteSignature sig{std::string(name), GetBigEndian32(raw->data()), Bytes(raw->begin() + 4, raw->end())};
  return sig;
}

// Parses the signature block: one or more lines, each ending in '\n'.
Result<std::vector<NoteSignature>> ParseSignatureBlock(std::string_view block) {
  if (block.empty() || block.back() != '\n') {
    return Status::InvalidArgument("note: signature block is empty or does not end with a newline");
  }
  std::vector<NoteSignature> sigs;
  while (!block.empty()) {
    if (sigs.size() == kMaxNoteSignatures) {
      return Status::InvalidArgument("note: more than 100 signatures");
    }
    size_t nl = block.find('\n');
    CUSTOS_ASSIGN_OR_RETURN(NoteSignature sig, ParseSignatureLine(block.substr(0, nl)));
    sigs.push_back(std::move(sig));
    block.remove_prefix(nl + 1);
  }
  return sigs;
}

// An Ed25519 (alg 0x01) signature line over `text`.
NoteSignature MakeSignature(std::string_view text, std::string_view name, const SigningKey& key) {
  Signature s = key.Sign(AsBytes(text));
  return NoteSignature{std::string(name), NoteKeyId(name, kAlgEd25519, key.public_key()),
                       Bytes(s.bytes.begin(), s.bytes.end())};
}

// Serialises `n`, refusing a result that Note::Parse would refuse as too large.
Result<std::string> SerializeWithinLimit(const Note& n) {
  std::string out = n.Serialize();
  if (out.size() > kMaxNoteSize) return Status::InvalidArgument("note: larger than 1 MiB once signed");
  return out;
}

}  // namespace

uint32_t NoteKeyId(std::string_view name, uint8_t alg, const PublicKey& pub) {
  Sha256 h;
  Hash digest = h.Update(name).Update(uint8_t{'\n'}).Update(alg).Update(pub.span()).Finish();
  return GetBigEndian32(digest.bytes.data());
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  char32_t cp = 0;
  for (size_t i = 0; i < name.size();) {
    if (!NextRune(name, &i, &cp)) return false;
    // Controls are rejected too: C0, DEL and C1.
    bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    if (control || cp == '+' || IsUnicodeSpace(cp)) return false;
  }
  return true;
}

std::string NoteVerifier::ToString() const {
  Bytes material{alg};
  material.insert(material.end(), key.bytes.begin(), key.bytes.end());
  return KeyLabel(name, key_id) + "+" + Base64Encode(material);
}

Result<NoteVerifier> NoteVerifier::Parse(std::string_view vkey) {
  auto [name, rest] = Chop(vkey, '+');
  auto [hex, b64] = Chop(rest, '+');
  if (!IsValidKeyName(name)) return Status::InvalidArgument("verifier key: invalid key name");
  std::optional<uint32_t> id = ParseKeyId(hex);
  if (!id) return Status::InvalidArgument("verifier key: key id is not 8 hex digits");
  std::optional<Bytes> material = Base64Decode(b64);
  if (!material) return Status::InvalidArgument("verifier key: key is not canonical base64");
  if (material->size() != 1 + PublicKey::kSize) {
    return Status::InvalidArgument("verifier key: key is not 33 bytes (alg || Ed25519 key)");
  }
  uint8_t alg = (*material)[0];
  if (alg != kAlgEd25519 && alg != kAlgCosignatureV1) {
    return Status::InvalidArgument("verifier key: unsupported key type " + std::to_string(alg));
  }
  NoteVerifier v = ForKey(name, *PublicKey::FromSpan(ByteSpan(*material).subspan(1)), alg);
  if (v.key_id != *id) return Status::InvalidArgument("verifier key: key id does not match name and key");
  return v;
}

NoteVerifier NoteVerifier::ForKey(std::string_view name, const PublicKey& pub, uint8_t alg) {
  return NoteVerifier{std::string(name), NoteKeyId(name, alg, pub), alg, pub};
}

std::string NoteSignature::ToLine() const {
  std::string raw;
  PutBigEndian32(&raw, key_id);
  raw.append(AsString(sig));
  return std::string(kSigPrefix) + name + " " + Base64Encode(AsBytes(raw)) + "\n";
}

std::string Note::Serialize() const {
  std::string out = text + "\n";
  for (const NoteSignature& s : signatures) out += s.ToLine();
  return out;
}

Result<Note> Note::Parse(std::string_view msg) {
  if (msg.size() > kMaxNoteSize) return Status::InvalidArgument("note: larger than 1 MiB");
  if (!IsValidNoteChars(msg)) {
    return Status::InvalidArgument("note: not UTF-8 or holds a control character");
  }
  // The text ends at the last blank line; signature lines cannot be blank.
  size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::InvalidArgument("note: no blank line before the signatures");
  }
  CUSTOS_ASSIGN_OR_RETURN(auto sigs, ParseSignatureBlock(msg.substr(split + 2)));
  return Note{std::string(msg.substr(0, split + 1)), std::move(sigs)};
}

Result<std::string> SignNote(std::string_view text, std::string_view name, const SigningKey& key) {
  CUSTOS_RETURN_IF_ERROR(CheckNoteText(text));
  if (!IsValidKeyName(name)) return Status::InvalidArgument("note signer: invalid key name");
  return SerializeWithinLimit(Note{std::string(text), {MakeSignature(text, name, key)}});
}

Result<std::string> AddNoteSignature(std::string_view note, std::string_view name, const SigningKey& key) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("note signer: invalid key name");
  CUSTOS_ASSIGN_OR_RETURN(Note n, Note::Parse(note));
  NoteSignature fresh = MakeSignature(n.text, name, key);
  // A new signature by the same key replaces the old one, as Go's note.Sign does.
  std::erase_if(n.signatures, [&](const NoteSignature& s) {
    return s.name == fresh.name && s.key_id == fresh.key_id;
  });
  if (n.signatures.size() >= kMaxNoteSignatures) {
    return Status::InvalidArgument("note: already holds 100 signatures");
  }
  n.signatures.push_back(std::move(fresh));
  return SerializeWithinLimit(n);
}

Result<Note> OpenNote(std::string_view msg, const NoteVerifier& verifier) {
  if (verifier.alg != kAlgEd25519) {
    return Status::InvalidArgument("note verifier " + verifier.name + ": not an Ed25519 (0x01) key");
  }
  CUSTOS_ASSIGN_OR_RETURN(Note n, Note::Parse(msg));
  const std::string label = KeyLabel(verifier.name, verifier.key_id);
  size_t verified = 0;
  for (const NoteSignature& s : n.signatures) {
    if (s.name != verifier.name || s.key_id != verifier.key_id) continue;  // someone else's
    // Every signature by the known key must verify, not just one of them.
    std::optional<Signature> sig = Signature::FromSpan(s.sig);
    if (!sig || !VerifySignature(verifier.key, AsBytes(n.text), *sig)) {
      return Status::Corruption("note: invalid signature for key " + label);
    }
    ++verified;
  }
  if (verified == 0) return Status::Corruption("note: no signature by key " + label);
  return n;
}

}  // namespace custos
