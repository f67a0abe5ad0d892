#include "ledger/log/replica.h"

#include <algorithm>
#include <limits>
#include <set>

#include "crypto/cosignature.h"
#include "ledger/admission/entry_checker.h"
#include "ledger/log/verify.h"
#include "ledger/rules/rule_state.h"
#include "ledger/tlog/merkle.h"

namespace custos {

namespace {

// The size a checkpoint note states; nullopt if it does not parse.
std::optional<uint64_t> NoteSize(const std::string& note) {
  auto parsed = Note::Parse(note);
  if (!parsed.ok()) return std::nullopt;
  auto cp = Checkpoint::Parse(parsed->text);
  if (!cp.ok()) return std::nullopt;
  return cp->size;
}

std::string Short(const Hash& h) { return Base64Encode(h.span()).substr(0, 12) + "…"; }

}  // namespace

Replica::Replica(Store& store, const NoteVerifier& origin_key, layout::LogNumber number)
    : store_(store),
      origin_key_(origin_key),
      stored_(std::make_unique<StoredLog>(store, number)),
      listings_(std::make_unique<listings::LogListings>(*stored_)) {}

Status Replica::LoadOrStart() {
  Status loaded = stored_->Load();
  if (loaded.code() == Status::Code::kNotFound) {
    stored_->SetIdentity(origin_key_.name, origin_key_.key);
    keys_.Clear();
    return Status::OK();
  }
  CUSTOS_RETURN_IF_ERROR(loaded);
  return keys_.Load(*stored_);
}

Replica::~Replica() = default;

Result<std::unique_ptr<Replica>> Replica::Open(Store& store, const NoteVerifier& origin_key, bool create_if_missing) {
  InitCrypto();
  if (origin_key.alg != kAlgEd25519) {
    return Status::InvalidArgument("origin key " + origin_key.name + ": not an Ed25519 note key (alg 0x01)");
  }
  const std::string& origin = origin_key.name;
  CUSTOS_ASSIGN_OR_RETURN(auto number, store.FindLog(origin));
  if (!number) {
    if (!create_if_missing) return Status::NotFound("no replica of \"" + origin + "\" in " + store.options().path);
    auto added = store.AddLog(origin);
    if (added.status().code() == Status::Code::kAlreadyExists) {
      CUSTOS_ASSIGN_OR_RETURN(number, store.FindLog(origin));  // another thread added it first
    } else {
      CUSTOS_ASSIGN_OR_RETURN(number, std::move(added));
    }
  }
  if (*number == layout::kOwnLog) {
    return Status::InvalidArgument("origin \"" + origin + "\": is this node's own log, not a peer's");
  }
  std::unique_ptr<Replica> replica(new Replica(store, origin_key, *number));
  Status loaded = replica->LoadOrStart();
  if (!loaded.ok()) {
    return loaded.WithContext("replica of " + origin);
  } else if (replica->stored_->origin() != origin || replica->stored_->node_key() != origin_key.key) {
    return Status::FailedPrecondition("replica of " + origin +
                                      ": its genesis names another origin or node key than the one given");
  }
  CUSTOS_RETURN_IF_ERROR(replica->LoadWitnessRecords());
  return replica;
}

Result<std::unique_ptr<Replica>> Replica::OpenOwnLogForRepair(Store& store, const NoteVerifier& node_key) {
  InitCrypto();
  if (!store.options().allow_damaged) return Status::FailedPrecondition("a repair needs a store opened for it");
  std::unique_ptr<Replica> own(new Replica(store, node_key, layout::kOwnLog));
  Status loaded = own->LoadOrStart();
  if (!loaded.ok()) {
    return loaded;
  } else if (own->stored_->origin() != node_key.name || own->stored_->node_key() != node_key.key) {
    return Status::FailedPrecondition("the log's genesis names another origin or node key than " + node_key.name);
  }
  return own;
}

Status Replica::LoadWitnessRecords() {
  CUSTOS_ASSIGN_OR_RETURN(auto proof, store_.Get(layout::EquivocationKey(origin())));
  CUSTOS_ASSIGN_OR_RETURN(auto witness, store_.Get(layout::WitnessKey(number())));
  std::lock_guard<std::mutex> lock(state_mu_);
  if (proof) {
    equivocation_ = EquivocationProof::Decode(*proof);
    if (!equivocation_) return Status::Corruption("equivocation proof of " + origin() + ": malformed record");
  }
  if (witness) {
    witness_ = layout::WitnessState::Decode(*witness);
    if (!witness_) return Status::Corruption("witness state of " + origin() + ": malformed record");
  }
  return Status::OK();
}

Result<Checkpoint> Replica::OpenCheckpoint(std::string_view note, std::string* origin_note) const {
  auto opened = OpenNote(note, origin_key_);
  if (!opened.ok()) {
    Status st = opened.status();
    return st.code() == Status::Code::kCorruption ? Status::Corruption("checkpoint: " + st.message())
                                                  : Status::InvalidArgument("checkpoint: " + st.message());
  }
  auto cp = Checkpoint::Parse(opened->text);
  if (!cp.ok()) return Status::InvalidArgument(cp.status().message());
  if (cp->origin != origin()) {
    return Status::InvalidArgument("checkpoint: origin \"" + cp->origin + "\" is not \"" + origin() + "\"");
  }
  Note own = std::move(opened).value();
  // The origin's SM2 line, when the federation names its key: checked and
  // kept. Absent, the origin signs none; a verifier that demands one refuses
  // the checkpoint later.
  const bool keep_sm2 = sm2_key_ && std::any_of(own.signatures.begin(), own.signatures.end(), [&](const NoteSignature& s) {
                          return s.name == sm2_key_->name && s.key_id == sm2_key_->key_id;
                        });
  if (keep_sm2) {
    Status sm2 = VerifySm2NoteSignature(own, *sm2_key_);
    if (!sm2.ok()) return Status::Corruption("checkpoint: " + sm2.message());
  }
  std::erase_if(own.signatures, [&](const NoteSignature& s) {
    const bool origin = s.name == origin_key_.name && s.key_id == origin_key_.key_id;
    const bool sm2 = keep_sm2 && s.name == sm2_key_->name && s.key_id == sm2_key_->key_id;
    return !origin && !sm2;
  });
  *origin_note = own.Serialize();
  return cp;
}

Status Replica::Apply(std::span<const Bytes> entries, std::string_view checkpoint_note,
                      std::span<const Hash> consistency,
                      std::vector<uint64_t>* person_listings) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (store_.write_failed()) return Status::IOError("an earlier write failed; reopen the store before replicating");
  std::string note;
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, OpenCheckpoint(checkpoint_note, &note));
  const uint64_t end = size() + entries.size();
  if (cp.size < end) {
    return Status::InvalidArgument("checkpoint: size " + std::to_string(cp.size) + " is below the end of the entries, " +
                                   std::to_string(end));
  }
  EntryBatch batch;
  BeginBatch(*stored_, keys_, batch);
  CUSTOS_RETURN_IF_ERROR(AddEntries(entries, batch));
  layout::LogHead head = stored_->Grow(batch.stored);
  CUSTOS_ASSIGN_OR_RETURN(Hash listings_root, listings_->Apply(batch.listing_changes, batch.stored.writes));
  CUSTOS_ASSIGN_OR_RETURN(listings::HistoryRoots histories,
                          listings::LogHistories(*stored_).Apply(batch.history_changes, batch.stored.writes));
  if (cp.size == end && head.root != cp.root) return Status::Corruption("checkpoint: root does not match the entries");
  // The map roots can be checked only against a note of exactly this size:
  // the maps keep no older roots, and a later note's roots cover entries not here.
  if (cp.size == end) {
    CUSTOS_RETURN_IF_ERROR(listings::CheckListingsLine(cp.extensions, listings_root));
    CUSTOS_RETURN_IF_ERROR(listings::CheckHistoryLines(cp.extensions, histories));
  }
  Status consistent = merkle::VerifyConsistency(end, cp.size, head.root, cp.root, consistency);
  if (!consistent.ok()) {
    return Status::Corruption("checkpoint: consistency proof from size " + std::to_string(end) + " to " +
                              std::to_string(cp.size) + ": " + consistent.message());
  }
  if (cp.size == end) {
    CUSTOS_ASSIGN_OR_RETURN(auto held, store_.Get(layout::CheckpointKey(number(), cp.size)));
    if (entries.empty() && held) return Status::OK();  // nothing new
    batch.stored.writes.Put(layout::CheckpointKey(number(), cp.size), note);
    head.checkpoint = std::move(note);
  } else if (entries.empty()) {
    return Status::OK();  // consistent, nothing to store
  }
  CUSTOS_RETURN_IF_ERROR(stored_->Commit(batch.stored, std::move(head)));
  keys_.Commit(std::move(batch.authority));
  if (person_listings != nullptr) *person_listings = std::move(batch.person_listings);
  return Status::OK();
}

// Parsing (signatures above all) and the replay-index lookups run on the
// worker pool; the checks that depend on earlier entries run in index order,
// against the key table and the rule state as the entries before left them,
// exactly as full verification replays them.
Status Replica::AddEntries(std::span<const Bytes> entries, EntryBatch& batch) {
  const uint64_t start = size();
  std::vector<ParsedEntry> parsed(entries.size());
  std::vector<std::optional<Result<std::optional<uint64_t>>>> held(entries.size());
  store_.ForEach(entries.size(), [&](size_t i) {
    parsed[i] = ParseEntry(entries[i], start + i);
    if (parsed[i].status.ok()) held[i].emplace(stored_->ReplayIndexOf(parsed[i].submission->statement_time(), parsed[i].submission->statement_hash));
  });
  EntryChecker checker(origin(), store_.options().max_clock_skew_ms, origin_key_.key);
  checker.Resume(start, batch.stored.last_leaf, start == 0 ? INT64_MIN : batch.stored.last_time);
  std::set<Hash> in_batch;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string at = "entry " + std::to_string(start + i) + ": ";
    CUSTOS_RETURN_IF_ERROR(checker.CheckNext(parsed[i], batch.authority));
    const CheckedSubmission& c = *parsed[i].submission;
    if (!in_batch.insert(c.statement_hash).second) {
      return Status::Corruption(at + "replay: the statement appears twice in the batch");
    }
    CUSTOS_ASSIGN_OR_RETURN(auto where, std::move(*held[i]));
    if (where) return Status::Corruption(at + "replay: the statement is already entry " + std::to_string(*where));
    rules::BatchRuleSource rules_source(*stored_, batch.stored);
    CUSTOS_ASSIGN_OR_RETURN(auto effects, rules::CheckEntryRules(parsed[i], origin(), number(), rules_source));
    AddEntry(*stored_, batch, entries[i], parsed[i].leaf_hash, c.statement_hash, c.statement.get(),
             parsed[i].entry->get().getLogTime(), effects);
  }
  return Status::OK();
}

Status Replica::StorePayload(uint64_t index, const personal::Attachment& attachment, int64_t now) {
  // Under the writer's lock: a delisting applied meanwhile deletes the
  // payload in its own batch, and must not be overtaken by this write.
  std::lock_guard<std::mutex> lock(write_mu_);
  const std::string at = "entry " + std::to_string(index) + " of " + origin();
  if (index >= size()) return Status::InvalidArgument(at + ": not held here yet");
  CUSTOS_ASSIGN_OR_RETURN(Bytes entry, stored_->Entry(index));
  auto parsed = ParseEntry(entry, index);
  if (!parsed.status.ok()) return parsed.status;
  CUSTOS_RETURN_IF_ERROR(personal::CheckAttachment(parsed.submission->statement.get(), attachment).WithContext(at));
  CUSTOS_ASSIGN_OR_RETURN(auto delisted, rules::UsedBy(*stored_, origin(), index));
  if (delisted) return Status::FailedPrecondition(at + ": the listing was delisted by entry " + std::to_string(*delisted));
  CUSTOS_ASSIGN_OR_RETURN(auto listing, rules::TargetAt(*stored_, index));
  if (!listing || listing->publication_ends <= now) {
    return Status::FailedPrecondition(at + ": the listing's publication has ended");
  }
  leveldb::WriteBatch batch;
  personal::PutPayload(batch, number(), index, attachment);
  return store_.Write(batch);
}

std::optional<layout::WitnessState> Replica::witness_state() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return witness_;
}

std::optional<EquivocationProof> Replica::equivocation() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return equivocation_;
}

// ------------------------------------------------------------ witnessing and equivocation

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
Status Replica::KeepCosignatures(std::string_view note, std::span<const NoteVerifier> witnesses,
                                 std::span<const TimestampVerifier> tsas,
                                 std::span<const Sm2NoteVerifier> sm2_witnesses) {
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
    for (const auto& tsa : tsas) {
      if (tsa.name != sig.name || tsa.key_id != sig.key_id) continue;
      CUSTOS_RETURN_IF_ERROR(stored_->AddTimestamp(*held, line, tsa));
    }
    for (const auto& key : sm2_witnesses) {
      if (key.name != sig.name || Sm2CosignatureKeyId(key.name, key.public_key) != sig.key_id) continue;
      CUSTOS_RETURN_IF_ERROR(stored_->AddSm2Cosignature(*held, line, key));
    }
  }
  return Status::OK();
}

// A witness vouches for the map roots too (listings, custody, authority), but
// the maps keep only their latest roots: a note is cosigned only if it is the very text held at its
// size (Apply checked that one's root), or is at the held size with the
// current root.
Status Replica::CheckCosignedMaps(const Checkpoint& cp, std::string_view text,
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
  CUSTOS_RETURN_IF_ERROR(listings::CheckListingsLine(cp.extensions, root));
  CUSTOS_ASSIGN_OR_RETURN(listings::HistoryRoots histories, listings::LogHistories(*stored_).Roots());
  return listings::CheckHistoryLines(cp.extensions, histories);
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
  CUSTOS_RETURN_IF_ERROR(CheckCosignedMaps(cp, parsed.text, held));
  NoteSignature line = custos::Cosign(parsed.text, witness.name, witness.key, timestamp);
  std::optional<NoteSignature> sm2_line;
  if (witness_sm2_) {
    CUSTOS_ASSIGN_OR_RETURN(sm2_line, Sm2Cosign(parsed.text, witness.name, *witness_sm2_, timestamp));
  }
  StoredLog::Batch batch;
  stored_->Begin(&batch);
  layout::LogHead head = stored_->head();
  if (!held) batch.writes.Put(layout::CheckpointKey(number(), cp.size), origin_note);
  // The head's note is the latest held one; the note cosigned may be newer.
  if (NoteSize(head.checkpoint).value_or(0) < cp.size || head.checkpoint.empty()) head.checkpoint = origin_note;
  stored_->PutCosignature(batch.writes, cp.size, line);
  if (sm2_line) stored_->PutCosignature(batch.writes, cp.size, *sm2_line);
  layout::WitnessState state{cp.size, cp.root, timestamp};
  batch.writes.Put(layout::WitnessKey(number()), state.Encode());
  CUSTOS_RETURN_IF_ERROR(stored_->Commit(batch, std::move(head)));
  std::lock_guard<std::mutex> state_lock(state_mu_);
  witness_ = state;
  return sm2_line ? line.ToLine() + sm2_line->ToLine() : line.ToLine();
}

// A replica is checked like the origin's own log, against the origin's key,
// and then what only a witness keeps: what it cosigned, and any proof of
// equivocation it holds.
Result<VerifyReport> Replica::VerifyAll(const std::function<void(uint64_t, uint64_t)>& progress) const {
  CUSTOS_ASSIGN_OR_RETURN(VerifyReport report, VerifyEntries(*stored_, origin_key_.key, /*replica=*/true, progress));
  CUSTOS_ASSIGN_OR_RETURN(auto witness, store_.Get(layout::WitnessKey(stored_->number())));
  if (witness) {
    auto state = layout::WitnessState::Decode(*witness);
    if (!state) return Status::Corruption("witness state: malformed record");
    auto root = stored_->RootAt(state->size);
    if (!root.ok() || *root != state->root) {
      return Status::Corruption("witness state: cosigned size " + std::to_string(state->size) +
                                " does not match the entries");
    }
  }
  if (auto proof = equivocation()) {
    Status st = CheckEquivocationProof(*proof, origin_key_);
    if (!st.ok()) return Status::Corruption("equivocation proof: " + st.message());
  }
  return report;
}

}  // namespace custos
