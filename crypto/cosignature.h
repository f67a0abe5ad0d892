// C2SP tlog-cosignature (c2sp.org/tlog-cosignature), cosignature/v1:
// key type 0x04, the signed message is
//   "cosignature/v1\ntime <decimal seconds>\n" || checkpoint text
// and the signature field of the note line is
//   key id (4 bytes) || timestamp (8 bytes, big-endian seconds) || Ed25519 signature (64 bytes).
// The key id is NoteKeyId(name, kAlgCosignatureV1, pub); a witness verifier key
// string carries the alg byte 0x04 ("<name>+<id>+base64(0x04 || pub)").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "crypto/status.h"

namespace custos {

// The signature line a witness named `name` adds for `checkpoint_text`
// (the note text, ending in '\n') at `timestamp` (seconds since the epoch,
// at most 2^63 - 1: asserted). Append it to Note::signatures to cosign.
NoteSignature Cosign(std::string_view checkpoint_text, std::string_view name, const SigningKey& key,
                     uint64_t timestamp);

// Checks a cosignature line against a witness verifier (alg 0x04). Returns the
// timestamp it carries. InvalidArgument if `witness` is not an alg-0x04 key or
// `sig` is not by it (name and key id); Corruption if the field is not 72
// bytes, the timestamp exceeds 2^63 - 1, or the signature does not verify.
Result<uint64_t> VerifyCosignature(std::string_view checkpoint_text, const NoteSignature& sig,
                                   const NoteVerifier& witness);

// Finds the lines of `note` by `witness` (name and key id) and verifies them
// all. Returns the newest timestamp; NotFound if the witness did not cosign,
// otherwise the errors of VerifyCosignature. Does not check the origin's own
// signature (use OpenNote for that).
Result<uint64_t> VerifyNoteCosignature(const Note& note, const NoteVerifier& witness);

}  // namespace custos
