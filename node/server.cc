#include "node/server.h"

#include <spdlog/spdlog.h>

#include "crypto/note.h"
#include "ledger/listings/listing_check.h"
#include "ledger/listings/listings_state.h"
#include "ledger/personal/private_data.h"
#include "ledger/query/bundle.h"
#include "ledger/storage/store.h"
#include "ledger/storage/store.h"
#include "node/maintenance.h"
#include "node/offload.h"
#include "node/queries.h"
#include "node/rpc_errors.h"
#include "node/rpc_limits.h"
#include "schema/text.h"

namespace custos::node {

namespace {

capnp::MessageSize Hint(size_t bytes) { return {bytes / sizeof(capnp::word) + 64, 0}; }

// Cosignature lines on a checkpoint note: signatures not made by its origin.
uint32_t CountCosignatures(const std::string& note, const std::string& origin) {
  auto parsed = Note::Parse(note);
  if (!parsed.ok()) return 0;
  uint32_t n = 0;
  for (const auto& sig : parsed->signatures) n += sig.name != origin ? 1 : 0;
  return n;
}

std::vector<Hash> HashesOf(capnp::List<capnp::Data>::Reader list, const char* field) {
  std::vector<Hash> out;
  for (auto d : list) {
    auto h = Hash::FromSpan(ByteSpan(d.begin(), d.size()));
    if (!h) Throw(Status::InvalidArgument(std::string(field) + ": every hash must be 32 bytes"));
    out.push_back(*h);
  }
  return out;
}

void SetHashes(capnp::List<capnp::Data>::Builder out, const std::vector<Hash>& hashes) {
  for (size_t i = 0; i < hashes.size(); ++i) out.set(static_cast<capnp::uint>(i), DataOf(hashes[i].span()));
}

// Checks the submit call's limits and copies the submissions out of the message.
std::vector<Bytes> TakeSubmissions(capnp::List<capnp::Data>::Reader list) {
  if (list.size() > kMaxSubmissionsPerCall) {
    Throw(Status::InvalidArgument("submissions: " + std::to_string(list.size()) + " items, over the limit of " +
                                  std::to_string(kMaxSubmissionsPerCall) + " per call"));
  }
  std::vector<Bytes> items;
  items.reserve(list.size());
  for (capnp::uint i = 0; i < list.size(); ++i) {
    auto d = list[i];
    if (d.size() > kMaxSubmissionBytes) {
      Throw(Status::InvalidArgument("submissions[" + std::to_string(i) + "]: " + std::to_string(d.size()) +
                                    " bytes, over the limit of " + std::to_string(kMaxSubmissionBytes)));
    }
    items.emplace_back(d.begin(), d.end());
  }
  return items;
}

// The private payloads sent with a submit call: one optional item per
// submission, or none at all when the call carries none.
std::vector<std::optional<personal::Attachment>> TakePrivates(capnp::List<rpc::PrivateAttachment>::Reader list,
                                                              size_t submissions) {
  std::vector<std::optional<personal::Attachment>> out;
  if (list.size() == 0) return out;
  out.resize(submissions);
  for (capnp::uint i = 0; i < list.size(); ++i) {
    auto p = list[i];
    const std::string field = "privates[" + std::to_string(i) + "]";
    if (p.getSubmission() >= submissions) {
      Throw(Status::InvalidArgument(field + ".submission: " + std::to_string(p.getSubmission()) +
                                    " is not the position of a submission of this call"));
    }
    auto& slot = out[p.getSubmission()];
    if (slot) Throw(Status::InvalidArgument(field + ".submission: a second payload for the same submission"));
    if (p.getPayload().size() > kMaxPrivatePayloadBytes) {
      Throw(Status::InvalidArgument(field + ".payload: over the limit of " + std::to_string(kMaxPrivatePayloadBytes) +
                                    " bytes"));
    }
    slot.emplace(personal::Attachment{Bytes(p.getSalt().begin(), p.getSalt().end()),
                                      std::string(p.getPayload().asChars().begin(), p.getPayload().size())});
  }
  return out;
}

size_t OutcomeBytes(const CommitOutcome& outcome) {
  size_t bytes = 0;
  for (const auto& r : outcome.results) bytes += 128 + (r.ok() ? r->proof.size() : r.status().message().size());
  return bytes;
}

void FillResults(capnp::List<rpc::SubmitResult>::Builder list, const CommitOutcome& outcome) {
  for (size_t i = 0; i < outcome.results.size(); ++i) {
    const auto& r = outcome.results[i];
    auto item = list[static_cast<capnp::uint>(i)];
    if (r.ok()) {
      auto receipt = item.initReceipt();
      receipt.setIndex(r->index);
      receipt.setLeafHash(DataOf(r->leaf_hash.span()));
      receipt.setProof(r->proof);
    } else {
      auto error = item.initError();
      error.setCode(ToErrorCode(r.status().code()));
      error.setMessage(r.status().message());
    }
  }
}

// Publishes the own log's new checkpoint once per batch.
void PublishOwn(NodeServices& s, const CommitOutcome& outcome) {
  if (outcome.tree_size <= s.published_size || outcome.checkpoint.empty()) return;
  s.published_size = outcome.tree_size;
  s.hub->Publish(s.origin, outcome.checkpoint);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class NodeServer final : public rpc::Node::Server {
 public:
  NodeServer(NodeServices& services, Caller caller) : s_(services), caller_(std::move(caller)) {}

 protected:
  kj::Promise<void> submit(SubmitContext context) override {
    Status allowed = s_.access->CheckSubmit(caller_);
    if (!allowed.ok()) Throw(allowed);
    auto items = TakeSubmissions(context.getParams().getSubmissions());
    auto privates = TakePrivates(context.getParams().getPrivates(), items.size());
    context.releaseParams();
    if (items.empty()) {
      context.initResults(Hint(0)).initResults(0);
      return kj::READY_NOW;
    }
    NodeServices* s = &s_;  // outlives the call; the server object might not
    return s->committer->Submit(std::move(items), std::move(privates)).then([s, context](CommitOutcome&& outcome) mutable {
      FillResults(context.initResults(Hint(OutcomeBytes(outcome))).initResults(
                      static_cast<capnp::uint>(outcome.results.size())),
                  outcome);
      PublishOwn(*s, outcome);
    });
  }

  kj::Promise<void> status(StatusContext context) override {
    auto logs = s_.logs->All();
    auto peers = s_.federation->Peers();
    auto alarms = s_.federation->Alarms();
    auto st = context.initResults(Hint(4096 * (logs.size() + peers.size() + alarms.size() + 1))).initStatus();
    st.setOrigin(s_.origin);
    FillLogs(st.initLogs(static_cast<capnp::uint>(logs.size())), logs);
    FillPeers(st.initPeers(static_cast<capnp::uint>(peers.size())), peers);
    auto out = st.initAlarms(static_cast<capnp::uint>(alarms.size()));
    for (size_t i = 0; i < alarms.size(); ++i) out.set(static_cast<capnp::uint>(i), alarms[i]);
    return kj::READY_NOW;
  }

  kj::Promise<void> checkpoint(CheckpointContext context) override {
    auto log = FindLog(context.getParams().getOrigin(), "checkpoint");
    std::string note = log->checkpoint();
    context.initResults(Hint(note.size())).setNote(note);
    return kj::READY_NOW;
  }

  kj::Promise<void> entries(EntriesContext context) override {
    auto params = context.getParams();
    auto log = FindLog(params.getOrigin(), "entries");
    auto found = ReadEntries(*log, params.getStart(), params.getCount());
    size_t bytes = 0;
    for (const auto& e : found) bytes += e.size() + 16;
    auto list = context.initResults(Hint(bytes)).initEntries(static_cast<capnp::uint>(found.size()));
    for (size_t i = 0; i < found.size(); ++i) list.set(static_cast<capnp::uint>(i), DataOf(found[i]));
    return kj::READY_NOW;
  }

  kj::Promise<void> inclusionProof(InclusionProofContext context) override {
    auto params = context.getParams();
    auto log = FindLog(params.getOrigin(), "inclusionProof");
    uint64_t size = params.getTreeSize() == 0 ? log->size() : params.getTreeSize();
    uint64_t index = params.getIndex();
    if (index >= size) {
      Throw(Status::InvalidArgument("index: " + std::to_string(index) + " is not below the tree size " +
                                    std::to_string(size)));
    }
    auto note = log->CheckpointAt(size);
    if (!note.ok()) Throw(note.status().WithContext("treeSize"));
    auto proof = log->InclusionProof(index, size);
    if (!proof.ok()) Throw(proof.status());
    auto results = context.initResults(Hint(note->size() + 40 * proof->size()));
    SetHashes(results.initProof(static_cast<capnp::uint>(proof->size())), *proof);
    results.setCheckpoint(*note);
    return kj::READY_NOW;
  }

  kj::Promise<void> consistencyProof(ConsistencyProofContext context) override {
    auto params = context.getParams();
    auto log = FindLog(params.getOrigin(), "consistencyProof");
    uint64_t size = params.getTreeSize() == 0 ? log->size() : params.getTreeSize();
    if (params.getOldSize() > size) {
      Throw(Status::InvalidArgument("oldSize: " + std::to_string(params.getOldSize()) + " is larger than the size " +
                                    std::to_string(size)));
    }
    auto proof = log->ConsistencyProof(params.getOldSize(), size);
    if (!proof.ok()) Throw(proof.status());
    SetHashes(context.initResults(Hint(40 * proof->size())).initProof(static_cast<capnp::uint>(proof->size())),
              *proof);
    return kj::READY_NOW;
  }

  kj::Promise<void> subscribe(SubscribeContext context) override {
    auto params = context.getParams();
    auto log = FindLog(params.getOrigin(), "subscribe");
    auto subscription = s_.hub->Subscribe(log->origin(), params.getSubscriber(), log->checkpoint());
    context.initResults(Hint(0)).setSubscription(kj::mv(subscription));
    return kj::READY_NOW;
  }

  kj::Promise<void> addCheckpoint(AddCheckpointContext context) override {
    CheckPeer();
    auto params = context.getParams();
    auto proof = HashesOf(params.getProof(), "proof");
    return s_.federation->AddCheckpoint(caller_, params.getOldSize(), std::move(proof), Str(params.getCheckpoint()))
        .then([context](std::string&& cosignature) mutable {
          context.initResults(Hint(cosignature.size())).setCosignature(cosignature);
        });
  }

  kj::Promise<void> addCosignature(AddCosignatureContext context) override {
    CheckPeer();
    auto params = context.getParams();
    return s_.federation->AddCosignature(caller_, Str(params.getCheckpoint()), Str(params.getCosignature()));
  }

  // --- personal data (docs/personal-data.md)

  kj::Promise<void> privatePayload(PrivatePayloadContext context) override {
    Status allowed = s_.access->CheckPrivateRead(caller_);
    if (!allowed.ok()) Throw(allowed);
    if (s_.store == nullptr) {
      return kj::Exception(kj::Exception::Type::UNIMPLEMENTED, __FILE__, __LINE__,
                           kj::str("privatePayload: this server has no store"));
    }
    auto params = context.getParams();
    auto log = FindLog(params.getOrigin(), "privatePayload");
    const uint64_t index = params.getIndex();
    auto entry = log->Entry(index);
    if (!entry.ok()) Throw(Status::NotFound("privatePayload: entry " + std::to_string(index) + " is not held"));
    if (!personal::EntryListedDigest(*entry)) {
      Throw(Status::NotFound("privatePayload: entry " + std::to_string(index) + " is no listing of a person"));
    }
    auto number = s_.store->FindLog(log->origin());
    if (!number.ok() || !*number) Throw(number.ok() ? Status::NotFound("privatePayload: no log number") : number.status());
    auto held = personal::ReadPayload(*s_.store, **number, index);
    if (!held.ok()) Throw(held.status());
    auto results = context.initResults(Hint(held->has_value() ? (*held)->payload.size() + 64 : 0));
    if (*held) {  // else both stay empty: redacted, or never received
      results.setSalt(DataOf((*held)->salt));
      results.setPayload(DataOf(AsBytes((*held)->payload)));
    }
    return kj::READY_NOW;
  }

  kj::Promise<void> reportEquivocation(ReportEquivocationContext context) override {
    CheckPeer();
    auto proof = context.getParams().getProof();
    EquivocationReport report{Str(proof.getOrigin()), Str(proof.getNoteA()), Str(proof.getNoteB()),
                              HashesOf(proof.getConsistency(), "proof.consistency")};
    return s_.federation->ReportEquivocation(caller_, std::move(report))
        .then([context](EquivocationVerdict&& verdict) mutable {
          auto results = context.initResults(Hint(verdict.reason.size()));
          results.setAccepted(verdict.accepted);
          results.setReason(verdict.reason);
        });
  }

  // --- queries across every log (node/queries.h, docs/audit.md): computed
  // on the queries' thread, the reply filled here.
  kj::Promise<void> caseTrail(CaseTrailContext context) override {
    const Store* store = &Queries();
    if (context.getParams().getCaseId().size() > kMaxOriginArgBytes) {
      Throw(Status::InvalidArgument("caseTrail: caseId is too long"));
    }
    std::string case_id = Str(context.getParams().getCaseId());
    return RunQuery([store, case_id] { return Own(ComputeCaseTrail(*store, case_id), "caseTrail"); })
        .then([context](kj::Own<CaseTrailAnswer>&& answer) mutable {
          FillCaseTrail(*answer, context.initResults(Hint(answer->proved.bytes)).initTrail());
        });
  }

  kj::Promise<void> auditReferrals(AuditReferralsContext context) override {
    const Store* store = &Queries();
    const FederationConfig* federation = s_.federation_config;
    int64_t at = context.getParams().getAt();
    return RunQuery([store, federation, at] {
             return Own(ComputeReferralAudit(*store, *federation, at), "auditReferrals");
           })
        .then([context](kj::Own<ReferralAuditAnswer>&& answer) mutable {
          FillReferralAudit(*answer, context.initResults(Hint(answer->proved.bytes)).initReport());
        });
  }

  // --- Listing checks (docs/listings-map.md).

  kj::Promise<void> listingCheck(ListingCheckContext context) override {
    auto params = context.getParams();
    if (params.getId().size() > kMaxOriginArgBytes) Throw(Status::InvalidArgument("listingCheck: id is too long"));
    listings::ListingAnswer answer;
    auto kind = listings::ParseSubjectKind(Str(params.getKind()));
    if (!kind.ok()) Throw(kind.status());
    answer.kind = *kind;
    // The answer names the subject in canonical form; an id that names nobody
    // is refused rather than answered "not listed".
    auto subject = listings::SubjectOfQuery(answer.kind, Str(params.getId()));
    if (!subject.ok()) Throw(subject.status());
    answer.id = subject->id;
    const bool one = params.getOrigin().size() > 0;
    auto logs = one ? std::vector<std::shared_ptr<LogView>>{FindLog(params.getOrigin(), "listingCheck")} : s_.logs->All();
    // Built off the event loop (~40 us a log at 1M subjects, most of it the
    // map proof), so that a credit platform's stream of checks neither
    // stalls appends and replication nor is limited to the loop's core.
    auto build = [answer = std::move(answer), logs = std::move(logs), key = subject->key, one]() mutable {
      for (const auto& log : logs) {
        auto part = log->ListingAnswer(key);
        if (part.ok()) {
          answer.logs.push_back(std::move(part).value());
        } else if (one || part.status().code() != Status::Code::kFailedPrecondition) {
          Throw(part.status().WithContext("listingCheck: " + log->origin()));
        }
      }
      return kj::heap<listings::ListingAnswer>(std::move(answer));
    };
    return RunOn(s_.listing_checks, std::move(build)).then([context](kj::Own<listings::ListingAnswer>&& built) mutable {
      built->Fill(context.initResults(Hint(built->BlobBytes())).initAnswer());
    });
  }

  // --- queries: the evidence bundle of a content digest, from
  // every log the node holds, made from committed state (ledger/query/bundle.h
  // leaves out entries past each log's latest checkpoint) on the queries'
  // thread: it scans each log's administration entries, which must not stall
  // appends and replication on the event loop.
  kj::Promise<void> evidenceBundle(EvidenceBundleContext context) override {
    auto params = context.getParams();
    std::string name = Str(params.getAlgorithm());
    auto algorithm = bundle::ParseDigestAlgorithm(name.empty() ? "sha256" : name);
    if (!algorithm) Throw(Status::InvalidArgument("algorithm: \"" + name + "\" is not sha256 or sm3"));
    auto digest = params.getDigest();
    auto views = s_.logs->All();
    if (views.empty()) Throw(Status::NotFound("evidenceBundle: this node holds no log"));
    auto build = [views = std::move(views), algorithm = *algorithm, digest = Bytes(digest.begin(), digest.end()),
                  origin = s_.origin] {
      std::vector<const StoredLog*> logs;
      for (const auto& view : views) logs.push_back(&view->stored());
      const int64_t now = logs.front()->store().clock().NowMillis();
      auto built = bundle::BuildEvidenceBundle(logs, algorithm, digest, origin, now);
      if (!built.ok()) Throw(built.status().WithContext("evidenceBundle"));
      if (built->size() + 4096 > kRpcMessageLimitBytes) {
        Throw(Status::InvalidArgument("evidenceBundle: the bundle (" + std::to_string(built->size()) +
                                      " bytes) is larger than an RPC message may be"));
      }
      return kj::heap<Bytes>(std::move(built).value());
    };
    return RunQuery(std::move(build)).then([context](kj::Own<Bytes>&& built) mutable {
      context.initResults(Hint(built->size())).setBundle(DataOf(*built));
    });
  }

  // --- operators (node/maintenance.h): the store verified, or backed up
  // and verified, on the maintenance thread, with progress to the caller.
  kj::Promise<void> verifyStore(VerifyStoreContext context) override {
    auto& maintenance = Maintained("verifyStore");
    auto report = Reporter(context.getParams().getProgress());
    context.releaseParams();
    return maintenance.Verify(kj::mv(report)).then([context](MaintenanceResult&& result) mutable {
      const auto& logs = result.backup.logs;
      FillVerified(context.initResults(Hint(4096 * (logs.size() + 1))).initLogs(static_cast<capnp::uint>(logs.size())),
                   logs);
    });
  }

  kj::Promise<void> backupStore(BackupStoreContext context) override {
    auto& maintenance = Maintained("backupStore");
    if (context.getParams().getName().size() > kMaxOriginArgBytes) {
      Throw(Status::InvalidArgument("backupStore: name is too long"));
    }
    std::string name = Str(context.getParams().getName());
    auto report = Reporter(context.getParams().getProgress());
    context.releaseParams();
    auto logger = s_.logger;
    logger->info("backupStore: {} asked for a backup named {}", KeyPrefix(caller_.key), name);
    return maintenance.Backup(name, kj::mv(report)).then([context, logger](MaintenanceResult&& result) mutable {
      const auto& logs = result.backup.logs;
      auto out = context.initResults(Hint(4096 * (logs.size() + 1)));
      out.setPath(result.path);
      out.setRecords(result.backup.copied.records);
      out.setEntries(result.backup.copied.entries);
      FillVerified(out.initLogs(static_cast<capnp::uint>(logs.size())), logs);
      logger->info("backupStore: {} records into {}; it verifies", result.backup.copied.records, result.path);
    });
  }

 private:
  Maintenance& Maintained(const char* call) const {
    if (s_.maintenance == nullptr) {
      kj::throwFatalException(KJ_EXCEPTION(UNIMPLEMENTED, std::string(call) + ": this server keeps no store"));
    }
    Status allowed = s_.access->CheckOperator(caller_, call);
    if (!allowed.ok()) Throw(allowed);
    return *s_.maintenance;
  }

  // Sends a job's progress to the caller's sink (none if it gave none).
  static Maintenance::ReportFn Reporter(rpc::ProgressSink::Client sink) {
    auto shared = std::make_shared<rpc::ProgressSink::Client>(kj::mv(sink));  // std::function copies
    return [shared](const JobProgress& p) -> kj::Promise<void> {
      auto request = shared->updateRequest(Hint(p.stage.size()));
      request.setStage(p.stage);
      request.setDone(p.done);
      request.setTotal(p.total);
      return request.send().ignoreResult();
    };
  }

  static void FillVerified(capnp::List<rpc::VerifiedLog>::Builder out, const std::vector<VerifyReport>& logs) {
    for (size_t i = 0; i < logs.size(); ++i) {
      auto log = out[static_cast<capnp::uint>(i)];
      log.setOrigin(logs[i].origin);
      log.setRole(i == 0 ? rpc::LogRole::OWN : rpc::LogRole::REPLICA);  // VerifyStoredLogs: the own log first
      log.setSize(logs[i].size);
      log.setRoot(DataOf(logs[i].root.span()));
      log.setCheckpoint(logs[i].checkpoint);
      log.setUncheckedReferences(logs[i].unchecked_references);
    }
  }

  const Store& Queries() const {
    if (s_.store == nullptr || s_.federation_config == nullptr) {
      Throw(Status::FailedPrecondition("this server has no store to query"));
    }
    return *s_.store;
  }

  // The answer, or the call's exception (on whichever thread computed it). A
  // kj::Own crosses to the event loop: GCC 12 sees a std::unique_ptr inside
  // kj's promise storage as maybe uninitialised.
  template <typename T>
  static kj::Own<T> Own(Result<std::unique_ptr<T>> result, const char* call) {
    if (!result.ok()) Throw(result.status().WithContext(call));
    return kj::heap<T>(std::move(**result));
  }

  // On `thread` when the node has one, else here.
  template <typename Job>
  static auto RunOn(Offload* thread, Job job) -> kj::Promise<std::invoke_result_t<Job&>> {
    if (thread != nullptr) return thread->Run(std::move(job));
    return job();
  }
  // On the queries' thread when the node has one, else here.
  template <typename Job>
  auto RunQuery(Job job) -> kj::Promise<std::invoke_result_t<Job&>> {
    return RunOn(s_.queries, std::move(job));
  }

  std::shared_ptr<LogView> FindLog(capnp::Text::Reader origin, const char* call) const {
    if (origin.size() > kMaxOriginArgBytes) Throw(Status::InvalidArgument(std::string(call) + ": origin is too long"));
    auto log = s_.logs->Find(Str(origin));
    if (!log) Throw(Status::NotFound(std::string(call) + ": this node holds no log \"" + Str(origin) + "\""));
    return log;
  }

  void CheckPeer() const {
    Status allowed = s_.access->CheckPeer(caller_);
    if (!allowed.ok()) Throw(allowed);
  }

  // Entries [start, start+count), cut short at the end of the log or once the
  // reply is kMaxEntriesReplyBytes long (always at least one entry if any).
  static std::vector<Bytes> ReadEntries(const LogView& log, uint64_t start, uint32_t count) {
    if (count > kMaxEntriesPerCall) {
      Throw(Status::InvalidArgument("count: " + std::to_string(count) + " is over the limit of " +
                                    std::to_string(kMaxEntriesPerCall) + " entries per call"));
    }
    uint64_t size = log.size();
    if (start > size) {
      Throw(Status::InvalidArgument("start: " + std::to_string(start) + " is past the log's size " + std::to_string(size)));
    }
    std::vector<Bytes> out;
    size_t bytes = 0;
    for (uint64_t i = start; i < size && out.size() < count && bytes < kMaxEntriesReplyBytes; ++i) {
      auto entry = log.Entry(i);
      if (!entry.ok()) Throw(entry.status());
      bytes += entry->size();
      out.push_back(std::move(entry).value());
    }
    return out;
  }

  static void FillLogs(capnp::List<rpc::LogInfo>::Builder out, const std::vector<std::shared_ptr<LogView>>& logs) {
    for (size_t i = 0; i < logs.size(); ++i) {
      auto info = out[static_cast<capnp::uint>(i)];
      const LogView& log = *logs[i];
      std::string note = log.checkpoint();
      info.setOrigin(log.origin());
      info.setRole(log.role() == LogRole::kOwn ? rpc::LogRole::OWN : rpc::LogRole::REPLICA);
      info.setSize(log.size());
      info.setCheckpoint(note);
      info.setCosignatures(CountCosignatures(note, log.origin()));
    }
  }

  static void FillPeers(capnp::List<rpc::PeerStatus>::Builder out, const std::vector<PeerState>& peers) {
    for (size_t i = 0; i < peers.size(); ++i) {
      auto p = out[static_cast<capnp::uint>(i)];
      p.setOrigin(peers[i].origin);
      p.setAddress(peers[i].address);
      p.setAgencyKind(peers[i].agency_kind);
      p.setConnected(peers[i].connected);
      p.setHeldSize(peers[i].held_size);
      p.setKnownSize(peers[i].known_size);
      p.setLastError(peers[i].last_error);
    }
  }

  NodeServices& s_;
  Caller caller_;
};
#pragma GCC diagnostic pop

// Witness calls are refused until the witness code plugs in.
class StaticFederation final : public FederationHooks {
 public:
  StaticFederation(const FederationConfig& federation, std::string_view own_origin) {
    for (const auto& p : federation.peers) {
      if (p.origin != own_origin) {
        PeerState peer;
        peer.origin = p.origin;
        peer.address = p.address.ToString();
        peer.agency_kind = p.agency_kind;
        peers_.push_back(std::move(peer));
      }
    }
  }

  kj::Promise<std::string> AddCheckpoint(const Caller&, uint64_t, std::vector<Hash>, std::string) override {
    return Unimplemented("addCheckpoint");
  }
  kj::Promise<void> AddCosignature(const Caller&, std::string, std::string) override {
    return Unimplemented("addCosignature");
  }
  kj::Promise<EquivocationVerdict> ReportEquivocation(const Caller&, EquivocationReport) override {
    return Unimplemented("reportEquivocation");
  }
  std::vector<PeerState> Peers() const override { return peers_; }
  std::vector<std::string> Alarms() const override { return {}; }

 private:
  static kj::Exception Unimplemented(const char* call) {
    return kj::Exception(kj::Exception::Type::UNIMPLEMENTED, __FILE__, __LINE__,
                         kj::str(call, ": this node does not witness yet (witnessing is not implemented)"));
  }
  std::vector<PeerState> peers_;
};

}  // namespace

std::unique_ptr<FederationHooks> NewStaticFederation(const FederationConfig& federation, std::string_view own_origin) {
  return std::make_unique<StaticFederation>(federation, own_origin);
}

rpc::Node::Client NewNodeServer(NodeServices& services, Caller caller) {
  return kj::heap<NodeServer>(services, std::move(caller));
}

}  // namespace custos::node
