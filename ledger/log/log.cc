#include "ledger/log/log.h"

#include "crypto/sm2_note.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/note.h"
#include "ledger/admission/submission.h"
#include "ledger/log/verify.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"

namespace custos {

namespace {
constexpr char kSuite[] = "ed25519-sha256";

// The genesis statement: origin, node key, suite, first admins.
Bytes GenesisStatement(std::string_view origin, const PublicKey& node_key,
                       std::span<const PublicKey> admins, int64_t now) {
  capnp::MallocMessageBuilder builder;
  auto s = builder.initRoot<schema::Statement>();
  s.setOrigin(std::string(origin));
  s.setTime(now);
  uint8_t nonce[16];
  randombytes_buf(nonce, sizeof nonce);
  s.setNonce(capnp::Data::Reader(nonce, sizeof nonce));
  auto g = s.getBody().initGenesis();
  g.setOrigin(std::string(origin));
  g.setNodeKey(capnp::Data::Reader(node_key.bytes.data(), node_key.bytes.size()));
  g.setSuite(kSuite);
  auto list = g.initAdminKeys(static_cast<unsigned>(admins.size()));
  for (unsigned i = 0; i < admins.size(); ++i) {
    list.set(i, capnp::Data::Reader(admins[i].bytes.data(), admins[i].bytes.size()));
  }
  return schema::Canonicalize(s.asReader());
}

std::vector<Result<Receipt>> AllFailed(size_t n, const Status& status) {
  return std::vector<Result<Receipt>>(n, Result<Receipt>(status));
}
}  // namespace

Log::~Log() = default;

Result<std::unique_ptr<Log>> Log::Create(const LogOptions& options, std::string_view origin,
                                         const NamedKey& node_key, std::span<const PublicKey> admins) {
  std::unique_ptr<Store> store;
  auto created = Store::Open(options, OpenMode::kCreateNew);
  if (created.ok()) {
    store = std::move(created).value();
  } else if (created.status().code() == Status::Code::kAlreadyExists) {
    // The genesis batch writes every key of a log at once, so a database with
    // no keys at all is a Create that stopped before its genesis: finish it.
    CUSTOS_ASSIGN_OR_RETURN(store, Store::Open(options, OpenMode::kOpenExisting));
    CUSTOS_ASSIGN_OR_RETURN(bool empty, store->Empty());
    if (!empty) return Status::AlreadyExists("a log already exists at " + options.path);
  } else {
    return created.status();
  }
  CUSTOS_ASSIGN_OR_RETURN(auto log, Create(*store, origin, node_key, admins));
  log->owned_store_ = std::move(store);
  return log;
}

Result<std::unique_ptr<Log>> Log::Create(Store& store, std::string_view origin, const NamedKey& node_key,
                                         std::span<const PublicKey> admins) {
  InitCrypto();
  if (node_key.name != origin) {
    return Status::InvalidArgument("node key: its name \"" + node_key.name +
                                   "\" must equal the log origin \"" + std::string(origin) + "\"");
  }
  if (admins.empty()) return Status::InvalidArgument("admin: at least one admin key is needed");
  CUSTOS_ASSIGN_OR_RETURN(auto head, store.Get(layout::HeadKey(layout::kOwnLog)));
  CUSTOS_ASSIGN_OR_RETURN(auto first, store.Get(layout::EntryKey(layout::kOwnLog, 0)));
  if (head || first) return Status::AlreadyExists("a log already exists at " + store.options().path);
  CUSTOS_ASSIGN_OR_RETURN(auto number, store.FindLog(origin));
  if (number) {
    return Status::AlreadyExists("origin \"" + std::string(origin) + "\": the store holds it as a replica");
  }
  std::unique_ptr<Log> log(new Log());
  log->store_ = &store;
  log->stored_ = std::make_unique<StoredLog>(store, layout::kOwnLog);
  log->listings_ = std::make_unique<listings::LogListings>(*log->stored_);
  log->stored_->SetIdentity(std::string(origin), node_key.key.public_key());
  log->keys_.Clear();
  log->node_key_ = node_key;
  Bytes genesis = SignSubmission(
      GenesisStatement(origin, node_key.key.public_key(), admins, store.clock().NowMillis()), node_key.key);
  auto results = log->Append(std::span<const Bytes>(&genesis, 1), BatchMode::kAllOrNothing);
  if (!results[0].ok()) return results[0].status().WithContext("writing the genesis entry");
  return log;
}

Result<std::unique_ptr<Log>> Log::Open(const LogOptions& options, std::optional<NamedKey> node_key) {
  auto opened = Store::Open(options, OpenMode::kOpenExisting);
  if (opened.status().code() == Status::Code::kNotFound) return Status::NotFound("no log at " + options.path);
  CUSTOS_ASSIGN_OR_RETURN(auto store, std::move(opened));
  CUSTOS_ASSIGN_OR_RETURN(auto log, Open(*store, std::move(node_key)));
  log->owned_store_ = std::move(store);
  return log;
}

Result<std::unique_ptr<Log>> Log::Open(Store& store, std::optional<NamedKey> node_key) {
  InitCrypto();
  std::unique_ptr<Log> log(new Log());
  log->store_ = &store;
  log->stored_ = std::make_unique<StoredLog>(store, layout::kOwnLog);
  log->listings_ = std::make_unique<listings::LogListings>(*log->stored_);
  CUSTOS_RETURN_IF_ERROR(log->stored_->Load());
  CUSTOS_RETURN_IF_ERROR(log->keys_.Load(*log->stored_));
  if (node_key) {
    if (node_key->key.public_key() != log->node_key()) {
      return Status::InvalidArgument("node key: not the key named in this log's genesis");
    }
    log->node_key_ = std::move(node_key);
  }
  return log;
}

std::string Log::VerifierKey() const { return NoteVerifier::ForKey(origin(), node_key()).ToString(); }

uint64_t Log::size() const { return stored_->size(); }

Hash Log::root() const { return stored_->root(); }

std::string Log::checkpoint() const { return stored_->checkpoint(); }

Status Log::CheckOne(const CheckedSubmission& c, uint64_t index, int64_t now, const Authority& authority,
                     const BatchStatements& batch, const Result<std::optional<uint64_t>>& replayed) const {
  AppendContext ctx{origin(), index, now, store_->options().max_clock_skew_ms, &authority};
  CUSTOS_RETURN_IF_ERROR(CheckInContext(c, ctx));
  if (batch.count(c.statement_hash)) return Status::AlreadyExists("submission: appears twice in this batch");
  if (!replayed.ok()) return replayed.status();
  if (*replayed) return Status::AlreadyExists("submission: already in the log at index " + std::to_string(**replayed));
  return Status::OK();
}

rules::RuleContext Log::RulesAt(uint64_t index, int64_t log_time) const {
  rules::RuleContext ctx;
  ctx.origin = origin();
  ctx.log = layout::kOwnLog;
  ctx.index = index;
  ctx.log_time = log_time;
  ctx.known_origins = &store_->options().known_origins;
  ctx.require_held_references = true;  // the submitter can sync and retry
  return ctx;
}

Status Log::CheckPrivate(const CheckedSubmission& c, const std::optional<personal::Attachment>* attachment) {
  const bool person = personal::ListedDigest(c.statement.get()).has_value();
  if (attachment == nullptr || !attachment->has_value()) {
    return person ? personal::MissingPayloadError() : Status::OK();
  }
  return personal::CheckAttachment(c.statement.get(), **attachment);
}

bool Log::CatchUpChecks(uint64_t size_before, const Hash& statement_hash, Result<std::optional<uint64_t>>& replayed,
                        rules::BatchRuleSource::Cache& prefetched) const {
  if (recent_.empty() || recent_.front().first > size_before) return false;
  for (const CommittedBatch& b : recent_) {
    if (b.end <= size_before) continue;
    if (replayed.ok() && !*replayed) {
      if (auto it = b.statements.find(statement_hash); it != b.statements.end()) replayed = std::optional(it->second);
    }
    std::erase_if(prefetched, [&](const auto& kv) { return b.state_keys.count(kv.first) > 0; });
  }
  // A reference to one of this log's entries appended since (the prefetch
  // may have found it absent).
  static const std::string own_entries = layout::LogPrefix(layout::kEntryPrefix, layout::kOwnLog);
  std::erase_if(prefetched, [&](const auto& kv) { return kv.first.starts_with(own_entries); });
  return true;
}

std::vector<Result<Receipt>> Log::Append(std::span<const Bytes> submissions, BatchMode mode,
                                         std::span<const std::optional<personal::Attachment>> privates) {
  if (!privates.empty() && privates.size() != submissions.size()) {
    return AllFailed(submissions.size(), Status::InvalidArgument("private: one item per submission, or none"));
  }
  auto private_of = [&](size_t i) { return privates.empty() ? nullptr : &privates[i]; };
  // Everything that needs no lock runs on all cores: parsing, validation,
  // signatures, and the replay-index lookups (point reads; they are redone
  // under the lock only if another batch committed in between).
  // The rules are tried there too, against the committed state, only to
  // fetch the records they read; they decide under the lock.
  std::vector<std::optional<Result<CheckedSubmission>>> checked(submissions.size());
  std::vector<std::optional<Result<std::optional<uint64_t>>>> replayed(submissions.size());
  std::vector<rules::BatchRuleSource::Cache> prefetched(submissions.size());
  const uint64_t size_before = stored_->size();
  store_->ForEach(submissions.size(), [&](size_t i) {
    checked[i].emplace(CheckSubmission(submissions[i]));
    if (!checked[i]->ok()) return;
    if (Status p = CheckPrivate(checked[i]->value(), private_of(i)); !p.ok()) {
      checked[i].emplace(p);
      return;
    }
    replayed[i].emplace(stored_->ReplayIndexOf(checked[i]->value().statement_time(), checked[i]->value().statement_hash));
    rules::PrefetchRuleSource prefetch(*store_);
    (void)rules::CheckRules(checked[i]->value().statement.get(), RulesAt(size_before + i, 0), prefetch);
    prefetched[i] = std::move(prefetch.cache());
  });

  if (before_lock_for_testing_) std::exchange(before_lock_for_testing_, nullptr)();
  std::lock_guard<std::mutex> lock(append_mu_);
  // Batches committed since the checks above: what they changed is caught up
  // from recent_, or, past it, the replay lookups and rule reads are redone.
  const bool stale = stored_->size() != size_before;
  if (!node_key_) {
    return AllFailed(submissions.size(), Status::FailedPrecondition("the log was opened without its node key"));
  }
  if (store_->write_failed()) {
    return AllFailed(submissions.size(), Status::IOError("an earlier write failed; reopen the log before appending"));
  }
  if (Status damaged = store_->damage(); !damaged.ok()) return AllFailed(submissions.size(), damaged);
  EntryBatch p;
  BeginBatch(*stored_, keys_, p);
  // logTime never goes backwards, even if the system clock does: verifiers
  // require entries in time order.
  const int64_t log_time = std::max(store_->clock().NowMillis(), stored_->last_log_time());
  std::vector<Result<Receipt>> results;
  CommittedBatch committed;
  committed.first = stored_->NextIndex(p.stored);
  committed.statements.reserve(submissions.size());
  std::optional<size_t> first_refused;
  for (size_t i = 0; i < submissions.size(); ++i) {
    const uint64_t next = stored_->NextIndex(p.stored);
    bool prefetch_valid = true;
    if (checked[i]->ok() && stale &&
        !CatchUpChecks(size_before, checked[i]->value().statement_hash, *replayed[i], prefetched[i])) {
      replayed[i].emplace(stored_->ReplayIndexOf(checked[i]->value().statement_time(), checked[i]->value().statement_hash));
      prefetch_valid = false;
    }
    Status st = checked[i]->ok()
                    ? CheckOne(checked[i]->value(), next, log_time, p.authority, committed.statements, *replayed[i])
                    : checked[i]->status();
    Result<rules::RuleEffects> effects = rules::RuleEffects();
    if (st.ok()) {
      rules::BatchRuleSource source(*stored_, p.stored, prefetch_valid ? &prefetched[i] : nullptr);
      effects = rules::CheckRules(checked[i]->value().statement.get(), RulesAt(next, log_time), source);
      st = effects.status();
    }
    if (!st.ok()) {
      results.emplace_back(st);
      if (!first_refused) first_refused = i;
      continue;
    }
    const CheckedSubmission& c = checked[i]->value();
    Bytes entry = BuildEntry(next, p.stored.last_leaf, log_time, c.submission.get());
    Hash leaf = merkle::LeafHash(entry);
    AddEntry(*stored_, p, entry, leaf, c.statement_hash, c.statement.get(), log_time, *effects);
    if (auto* a = private_of(i); a != nullptr && a->has_value()) {
      personal::PutPayload(p.stored.writes, layout::kOwnLog, next, **a);
    }
    committed.statements.emplace(c.statement_hash, next);
    results.emplace_back(Receipt{next, leaf});
  }
  if (mode == BatchMode::kAllOrNothing && first_refused) {
    Status not_appended = Status::Aborted(
        "not appended: submission " + std::to_string(*first_refused + 1) + " of the batch was refused");
    for (auto& r : results) {
      if (r.ok()) r = not_appended;
    }
    return results;
  }
  if (p.stored.leaves.empty()) return results;
  Status st = Commit(p);
  if (!st.ok()) return AllFailed(submissions.size(), st);
  committed.end = stored_->size();
  for (const auto& [key, value] : p.stored.state) committed.state_keys.insert(key);
  recent_.push_back(std::move(committed));
  if (recent_.size() > kRecentBatches) recent_.pop_front();
  return results;
}

// Adds the tiles, the listings map and the newly signed checkpoint to the batch Append
// gathered, and writes it. Memory moves ahead only after the write.
Status Log::Commit(EntryBatch& p) {
  layout::LogHead head = stored_->Grow(p.stored);
  // Every checkpoint carries the listings map root after its entries, also
  // when the map is empty: a follower then never has to guess why a line is
  // missing (docs/checkpoint-format.md).
  CUSTOS_ASSIGN_OR_RETURN(Hash listings_root, listings_->Apply(p.listing_changes, p.stored.writes));
  // And the custody and authority roots: what a bundle proves completeness by.
  CUSTOS_ASSIGN_OR_RETURN(listings::HistoryRoots histories,
                          listings::LogHistories(*stored_).Apply(p.history_changes, p.stored.writes));
  Checkpoint cp{origin(), head.size, head.root, {listings::ListingsLine(listings_root)}};
  for (std::string& line : listings::HistoryLines(histories)) cp.extensions.push_back(std::move(line));
  CUSTOS_ASSIGN_OR_RETURN(head.checkpoint, SignNote(cp.Format(), node_key_->name, node_key_->key));
  if (sm2_key_) {
    CUSTOS_ASSIGN_OR_RETURN(head.checkpoint, AddSm2NoteSignature(head.checkpoint, node_key_->name, *sm2_key_));
  }
  p.stored.writes.Put(layout::CheckpointKey(layout::kOwnLog, head.size), head.checkpoint);
  if (head.size == p.stored.leaves.size()) {  // the genesis batch also marks the database as holding this log
    Store::PutLogRecord(p.stored.writes, origin(), layout::kOwnLog);
  }
  CUSTOS_RETURN_IF_ERROR(stored_->Commit(p.stored, std::move(head)));
  keys_.Commit(std::move(p.authority));
  return Status::OK();
}

Result<Bytes> Log::Entry(uint64_t index) const { return stored_->Entry(index); }

std::optional<KeyState> Log::KeyStateOf(const PublicKey& key) const { return keys_.KeyStateOf(key); }

Result<std::string> Log::CheckpointAt(uint64_t tree_size) const { return stored_->CheckpointAt(tree_size); }

Result<std::vector<Hash>> Log::InclusionProof(uint64_t index, uint64_t tree_size) const {
  return stored_->InclusionProof(index, tree_size);
}

Result<std::vector<Hash>> Log::ConsistencyProof(uint64_t old_size, uint64_t tree_size) const {
  return stored_->ConsistencyProof(old_size, tree_size);
}

Result<Hash> Log::RootAt(uint64_t tree_size) const { return stored_->RootAt(tree_size); }

Status Log::AddCosignature(std::string_view note, std::string_view cosignature_line, const NoteVerifier& witness) {
  return stored_->AddCosignature(note, cosignature_line, witness);
}

Status Log::AddTimestamp(std::string_view note, std::string_view line, const TimestampVerifier& tsa) {
  return stored_->AddTimestamp(note, line, tsa);
}

Status Log::AddSm2Cosignature(std::string_view note, std::string_view line, const Sm2NoteVerifier& key) {
  return stored_->AddSm2Cosignature(note, line, key);
}

Result<std::string> Log::CosignedCheckpoint() const { return stored_->CosignedCheckpoint(); }

Result<std::string> Log::CosignedCheckpointAt(uint64_t tree_size) const {
  return stored_->CosignedCheckpointAt(tree_size);
}

Result<std::optional<uint64_t>> Log::LatestCosignedSize() const { return stored_->LatestCosignedSize(); }

Result<VerifyReport> Log::VerifyAll(const std::function<void(uint64_t, uint64_t)>& progress) const {
  return VerifyEntries(*stored_, std::nullopt, /*replica=*/false, progress);
}

}  // namespace custos
