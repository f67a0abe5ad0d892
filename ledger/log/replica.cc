#include "ledger/log/replica.h"

#include <set>

#include "ledger/admission/entry_checker.h"
#include "ledger/tlog/merkle.h"
#include "ledger/rules/rule_state.h"

namespace custos {

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
  std::erase_if(own.signatures, [&](const NoteSignature& s) {
    return s.name != origin_key_.name || s.key_id != origin_key_.key_id;
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
  if (cp.size == end && head.root != cp.root) return Status::Corruption("checkpoint: root does not match the entries");
  // The map root can be checked only against a note of exactly this size: the
  // map keeps no older roots, and a later note's root covers entries not here.
  if (cp.size == end) CUSTOS_RETURN_IF_ERROR(listings::CheckListingsLine(cp.extensions, listings_root));
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

}  // namespace custos
