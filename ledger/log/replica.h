// A verified copy of a peer's log, held in the node's Store under its own log
// number, and the witness state that goes with it. See docs/replication.md.
//
// A replica only ever grows by Apply, which checks every entry exactly as
// full verification of the origin's own log does (ledger/admission/entry_checker.h),
// authority replayed from the replica's own genesis, and checks the origin's
// signed checkpoint against the result. What it stores is therefore a prefix
// of a log the origin signed, entry for entry the bytes the origin holds: the
// same roots, proofs and checkpoints can be served from either.
//
// The witness side (C2SP tlog-witness, tlog-cosignature) and equivocation
// detection (the proofs: ledger/log/equivocation.h): Observe classifies a checkpoint the
// origin announces, Cosign signs one the replica holds, and two inconsistent
// checkpoints become an EquivocationProof kept per origin, after which the
// replica never cosigns for that origin again.
//
// Thread-safety: every method may be called from any thread. Apply and Cosign
// are serialised; reads see a committed state.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/keyfile.h"
#include "crypto/note.h"
#include "crypto/sm2_note.h"
#include "crypto/status.h"
#include "ledger/admission/key_table.h"
#include "ledger/listings/listings_state.h"
#include "ledger/log/entry_batch.h"
#include "ledger/log/equivocation.h"
#include "ledger/personal/private_data.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"

namespace custos {

class Replica final {
 public:
  // Opens the replica of the log whose origin and key `origin_key` gives
  // (from the federation file: name = origin, an Ed25519 note key). A store
  // that holds none gets a new, empty one (its log number allocated and
  // recorded) if `create_if_missing`, else NotFound. `store` must outlive the
  // replica. InvalidArgument if the key is not an Ed25519 note key or the
  // origin is the store's own log; FailedPrecondition if the stored genesis
  // names another node key (the federation file changed the origin's key);
  // Corruption as Log::Open when the stored head does not agree with the entries.
  static Result<std::unique_ptr<Replica>> Open(Store& store, const NoteVerifier& origin_key,
                                               bool create_if_missing = true);
  // The store's OWN log opened as a replica of itself, with `node_key` (the
  // node's verifier key) as the origin's: for a repair (ledger/log/repair.h), so
  // that its lost entries are re-applied with every check a follower makes.
  // The store must be opened with allow_damaged. Errors as Open.
  static Result<std::unique_ptr<Replica>> OpenOwnLogForRepair(Store& store, const NoteVerifier& node_key);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  const std::string& origin() const { return origin_key_.name; }
  const NoteVerifier& origin_key() const { return origin_key_; }
  // The origin's SM2 key (the federation file's sm2Key): its SM2 line on a
  // checkpoint is then checked and kept with the origin's note; without it,
  // or when the line is absent, only the Ed25519 line is kept.
  void SetSm2Key(Sm2NoteVerifier key) { sm2_key_ = std::move(key); }
  // This node's own SM2 key: Cosign then adds an SM2 cosignature line beside
  // the cosignature/v1 one (crypto/sm2_note.h, docs/sm2.md).
  void SetWitnessSm2Key(Sm2Key key) { witness_sm2_ = std::move(key); }
  layout::LogNumber number() const { return stored_->number(); }
  const StoredLog& stored() const { return *stored_; }
  // The replica's listings map (its root is in the origin's checkpoints).
  const listings::LogListings& listings() const { return *listings_; }

  // --- Replication.

  // Appends canonical LogEntry bytes for indexes [size(), size() + k),
  // vouched for by `checkpoint_note`, the origin's signed checkpoint of size
  // N >= size() + k. The note must verify with the origin's key and name the
  // origin; every entry must pass the checks of full verification (canonical
  // form, index, prevHash chain, author signature, fields and identifiers,
  // clock skew against its logTime, logTime order, replay uniqueness,
  // authority replayed from the replica's genesis, whose node key must be the
  // origin's key, and the rules per statement family, docs/rules.md: a
  // reference to a log this store does not hold is accepted unchecked). Then the root of the first size() + k entries must equal
  // the note's root if N == size() + k; otherwise `consistency` must be the
  // RFC 9162 proof from size() + k to N that makes it consistent with the
  // note's root.
  //
  // Everything is written in ONE synced batch: entries, tiles, replay
  // records, key-table changes, rule state and query indexes, head, and the note itself (under its size,
  // and as the head's checkpoint) when N == size() + k. On any failure
  // nothing is written: Corruption naming the first bad entry and the check
  // ("entry 17: signature: does not verify …", "checkpoint: root does not
  // match the entries", "checkpoint: consistency proof …", "checkpoint: …"
  // for the note's signature), InvalidArgument for a malformed note or an N
  // below size() + k, IOError if the write fails (then the store refuses
  // further writes until reopened). k == 0 is allowed: with N == size() it
  // stores the note. Signatures are verified on the store's worker pool.
  // Apply does not classify: a note that contradicts the replica is just
  // refused; Observe it first to learn (and keep) an equivocation.
  // `person_listings`, if given, receives the indexes of the stored entries
  // that list a person (whose private payloads the follower fetches next).
  Status Apply(std::span<const Bytes> entries, std::string_view checkpoint_note, std::span<const Hash> consistency,
               std::vector<uint64_t>* person_listings = nullptr);

  // --- Personal data (ledger/personal/private_data.h, docs/personal-data.md).

  // Stores the private payload of the person listing at entry `index`, as
  // fetched from a peer, in its own synced write. Nothing is stored, and
  // FailedPrecondition returned, when the listing has ended here: delisted
  // by an entry this replica holds, or its publication end is at or before
  // `now`. InvalidArgument if the replica does not hold entry `index` or it
  // is no listing of a person; the errors of personal::CheckAttachment when
  // the payload does not bind to it; IOError if the write fails.
  Status StorePayload(uint64_t index, const personal::Attachment& attachment, int64_t now);

  // --- Reads, as Log's.

  uint64_t size() const { return stored_->size(); }
  Hash root() const { return stored_->root(); }
  // The origin's latest signed checkpoint at a size this replica holds
  // (<= size()), verbatim; empty until the replica first reached the size of
  // a note it was given.
  std::string checkpoint() const { return stored_->checkpoint(); }
  // The origin's note stored at exactly `tree_size`; NotFound if none.
  Result<std::string> CheckpointAt(uint64_t tree_size) const { return stored_->CheckpointAt(tree_size); }
  Result<Bytes> Entry(uint64_t index) const { return stored_->Entry(index); }
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const {
    return stored_->InclusionProof(index, tree_size);
  }
  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t tree_size) const {
    return stored_->ConsistencyProof(old_size, tree_size);
  }
  Result<Hash> RootAt(uint64_t tree_size) const { return stored_->RootAt(tree_size); }
  std::optional<KeyState> KeyStateOf(const PublicKey& key) const { return keys_.KeyStateOf(key); }

  // Cosignatures gathered for the origin's checkpoints (StoredLog's contracts).
  Status AddCosignature(std::string_view note, std::string_view cosignature_line, const NoteVerifier& witness) {
    return stored_->AddCosignature(note, cosignature_line, witness);
  }
  Result<std::string> CosignedCheckpoint() const { return stored_->CosignedCheckpoint(); }
  // Keeps the cosignatures on `note` (the origin's checkpoint as it serves
  // it, with the cosignatures it gathered) that are by one of `witnesses`
  // and not stored yet, if the replica stores that very note text at its
  // size; other lines and other notes are ignored. Each kept line is
  // verified (AddCosignature). Likewise the lines of RFC 3161 tokens by one of
  // `tsas` (AddTimestamp). IOError if a read or write fails; Corruption if a
  // witness's or a TSA's line does not verify.
  Status KeepCosignatures(std::string_view note, std::span<const NoteVerifier> witnesses,
                          std::span<const TimestampVerifier> tsas = {},
                          std::span<const Sm2NoteVerifier> sm2_witnesses = {});
  Result<std::string> CosignedCheckpointAt(uint64_t tree_size) const { return stored_->CosignedCheckpointAt(tree_size); }

  // --- Witnessing and equivocation.

  // Classifies `note`, a checkpoint the origin announced (kHeld, kAhead,
  // kEquivocation, kBadProof: ledger/log/equivocation.h). `consistency` is the
  // RFC 9162 proof from `old_size` (<= size(); the first overload uses
  // size()) to the note's size, needed only when the note is larger than
  // size(). An equivocation found is stored (the first one per origin is
  // kept) and refused cosignatures from then on. Errors: Corruption if the
  // note does not verify with the origin's key, InvalidArgument if it is
  // malformed, names another origin, or old_size > size(); IOError if storing
  // a proof fails.
  Result<Observation> Observe(std::string_view note, std::span<const Hash> consistency);
  Result<Observation> Observe(std::string_view note, uint64_t old_size, std::span<const Hash> consistency);

  // The witness's cosignature (C2SP tlog-cosignature, cosignature/v1) of
  // `note` by `witness` at `timestamp` (seconds): the "— name base64\n" line.
  // Only for a note that verifies with the origin's key and that this
  // replica holds (size <= size(), root equal to the held root at that size),
  // never when the replica holds an equivocation proof for the origin, and
  // never for a size below the one last cosigned. Stores the cosignature
  // with the note (and the note under its size), and the new witness state,
  // in one synced batch. FailedPrecondition: "equivocation: …", "checkpoint:
  // size N is ahead of the held size M" (replicate first), "conflict: witness
  // holds size N" (stale); Corruption for a bad signature or a note that
  // equivocates (then stored as a proof); IOError. Returns the cosignature
  // line, followed by the SM2 cosignature line when SetWitnessSm2Key was given.
  Result<std::string> Cosign(std::string_view note, const NamedKey& witness, uint64_t timestamp);
  // What this node last cosigned for the origin; nullopt if nothing yet.
  std::optional<layout::WitnessState> witness_state() const;

  // Checks a proof handed over by a peer (CheckEquivocationProof with the
  // origin's key) and keeps it if this replica holds none yet. Its errors;
  // InvalidArgument if it is about another origin; IOError if storing fails.
  Status ReportEquivocation(const EquivocationProof& proof);
  // The proof kept for this origin; nullopt if none.
  std::optional<EquivocationProof> equivocation() const;

  // Full verification (ledger/log/verify.h).
  Result<struct VerifyReport> VerifyAll(const std::function<void(uint64_t, uint64_t)>& progress) const;

 private:
  Replica(Store& store, const NoteVerifier& origin_key, layout::LogNumber number);
  // Loads the stored log, or sets up an empty one with the origin's identity
  // if it has no entry yet; then its key table.
  Status LoadOrStart();
  Status LoadWitnessRecords();
  // Parses and checks the origin's signature on a checkpoint note. Sets
  // `origin_note` to the note with only the origin's signature (the form
  // stored: other signers' lines are not verified here).
  Result<Checkpoint> OpenCheckpoint(std::string_view note, std::string* origin_note) const;
  // Checks entries in order and adds them to `batch`.
  Status AddEntries(std::span<const Bytes> entries, EntryBatch& batch);
  // An equivocation proof for a note of size <= size() whose root differs
  // from the held one, built from a note held at that size or above.
  std::optional<EquivocationProof> ProofAgainstHeld(std::string_view note, const Checkpoint& cp) const;
  Result<Observation> ObserveAhead(std::string_view note, Observation obs, uint64_t old_size,
                                   std::span<const Hash> consistency) const;
  Status KeepEquivocation(const EquivocationProof& proof);
  // Cosign's check of the note's listings root.
  Status CheckCosignedMaps(const Checkpoint& cp, std::string_view text,
                               const std::optional<std::string>& held) const;

  Store& store_;
  const NoteVerifier origin_key_;
  std::optional<Sm2NoteVerifier> sm2_key_;
  std::optional<Sm2Key> witness_sm2_;
  std::unique_ptr<StoredLog> stored_;
  std::unique_ptr<listings::LogListings> listings_;
  KeyTable keys_;  // written under write_mu_

  std::mutex write_mu_;  // serialises Apply and Cosign (the log's one writer)
  mutable std::mutex state_mu_;
  std::optional<EquivocationProof> equivocation_;    // guarded by state_mu_
  std::optional<layout::WitnessState> witness_;      // guarded by state_mu_
};

}  // namespace custos
