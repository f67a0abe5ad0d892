#include "ledger/log/equivocation.h"

#include "crypto/binary.h"
#include "ledger/tlog/merkle.h"

namespace custos {

namespace {

constexpr uint8_t kProofEncoding = 1;
constexpr size_t kMaxProofHashes = 130;  // 2 * 64 + 2: far above any tree's proof

bool Odd(uint64_t v) { return (v & 1) != 0; }

// Opens one note of a proof: it must verify with the origin's key and state
// the proof's origin.
Result<Checkpoint> OpenProofNote(std::string_view note, const char* which, const EquivocationProof& proof,
                                 const NoteVerifier& origin_key) {
  auto opened = OpenNote(note, origin_key);
  if (!opened.ok()) {
    const Status& st = opened.status();
    std::string msg = std::string(which) + ": " + st.message();
    return st.code() == Status::Code::kCorruption ? Status::Corruption(msg) : Status::InvalidArgument(msg);
  }
  auto cp = Checkpoint::Parse(opened->text);
  if (!cp.ok()) return Status::InvalidArgument(std::string(which) + ": " + cp.status().message());
  if (cp->origin != proof.origin) {
    return Status::InvalidArgument(std::string(which) + ": origin \"" + cp->origin + "\" is not \"" + proof.origin + "\"");
  }
  return cp;
}

// Whether two notes of which the first has size 0 or both the same size
// agree: the first must hold the empty tree's root when its size is 0, and
// two notes of one size must hold one root (which, at size 0, is the empty
// tree's for the second note too).
bool TriviallyConsistent(const Checkpoint& a, const Checkpoint& b) {
  if (a.size == 0 && a.root != merkle::EmptyRoot()) return false;
  return a.size != b.size || a.root == b.root;
}

}  // namespace

// ------------------------------------------------------------ the proof

std::string EquivocationProof::Encode() const {
  BinaryWriter w;
  w.Put(kProofEncoding, origin, note_a, note_b, static_cast<uint32_t>(consistency.size()));
  for (const Hash& h : consistency) w.PutHash(h);
  return w.Take();
}

std::optional<EquivocationProof> EquivocationProof::Decode(std::string_view in) {
  BinaryReader r(in);
  EquivocationProof p;
  uint8_t encoding = 0;
  uint32_t n = 0;
  r.Get(encoding, p.origin, p.note_a, p.note_b, n);
  // The count is checked against the bytes left before anything is reserved.
  if (!r.ok() || encoding != kProofEncoding || n > kMaxProofHashes || r.remaining() != size_t{n} * Hash::kSize) {
    return std::nullopt;
  }
  p.consistency.reserve(n);
  for (uint32_t i = 0; i < n; ++i) p.consistency.push_back(r.GetHash());
  return p;
}

Result<ImpliedRoots> RootsFromConsistencyPath(uint64_t old_size, uint64_t new_size, std::span<const Hash> path) {
  if (old_size == 0 || old_size >= new_size) {
    return Status::InvalidArgument("consistency: sizes " + std::to_string(old_size) + " and " +
                                   std::to_string(new_size) + " need 0 < old < new");
  }
  const Status wrong_length = Status::InvalidArgument(
      "consistency: " + std::to_string(path.size()) + " hashes is the wrong length from size " +
      std::to_string(old_size) + " to " + std::to_string(new_size));
  if (path.empty()) return wrong_length;
  // RFC 9162 §2.1.4.2, with the old tree's hash already at the front of the
  // path when old_size is a power of two.
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while (Odd(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  ImpliedRoots r{path[0], path[0]};
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) return wrong_length;
    if (Odd(fn) || fn == sn) {
      r.old_root = merkle::NodeHash(path[i], r.old_root);
      r.new_root = merkle::NodeHash(path[i], r.new_root);
      while (!Odd(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r.new_root = merkle::NodeHash(r.new_root, path[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return wrong_length;
  return r;
}

Status CheckEquivocationProof(const EquivocationProof& proof, const NoteVerifier& origin_key) {
  if (proof.origin != origin_key.name) {
    return Status::InvalidArgument("proof: origin \"" + proof.origin + "\" is not the key's \"" + origin_key.name + "\"");
  }
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint a, OpenProofNote(proof.note_a, "noteA", proof, origin_key));
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint b, OpenProofNote(proof.note_b, "noteB", proof, origin_key));
  if (a.size > b.size) return Status::InvalidArgument("proof: noteA's size is above noteB's");
  if (a.size == b.size || a.size == 0) {
    // Nothing to prove between them: the empty tree has one root, and so has
    // every size the origin signs twice.
    if (!proof.consistency.empty()) return Status::InvalidArgument("consistency: must be empty for these sizes");
    if (TriviallyConsistent(a, b)) return Status::InvalidArgument("proof: the two checkpoints are consistent");
    return Status::OK();
  }
  auto implied = RootsFromConsistencyPath(a.size, b.size, proof.consistency);
  if (!implied.ok()) return implied.status();
  if (implied->new_root != b.root) return Status::Corruption("consistency: does not lead to noteB's root");
  if (implied->old_root == a.root) return Status::InvalidArgument("proof: the two checkpoints are consistent");
  return Status::OK();
}

const char* CheckpointClassName(CheckpointClass c) {
  switch (c) {
    case CheckpointClass::kHeld: return "held";
    case CheckpointClass::kAhead: return "ahead";
    case CheckpointClass::kEquivocation: return "equivocation";
    case CheckpointClass::kBadProof: return "bad proof";
  }
  return "unknown";
}

// ------------------------------------------------------------ Replica: observing

}  // namespace custos
