// Proofs that an origin signed two checkpoints that cannot both describe one
// append-only log, and the classification a witness makes of a checkpoint it
// is shown (Replica::Observe). See docs/replication.md.
//
// Two checkpoints A and B (size(A) <= size(B)) signed by one origin are an
// equivocation when
//   - they have the same size and different roots, or
//   - a consistency path from size(A) to size(B) leads to B's root (so it is
//     made of B's tree's hashes) and implies, for the tree of size(A) inside
//     B's tree, a root other than A's.
// Anyone holding the origin's key checks such a proof offline: it needs no
// entries and no trust in whoever passed it on.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/tlog/checkpoint.h"

namespace custos {

// As schema/rpc.capnp's EquivocationProof.
struct EquivocationProof {
  std::string origin;
  std::string note_a;  // the smaller (or equal) size
  std::string note_b;
  // From size(A) to size(B), made from B's tree: the RFC 9162 consistency
  // proof, except that when size(A) is a power of two it starts with the hash
  // of B's first size(A) leaves. (RFC 9162 leaves that hash out, because a
  // verifier who trusts A has it; here it is the very thing in dispute.)
  // Empty when the sizes are equal.
  std::vector<Hash> consistency;

  bool operator==(const EquivocationProof&) const = default;

  // Storage form (docs/leveldb-layout.md, 'x' records):
  //   1 (u8) | len (u32) origin | len (u32) noteA | len (u32) noteB |
  //   count (u32) | count x 32-byte hashes
  std::string Encode() const;
  static std::optional<EquivocationProof> Decode(std::string_view bytes);
};

// OK iff `proof` shows an equivocation by the origin whose note key is
// `origin_key` (an alg-0x01 verifier named by the origin): both notes verify
// with that key and state proof.origin, and they are inconsistent as above.
// Corruption when a note's signature or the consistency path does not check;
// InvalidArgument when the proof is malformed or its checkpoints are
// consistent (no equivocation shown). Thread-safe; no state.
Status CheckEquivocationProof(const EquivocationProof& proof, const NoteVerifier& origin_key);

// The roots that a consistency path implies for the trees of `old_size` and
// `new_size` (0 < old_size < new_size), computed from the path alone as in
// RFC 9162 §2.1.4.2. `path` must start with the old tree's hash when
// old_size is a power of two (the form EquivocationProof uses).
// InvalidArgument if the path has the wrong length for the sizes.
struct ImpliedRoots {
  Hash old_root;
  Hash new_root;
};
Result<ImpliedRoots> RootsFromConsistencyPath(uint64_t old_size, uint64_t new_size, std::span<const Hash> path);

// How a witness classifies a checkpoint its origin announced, against the
// replica it holds (Replica::Observe).
enum class CheckpointClass {
  kHeld,          // size <= held size, and the root is the held tree's root at that size
  kAhead,         // larger, and consistent with what is held: fetch the entries
  kEquivocation,  // inconsistent with what is held: never cosign this origin again
  kBadProof,      // larger, and the consistency proof does not check: cannot tell
};
const char* CheckpointClassName(CheckpointClass c);

struct Observation {
  CheckpointClass kind = CheckpointClass::kBadProof;
  Checkpoint checkpoint;  // the announced checkpoint (its signature verified)
  std::string reason;     // why, for kEquivocation and kBadProof
  // kEquivocation: the proof built from the notes held here, which the
  // replica has stored. nullopt when the replica holds no signed note to
  // pair the announced one with (it is still catching up: see
  // docs/replication.md); the origin is then not known to be lying until it is.
  std::optional<EquivocationProof> proof;
};

}  // namespace custos
