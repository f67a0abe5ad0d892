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

// Key id: the first 4 bytes of SHA-256(name || 0x0A || alg || pub), big-endian.
uint32_t NoteKeyId(std::string_view name, uint8_t alg, const PublicKey& pub);

// Key names: non-empty, no '+', no Unicode spaces, printable.
bool IsValidKeyName(std::string_view name);

struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  uint8_t alg = kAlgEd25519;
  PublicKey key;

  // "<name>+<%08x key id>+<base64(alg || pub)>"
  std::string ToString() const;
  static Result<NoteVerifier> Parse(std::string_view vkey);
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
  // Splits a signed note into text and signature lines. Fails with
  // InvalidArgument on malformed input (no blank line, bad base64, text not
  // ending in newline, lines over limits, more than 100 signatures).
  static Result<Note> Parse(std::string_view msg);
};

// Signs `text` (which must end with '\n' and hold no NUL) as `name`.
Result<std::string> SignNote(std::string_view text, std::string_view name, const SigningKey& key);

// Adds another Ed25519 signature to an already serialised note.
Result<std::string> AddNoteSignature(std::string_view note, std::string_view name, const SigningKey& key);

// Verifies a serialised note against `verifier` (Ed25519, alg 0x01): the note
// must carry a signature whose name and key id match, and it must verify.
// Returns the parsed note. Corruption when the signature does not verify or is
// absent; InvalidArgument when the note is malformed.
Result<Note> OpenNote(std::string_view msg, const NoteVerifier& verifier);

}  // namespace custos
