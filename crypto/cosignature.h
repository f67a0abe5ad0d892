// C2SP tlog-cosignature (c2sp.org/tlog-cosignature), cosignature/v1:
// key type 0x04, the signed message is
//   "cosignature/v1\ntime <decimal seconds>\n" || checkpoint text
// and the signature field of the note line is
//   key id (4 bytes) || timestamp (8 bytes, big-endian seconds) || Ed25519 signature (64 bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "crypto/status.h"

namespace custos {

// The signature line a witness named `name` adds for `checkpoint_text`
// (the note text, ending in '\n') at `timestamp` (seconds since the epoch).
NoteSignature Cosign(std::string_view checkpoint_text, std::string_view name, const SigningKey& key,
                     uint64_t timestamp);

// Checks a cosignature line against a witness verifier (alg 0x04). Returns the
// timestamp it carries. Corruption if the signature does not verify.
Result<uint64_t> VerifyCosignature(std::string_view checkpoint_text, const NoteSignature& sig,
                                   const NoteVerifier& witness);

}  // namespace custos
