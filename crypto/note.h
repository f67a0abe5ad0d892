// C2SP signed-note (c2sp.org/signed-note) with Ed25519 keys, and verifier-key
// strings "<name>+<key id, 8 hex>+<base64(0x01 || pub)>" as Go's
// golang.org/x/mod/sumdb/note uses them. See docs/checkpoint-format.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/status.h"

namespace custos {

// Signature algorithm bytes (C2SP signed-note "key types").
inline constexpr uint8_t kAlgEd25519 = 0x01;
inline constexpr uint8_t kAlgCosignatureV1 = 0x04;

// Limits applied by Note::Parse and by signing: a whole serialised note is at
// most 1 MiB and carries at most 100 signature lines (as Go's note.Open).
inline constexpr size_t kMaxNoteSize = size_t{1} << 20;
inline constexpr size_t kMaxNoteSignatures = 100;

// Key id: the first 4 bytes of SHA-256(name || 0x0A || alg || pub), big-endian.
uint32_t NoteKeyId(std::string_view name, uint8_t alg, const PublicKey& pub);

// Key names: non-empty valid UTF-8, no '+', no Unicode spaces (Go's
// unicode.IsSpace set), no control characters (C0, DEL, C1).
bool IsValidKeyName(std::string_view name);

struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  uint8_t alg = kAlgEd25519;
  PublicKey key;

  // "<name>+<%08x key id>+<base64(alg || pub)>"
  std::string ToString() const;
  // Accepts alg 0x01 (note signer) and 0x04 (cosignature/v1 witness) with a
  // 32-byte Ed25519 key. InvalidArgument naming the part that is wrong,
  // including a key id that is not NoteKeyId(name, alg, pub).
  static Result<NoteVerifier> Parse(std::string_view vkey);
  // Computes the key id; `name` must satisfy IsValidKeyName (not checked).
  static NoteVerifier ForKey(std::string_view name, const PublicKey& pub, uint8_t alg = kAlgEd25519);
};

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  Bytes sig;  // everything after the 4-byte key id

  // The "— <name> <base64(keyid || sig)>\n" line.
  std::string ToLine() const;
};

struct Note {
  std::string text;  // ends with '\n'
  std::vector<NoteSignature> signatures;

  // text || "\n" || signature lines.
  std::string Serialize() const;
  // Splits a signed note into text and signature lines; verifies nothing.
  // The text ends at the last blank line. Fails with InvalidArgument on
  // malformed input: over kMaxNoteSize, not UTF-8, a control character other
  // than '\n' (so NUL), no blank line, no signature line, a signature line
  // that is not "— <valid name> <canonical base64 of at least 5 bytes>\n",
  // more than kMaxNoteSignatures lines.
  static Result<Note> Parse(std::string_view msg);
};

// Signs `text` as `name` and returns the serialised note. InvalidArgument if
// `text` does not end with '\n', is not UTF-8 or holds a control character
// other than '\n' (so no NUL), if `name` is invalid, or if the note would
// exceed kMaxNoteSize.
Result<std::string> SignNote(std::string_view text, std::string_view name, const SigningKey& key);

// Adds another Ed25519 signature to an already serialised note, at the end;
// an earlier signature by the same name and key id is replaced. Other
// signatures are kept unverified. Errors as Note::Parse and SignNote.
Result<std::string> AddNoteSignature(std::string_view note, std::string_view name, const SigningKey& key);

// Verifies a serialised note against `verifier` (Ed25519, alg 0x01): the note
// must carry a signature whose name and key id match, and it must verify.
// Returns the parsed note. Corruption when the signature does not verify or is
// absent (every signature by the key must verify; signatures by other keys
// are kept in the result, unverified); InvalidArgument when the note is
// malformed or `verifier` is not an alg 0x01 key.
Result<Note> OpenNote(std::string_view msg, const NoteVerifier& verifier);

}  // namespace custos
