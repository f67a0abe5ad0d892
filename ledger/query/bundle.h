// Evidence bundles (docs/evidence-bundle.md): what a court uses to know,
// offline, that a file is the one an officer registered and who has held it
// since.
//
// BuildEvidenceBundle gathers, from the logs a node holds (its own and the
// replicas of its peers' logs), the registration of a content digest, every
// custody entry about that evidence in the order custody moved (across logs:
// a transfer to another agency is followed by that agency's receipt), each
// with its inclusion proof to one checkpoint of its log, those checkpoints
// with the cosignatures the node holds, and the log-administration entries
// that authority is decided from. trust/bundle_verify.h checks such a bundle
// with no network and no store; this header holds what the builder and that
// verifier share (the version, the size limit, the digest algorithms).
//
// Thread-safety: the functions are pure functions of their arguments (and
// of the committed state of the logs they read, for the builder).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/storage/store.h"

namespace custos::bundle {

// The bundle format this code writes and the only one it verifies.
// Version 3: the custody and authority maps are compact (version 2's proofs
// were of the full 256-level form, listings_map.h).
inline constexpr uint32_t kBundleVersion = 3;
// A bundle larger than this is refused before it is parsed.
inline constexpr size_t kMaxBundleBytes = size_t{64} << 20;

// ------------------------------------------------------------ building

// Builds the bundle of the evidence registered with `digest` (algorithm: the
// schema::DigestAlgorithm ordinal) from `logs`, every log the node holds
// (each loaded, all in one Store). When several registrations name the
// digest, the first in (log number, index) order is taken: the own log
// first. Each log's entries are proved against one checkpoint: the latest
// one a witness cosigned if it covers them, else the log's latest; entries
// past a log's latest checkpoint (committed after the build began) are left
// out, so the answer is consistent. Returns canonical EvidenceBundle bytes.
// NotFound when no log holds a registration of the digest; InvalidArgument
// for a digest that is not 32 bytes; IOError/Corruption from the store.
Result<Bytes> BuildEvidenceBundle(std::span<const StoredLog* const> logs, uint8_t algorithm, ByteSpan digest,
                                  std::string_view made_by, int64_t made_at);

// "sha256" / "sm3"; nullptr for an unknown ordinal.
const char* DigestAlgorithmName(uint8_t algorithm);
// The schema::DigestAlgorithm ordinal of "sha256" / "sm3"; nullopt otherwise.
std::optional<uint8_t> ParseDigestAlgorithm(std::string_view name);

}  // namespace custos::bundle
