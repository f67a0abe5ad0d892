// The 国密 signature line of a C2SP signed note (docs/sm2.md): an SM2
// signature of the note text beside the Ed25519 one, so that Go's
// golang.org/x/mod/sumdb/note still verifies the Ed25519 line (it ignores a
// line whose key it does not know) and a verifier that demands SM2 checks
// this one.
//
// signed-note reserves signature type 0xff for types it assigns no byte to,
// to be followed by a longer identifier; ours is 0xff || "sm2":
//
//   key id       = SHA-256(name || 0x0A || 0xff || "sm2" || public key (65))[:4]
//   verifier key = "<name>+<key id, 8 hex>+<base64(0xff || "sm2" || public key)>"
//   line         = "— <name> <base64(key id (4) || DER SM2 signature)>"
//
// The signature is SM2 with SM3 and the default id "1234567812345678" over
// the note text, as Ed25519's is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/sm2.h"
#include "crypto/status.h"

namespace custos {

inline constexpr std::string_view kSm2NoteType = "\xff" "sm2";

struct Sm2NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  Bytes public_key;  // 65 bytes

  std::string ToString() const;
  // InvalidArgument naming the part that is wrong (the name, the key id, the
  // type prefix, the point).
  static Result<Sm2NoteVerifier> Parse(std::string_view vkey);
  static Sm2NoteVerifier ForKey(std::string_view name, ByteSpan public_key);
};

uint32_t Sm2NoteKeyId(std::string_view name, ByteSpan public_key);

// Adds `key`'s SM2 line, named `name`, to a serialised note (replacing an
// earlier line by the same name and key id). Errors as Note::Parse.
Result<std::string> AddSm2NoteSignature(std::string_view note, std::string_view name, const Sm2Key& key);

// --- SM2 cosignatures: a witness's SM2 signature beside its cosignature/v1
// line (docs/sm2.md). The signed message is cosignature/v1's,
//   "cosignature/v1\ntime <decimal seconds>\n" || checkpoint text,
// and the line is "— <witness name> <base64(key id || timestamp (8 bytes, big-endian) || DER SM2 signature)>"
// with key id = SHA-256(name || 0x0A || 0xff || "sm2-cosignature/v1" || public key (65))[:4].
inline constexpr std::string_view kSm2CosignatureType = "\xff" "sm2-cosignature/v1";
uint32_t Sm2CosignatureKeyId(std::string_view name, ByteSpan public_key);
// The SM2 cosignature line a witness named `name` adds for `checkpoint_text` at `timestamp`.
Result<NoteSignature> Sm2Cosign(std::string_view checkpoint_text, std::string_view name, const Sm2Key& key,
                                uint64_t timestamp);
// Checks an SM2 cosignature line by the witness whose SM2 key is `key` (its
// name is the witness's). Returns the timestamp. InvalidArgument if the line
// is not by that key (name and key id); Corruption if it is malformed or the
// signature does not verify.
Result<uint64_t> VerifySm2Cosignature(std::string_view checkpoint_text, const NoteSignature& sig,
                                      const Sm2NoteVerifier& key);

// OK iff `note` carries a line by `verifier` (its name and key id) and every
// such line verifies over the note's text. Corruption "no SM2 signature by
// …" or "invalid SM2 signature by …" otherwise.
Status VerifySm2NoteSignature(const Note& note, const Sm2NoteVerifier& verifier);

}  // namespace custos
