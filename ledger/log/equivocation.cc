#include "ledger/log/equivocation.h"

#include <bit>
#include <limits>

#include "crypto/binary.h"
#include "crypto/cosignature.h"
#include "ledger/tlog/merkle.h"
#include "ledger/log/replica.h"

namespace custos {

namespace {

constexpr uint8_t kProofEncoding = 1;
constexpr size_t kMaxProofHashes = 130;  // 2 * 64 + 2: far above any tree's proof

bool Odd(uint64_t v) { return (v & 1) != 0; }

// The size a checkpoint note states; nullopt if it does not parse.
std::optional<uint64_t> NoteSize(const std::string& note) {
  auto parsed = Note::Parse(note);
  if (!parsed.ok()) return std::nullopt;
  auto cp = Checkpoint::Parse(parsed->text);
  if (!cp.ok()) return std::nullopt;
  return cp->size;
}

std::string Short(const Hash& h) { return Base64Encode(h.span()).substr(0, 12) + "…"; }

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

Result<Observation> Replica::Observe(std::string_view note, std::span<const Hash> consistency) {
  return Observe(note, size(), consistency);
}

Result<Observation> Replica::Observe(std::string_view note, uint64_t old_size, std::span<const Hash> consistency) {
  Observation obs;
  std::string origin_note;
  CUSTOS_ASSIGN_OR_RETURN(obs.checkpoint, OpenCheckpoint(note, &origin_note));
  const Checkpoint& cp = obs.checkpoint;
  const uint64_t held = size();
  if (cp.size > held) {
    CUSTOS_ASSIGN_OR_RETURN(obs, ObserveAhead(origin_note, std::move(obs), old_size, consistency));
  } else {
    CUSTOS_ASSIGN_OR_RETURN(Hash root, RootAt(cp.size));
    if (root == cp.root) {
      obs.kind = CheckpointClass::kHeld;
      return obs;
    }
    obs.kind = CheckpointClass::kEquivocation;
    obs.reason = "checkpoint: the origin signed root " + Short(cp.root) + " for size " + std::to_string(cp.size) +
                 ", the entries held have root " + Short(root);
    obs.proof = ProofAgainstHeld(origin_note, cp);
  }
  if (obs.proof) CUSTOS_RETURN_IF_ERROR(KeepEquivocation(*obs.proof));
  return obs;
}

// A larger checkpoint is consistent with the held tree, or not; and when its
// proof fails, the proof itself may show which: a path that leads to the new
// root is made of the new tree's hashes, so the old root it implies is what
// the origin's new tree holds at the old size.
Result<Observation> Replica::ObserveAhead(std::string_view note, Observation obs, uint64_t old_size,
                                          std::span<const Hash> consistency) const {
  const Checkpoint& cp = obs.checkpoint;
  if (old_size > size()) {
    return Status::InvalidArgument("old size: " + std::to_string(old_size) + " is past the held size " +
                                   std::to_string(size()));
  }
  CUSTOS_ASSIGN_OR_RETURN(Hash old_root, RootAt(old_size));
  Status consistent = merkle::VerifyConsistency(old_size, cp.size, old_root, cp.root, consistency);
  if (consistent.ok()) {
    obs.kind = CheckpointClass::kAhead;
    return obs;
  }
  obs.kind = CheckpointClass::kBadProof;
  obs.reason = "consistency proof from size " + std::to_string(old_size) + ": " + consistent.message();
  if (old_size == 0) return obs;
  auto implied = RootsFromConsistencyPath(old_size, cp.size, consistency);
  if (!implied.ok() || implied->new_root != cp.root || implied->old_root == old_root) {
    // From a power-of-two size an RFC 9162 proof leaves out the old root, so
    // a failing one cannot show another: that stays a bad proof.
    return obs;
  }
  obs.kind = CheckpointClass::kEquivocation;
  obs.reason = "checkpoint: its tree holds root " + Short(implied->old_root) + " at size " + std::to_string(old_size) +
               ", the entries held have root " + Short(old_root);
  auto ours = CheckpointAt(old_size);
  if (ours.ok()) {
    obs.proof = EquivocationProof{origin(), *ours, std::string(note),
                                  std::vector<Hash>(consistency.begin(), consistency.end())};
  }
  return obs;
}

// Pairs the announced note (size s, a root other than ours) with a note of
// the origin's held here: one of size s, else the smallest above s, with a
// consistency path from s made of the held tree's hashes.
std::optional<EquivocationProof> Replica::ProofAgainstHeld(std::string_view note, const Checkpoint& cp) const {
  auto same = CheckpointAt(cp.size);
  if (same.ok()) return EquivocationProof{origin(), *same, std::string(note), {}};
  auto above = stored_->CheckpointFrom(cp.size + 1);
  if (!above.ok()) return std::nullopt;
  std::vector<Hash> path;
  if (cp.size > 0) {
    auto proof = ConsistencyProof(cp.size, above->first);
    if (!proof.ok()) return std::nullopt;
    if (std::has_single_bit(cp.size)) {
      auto root = RootAt(cp.size);
      if (!root.ok()) return std::nullopt;
      path.push_back(*root);
    }
    path.insert(path.end(), proof->begin(), proof->end());
  }
  return EquivocationProof{origin(), std::string(note), above->second, std::move(path)};
}

Status Replica::KeepEquivocation(const EquivocationProof& proof) {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (equivocation_) return Status::OK();  // the first proof is kept; one is enough
  leveldb::WriteBatch batch;
  batch.Put(layout::EquivocationKey(origin()), proof.Encode());
  CUSTOS_RETURN_IF_ERROR(store_.Write(batch));
  equivocation_ = proof;
  return Status::OK();
}

Status Replica::ReportEquivocation(const EquivocationProof& proof) {
  if (proof.origin != origin()) {
    return Status::InvalidArgument("proof: origin \"" + proof.origin + "\" is not this replica's \"" + origin() + "\"");
  }
  CUSTOS_RETURN_IF_ERROR(CheckEquivocationProof(proof, origin_key_));
  return KeepEquivocation(proof);
}

// ------------------------------------------------------------ Replica: cosigning

// A listing check answered from a replica must carry the witness quorum, but
// the replica stores only the origin's signature and its own cosignature:
// the other witnesses' lines come with the note the origin serves.
Status Replica::KeepCosignatures(std::string_view note, std::span<const NoteVerifier> witnesses) {
  CUSTOS_ASSIGN_OR_RETURN(Note given, Note::Parse(note));
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::Parse(given.text));
  auto held = CheckpointAt(cp.size);
  if (!held.ok()) return held.status().code() == Status::Code::kNotFound ? Status::OK() : held.status();
  CUSTOS_ASSIGN_OR_RETURN(Note held_note, Note::Parse(*held));
  if (held_note.text != given.text) return Status::OK();
  CUSTOS_ASSIGN_OR_RETURN(std::string stored, CosignedCheckpointAt(cp.size));
  for (const auto& sig : given.signatures) {
    const std::string line = sig.ToLine();
    if (stored.find(line) != std::string::npos) continue;
    for (const auto& witness : witnesses) {
      if (witness.name != sig.name || witness.key_id != sig.key_id) continue;
      CUSTOS_RETURN_IF_ERROR(AddCosignature(*held, line, witness));
    }
  }
  return Status::OK();
}

// A witness vouches for the listings root too, but the map keeps only its
// latest root: a note is cosigned only if it is the very text held at its
// size (Apply checked that one's root), or is at the held size with the
// current root.
Status Replica::CheckCosignedListings(const Checkpoint& cp, std::string_view text,
                                      const std::optional<std::string>& held) const {
  if (held) {
    CUSTOS_ASSIGN_OR_RETURN(Note held_note, Note::Parse(*held));
    if (held_note.text == text) return Status::OK();
    return Status::Corruption("checkpoint: differs from the one held at size " + std::to_string(cp.size) +
                              " (same tree root, other extension lines: another listings root)");
  }
  if (cp.size != size()) {
    return Status::FailedPrecondition("checkpoint: no checkpoint of size " + std::to_string(cp.size) +
                                      " is held, so its listings root cannot be checked");
  }
  CUSTOS_ASSIGN_OR_RETURN(Hash root, listings_->Root());
  return listings::CheckListingsLine(cp.extensions, root);
}

Result<std::string> Replica::Cosign(std::string_view note, const NamedKey& witness, uint64_t timestamp) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (equivocation()) {
    return Status::FailedPrecondition("equivocation: origin " + origin() +
                                      " signed inconsistent checkpoints; this node no longer cosigns for it");
  }
  if (timestamp > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::InvalidArgument("timestamp: above 2^63 - 1");
  }
  std::string origin_note;
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, OpenCheckpoint(note, &origin_note));
  if (cp.size > size()) {
    return Status::FailedPrecondition("checkpoint: size " + std::to_string(cp.size) + " is ahead of the held size " +
                                      std::to_string(size()) + "; replicate first");
  }
  CUSTOS_ASSIGN_OR_RETURN(Observation obs, Observe(origin_note, {}));
  if (obs.kind != CheckpointClass::kHeld) return Status::Corruption("equivocation: " + obs.reason);
  const auto last = witness_state();
  if (last && cp.size < last->size) return Status::FailedPrecondition("conflict: witness holds size " + std::to_string(last->size));

  CUSTOS_ASSIGN_OR_RETURN(Note parsed, Note::Parse(origin_note));
  CUSTOS_ASSIGN_OR_RETURN(auto held, store_.Get(layout::CheckpointKey(number(), cp.size)));
  CUSTOS_RETURN_IF_ERROR(CheckCosignedListings(cp, parsed.text, held));
  NoteSignature line = custos::Cosign(parsed.text, witness.name, witness.key, timestamp);
  StoredLog::Batch batch;
  stored_->Begin(&batch);
  layout::LogHead head = stored_->head();
  if (!held) batch.writes.Put(layout::CheckpointKey(number(), cp.size), origin_note);
  // The head's note is the latest held one; the note cosigned may be newer.
  if (NoteSize(head.checkpoint).value_or(0) < cp.size || head.checkpoint.empty()) head.checkpoint = origin_note;
  stored_->PutCosignature(batch.writes, cp.size, line);
  layout::WitnessState state{cp.size, cp.root, timestamp};
  batch.writes.Put(layout::WitnessKey(number()), state.Encode());
  CUSTOS_RETURN_IF_ERROR(stored_->Commit(batch, std::move(head)));
  std::lock_guard<std::mutex> state_lock(state_mu_);
  witness_ = state;
  return line.ToLine();
}

}  // namespace custos
