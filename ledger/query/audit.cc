#include "ledger/query/audit.h"

#include <leveldb/db.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <tuple>

#include "crypto/note.h"
#include "crypto/text.h"
#include "ledger/rules/indexes.h"
#include "ledger/rules/rules.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"
#include "schema/text.h"

namespace custos::audit {

namespace {

using Which = schema::Statement::Body::Which;

std::string_view ViewOf(const leveldb::Slice& s) { return {s.data(), s.size()}; }

constexpr size_t kMaxCaseIdBytes = 256;  // far above any valid case id (ledger/admission/validate.h)
constexpr uint64_t kProgressEvery = 4096;

// Parses the head's checkpoint note into a bound. A head without a note (a
// replica before its first note) bounds the log at size 0.
Result<LogBound> BoundOf(std::string origin, layout::LogNumber number, std::string_view head_bytes) {
  auto head = layout::LogHead::Decode(head_bytes);
  if (!head) return Status::Corruption("log head of \"" + origin + "\": malformed");
  LogBound bound{std::move(origin), number, 0, merkle::EmptyRoot(), head->checkpoint};
  if (bound.note.empty()) return bound;
  CUSTOS_ASSIGN_OR_RETURN(Note note, Note::Parse(bound.note));
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::Parse(note.text));
  if (cp.origin != bound.origin || cp.size > head->size) {
    return Status::Corruption("log head of \"" + bound.origin + "\": its checkpoint is not for this log");
  }
  bound.size = cp.size;
  bound.root = cp.root;
  return bound;
}

}  // namespace

bool CitedEntry::operator<(const CitedEntry& o) const {
  return std::tie(log_time, origin, index) < std::tie(o.log_time, o.origin, o.index);
}

// ------------------------------------------------------------ snapshot

Result<std::unique_ptr<StoreSnapshot>> StoreSnapshot::Take(const Store& store) {
  std::unique_ptr<StoreSnapshot> snap(new StoreSnapshot(store, store.db().GetSnapshot()));
  CUSTOS_RETURN_IF_ERROR(snap->ReadBounds());
  return snap;
}

StoreSnapshot::~StoreSnapshot() { store_.db().ReleaseSnapshot(snapshot_); }

Status StoreSnapshot::ReadBounds() {
  leveldb::ReadOptions ro = CheckedReads();
  ro.snapshot = snapshot_;
  std::unique_ptr<leveldb::Iterator> it(store_.db().NewIterator(ro));
  const std::string prefix(1, layout::kOriginPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string origin(ViewOf(it->key()).substr(1));
    if (it->value().size() != 4) return Status::Corruption("log directory: malformed record for \"" + origin + "\"");
    auto number = GetBigEndian32(reinterpret_cast<const uint8_t*>(it->value().data()));
    CUSTOS_ASSIGN_OR_RETURN(auto head, Get(layout::HeadKey(number)));
    if (!head) continue;  // a replica allocated but never written: it holds nothing
    CUSTOS_ASSIGN_OR_RETURN(LogBound bound, BoundOf(origin, number, *head));
    logs_.push_back(std::move(bound));
  }
  return FromLevelDb(it->status(), "reading the log directory");
}

const LogBound* StoreSnapshot::Find(std::string_view origin) const {
  for (const auto& l : logs_) {
    if (l.origin == origin) return &l;
  }
  return nullptr;
}

const LogBound* StoreSnapshot::FindNumber(layout::LogNumber log) const {
  for (const auto& l : logs_) {
    if (l.log == log) return &l;
  }
  return nullptr;
}

Result<std::optional<std::string>> StoreSnapshot::Get(std::string_view key) const {
  // Entries are not in the snapshot's database; below the snapshot's heads
  // they never change.
  if (&store_.DbFor(key) != &store_.db()) return store_.Get(key);
  leveldb::ReadOptions ro = CheckedReads();
  ro.snapshot = snapshot_;
  std::string value;
  leveldb::Status s = store_.db().Get(ro, leveldb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  CUSTOS_RETURN_IF_ERROR(FromLevelDb(s, "reading the database"));
  return std::optional<std::string>(std::move(value));
}

namespace {
Result<CitedEntry> ParseCited(const LogBound& log, uint64_t index, std::string_view bytes) {
  CitedEntry c;
  c.origin = log.origin;
  c.index = index;
  c.entry.assign(bytes.begin(), bytes.end());
  c.leaf = merkle::LeafHash(c.entry);
  const std::string what = "entry " + std::to_string(index) + " of " + log.origin;
  auto entry = schema::ReadCanonical<schema::LogEntry>(c.entry, schema::kMaxEntryBytes, what.c_str());
  if (!entry.ok()) return Status::Corruption(entry.status().message());
  auto statement = schema::ReadCanonical<schema::Statement>(Span(entry->get().getSubmission().getStatement()),
                                                            schema::kMaxStatementBytes, what.c_str());
  if (!statement.ok()) return Status::Corruption(statement.status().message());
  c.log_time = entry->get().getLogTime();
  c.kind = statement->get().getBody().which();
  return c;
}
}  // namespace

Result<CitedEntry> StoreSnapshot::Cite(const LogBound& log, uint64_t index) const {
  if (index >= log.size) {
    return Status::InvalidArgument("entry " + std::to_string(index) + " of " + log.origin +
                                   " is past the checkpoint's size " + std::to_string(log.size));
  }
  CUSTOS_ASSIGN_OR_RETURN(auto bytes, Get(layout::EntryKey(log.log, index)));
  if (!bytes) return Status::Corruption("entry " + std::to_string(index) + " of " + log.origin + ": missing from storage");
  return ParseCited(log, index, *bytes);
}

Status StoreSnapshot::ForEachEntry(const LogBound& log, const std::function<Status(const CitedEntry&)>& fn) const {
  // No snapshot: entries below log.size never change. A full scan must not
  // evict the proof-serving working set.
  leveldb::ReadOptions ro = CheckedReads(/*fill_cache=*/false);
  std::unique_ptr<leveldb::Iterator> it(store_.entries_db().NewIterator(ro));
  uint64_t index = 0;
  for (it->Seek(layout::EntryKey(log.log, 0)); index < log.size; it->Next(), ++index) {
    if (!it->Valid() || ViewOf(it->key()) != layout::EntryKey(log.log, index)) {
      CUSTOS_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading entries"));
      return Status::Corruption("entry " + std::to_string(index) + " of " + log.origin + ": missing from storage");
    }
    CUSTOS_ASSIGN_OR_RETURN(CitedEntry c, ParseCited(log, index, ViewOf(it->value())));
    CUSTOS_RETURN_IF_ERROR(fn(c));
  }
  return Status::OK();
}

Result<std::optional<uint64_t>> StoreSnapshot::UsedBy(const LogBound& by_log, std::string_view target_origin,
                                                      uint64_t target_index) const {
  CUSTOS_ASSIGN_OR_RETURN(auto value, Get(layout::UsedKey(by_log.log, target_origin, target_index)));
  if (!value) return std::optional<uint64_t>();
  auto by = rules::DecodeUse(*value);
  if (!by) return Status::Corruption("use record of " + by_log.origin + ": malformed");
  if (*by >= by_log.size) return std::optional<uint64_t>();  // not covered by the checkpoint yet
  return by;
}

// ------------------------------------------------------------ case trail

namespace {
// The evidence id an evidenceRegistered entry registers.
Result<std::string> RegisteredId(const CitedEntry& c) {
  CUSTOS_ASSIGN_OR_RETURN(auto entry, schema::ReadCanonical<schema::LogEntry>(c.entry, schema::kMaxEntryBytes, "entry"));
  CUSTOS_ASSIGN_OR_RETURN(auto st, schema::ReadCanonical<schema::Statement>(
                                       Span(entry.get().getSubmission().getStatement()), schema::kMaxStatementBytes,
                                       "statement"));
  return Str(st.get().getBody().getEvidenceRegistered().getEvidenceId());
}

// Custody entries name an evidence id, not a case: the trail adds every entry
// about each piece of evidence registered for the case (transfers, receipts
// in other logs, examinations, disposal), once each.
Status AddCustodyEntries(const StoreSnapshot& snapshot, CaseTrail& trail) {
  std::set<std::pair<std::string, uint64_t>> seen;
  std::set<std::string> ids;
  for (const auto& c : trail.entries) {
    seen.emplace(c.origin, c.index);
    if (c.kind != Which::EVIDENCE_REGISTERED) continue;
    CUSTOS_ASSIGN_OR_RETURN(std::string id, RegisteredId(c));
    ids.insert(std::move(id));
  }
  for (const auto& id : ids) {
    CUSTOS_ASSIGN_OR_RETURN(auto hits, rules::EntriesByEvidence(snapshot.store(), id));
    for (const auto& hit : hits) {
      const LogBound* log = snapshot.FindNumber(hit.entry.log);
      if (log == nullptr || hit.entry.index >= log->size || !seen.emplace(log->origin, hit.entry.index).second) continue;
      CUSTOS_ASSIGN_OR_RETURN(CitedEntry c, snapshot.Cite(*log, hit.entry.index));
      trail.entries.push_back(std::move(c));
    }
  }
  return Status::OK();
}
}  // namespace

Result<CaseTrail> BuildCaseTrail(const StoreSnapshot& snapshot, std::string_view case_id) {
  if (case_id.empty()) return Status::InvalidArgument("caseId: empty");
  if (case_id.size() > kMaxCaseIdBytes || case_id.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("caseId: not a case id (too long, or a NUL byte)");
  }
  CaseTrail trail{std::string(case_id), {}, snapshot.logs()};
  Status scan = snapshot.store().ScanPrefix(layout::CaseIndexPrefix(case_id), [&](std::string_view key, std::string_view) {
    layout::IndexedEntry at = layout::IndexedEntryAtEnd(key);
    const LogBound* log = snapshot.FindNumber(at.log);
    if (log == nullptr || at.index >= log->size) return Status::OK();  // past the snapshot's checkpoint
    CUSTOS_ASSIGN_OR_RETURN(CitedEntry c, snapshot.Cite(*log, at.index));
    trail.entries.push_back(std::move(c));
    return Status::OK();
  });
  CUSTOS_RETURN_IF_ERROR(scan);
  CUSTOS_RETURN_IF_ERROR(AddCustodyEntries(snapshot, trail));
  std::sort(trail.entries.begin(), trail.entries.end());
  return trail;
}

// ------------------------------------------------------------ referral audit

const char* FindingName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kReferralUnanswered: return "referral-unanswered";
    case FindingKind::kSuspectedCrimeNotReferred: return "suspected-crime-not-referred";
    case FindingKind::kEvidenceNotReceived: return "evidence-not-received";
    case FindingKind::kListingLapsedNotDelisted: return "listing-lapsed-not-delisted";
  }
  return "unknown";
}

namespace {

struct Referral {
  CitedEntry entry;
  std::string case_id, to_origin;
  bool crime = false;
  int64_t answer_by = 0;
  std::vector<std::string> evidence_ids;
};

// What one scan of a bureau's log gathers.
struct BureauLog {
  std::vector<Referral> referrals;
  std::map<std::string, std::vector<CitedEntry>> ended;  // case id -> its decisions and closings
  std::map<std::pair<std::string, std::string>, std::vector<CitedEntry>> transfers;  // (evidence, to origin)
  std::vector<std::pair<CitedEntry, int64_t>> listings;  // with publicationEnds
  std::set<uint64_t> delisted;                           // listing indexes
  std::map<uint64_t, std::string> listing_case;          // listing index -> caseRef
};

Status Gather(const CitedEntry& c, BureauLog& out) {
  auto entry = schema::ReadCanonical<schema::LogEntry>(c.entry, schema::kMaxEntryBytes, "entry");
  CUSTOS_RETURN_IF_ERROR(entry.status());
  auto st = schema::ReadCanonical<schema::Statement>(Span(entry->get().getSubmission().getStatement()),
                                                     schema::kMaxStatementBytes, "statement");
  CUSTOS_RETURN_IF_ERROR(st.status());
  auto body = st->get().getBody();
  switch (body.which()) {
    case Which::CASE_REFERRED: {
      auto r = body.getCaseReferred();
      Referral ref{c, Str(r.getCaseId()), Str(r.getToOrigin()), r.getCrimeSuspected(), r.getAnswerBy(), {}};
      for (auto id : r.getEvidenceIds()) ref.evidence_ids.push_back(Str(id));
      out.referrals.push_back(std::move(ref));
      break;
    }
    case Which::CASE_DECIDED: out.ended[Str(body.getCaseDecided().getCaseId())].push_back(c); break;
    case Which::CASE_CLOSED: out.ended[Str(body.getCaseClosed().getCaseId())].push_back(c); break;
    case Which::CUSTODY_TRANSFERRED: {
      auto t = body.getCustodyTransferred();
      if (t.getToOrigin().size() != 0) out.transfers[{Str(t.getEvidenceId()), Str(t.getToOrigin())}].push_back(c);
      break;
    }
    case Which::SUBJECT_LISTED:
      out.listings.emplace_back(c, body.getSubjectListed().getPublicationEnds());
      out.listing_case[c.index] = Str(body.getSubjectListed().getCaseRef());
      break;
    case Which::SUBJECT_DELISTED: out.delisted.insert(body.getSubjectDelisted().getListing().getIndex()); break;
    default: break;
  }
  return Status::OK();
}

// Runs the four checks over one gathered bureau log.
class BureauAudit {
 public:
  BureauAudit(const StoreSnapshot& snap, const AuditOptions& options, const LogBound& log, const BureauLog& gathered,
              std::vector<Finding>& out)
      : snap_(snap), options_(options), log_(log), g_(gathered), out_(out) {}

  Status Run() {
    for (const auto& r : g_.referrals) CUSTOS_RETURN_IF_ERROR(CheckAnswer(r));
    CheckSuspectedCrimes();
    for (const auto& r : g_.referrals) CUSTOS_RETURN_IF_ERROR(CheckEvidence(r));
    CheckListings();
    return Status::OK();
  }

 private:
  Finding Make(FindingKind kind, std::string case_id, std::string subject, int64_t deadline, std::string detail) const {
    return Finding{kind, log_.origin, std::move(case_id), std::move(subject), deadline, std::move(detail), {}};
  }

  Status CheckAnswer(const Referral& r) {
    if (r.answer_by == 0 || r.answer_by >= options_.at) return Status::OK();
    const LogBound* to = snap_.Find(r.to_origin);
    std::string why;
    if (to == nullptr) {
      why = "this node holds no log of " + r.to_origin + ", so no answer can be seen";
    } else {
      CUSTOS_ASSIGN_OR_RETURN(auto answer, snap_.UsedBy(*to, log_.origin, r.entry.index));
      if (answer) return Status::OK();
      why = "no referralAnswered for it in " + r.to_origin + " up to its checkpoint of size " + std::to_string(to->size);
    }
    Finding f = Make(FindingKind::kReferralUnanswered, r.case_id, r.to_origin, r.answer_by,
                     "referral of case " + r.case_id + " to " + r.to_origin + " (entry " +
                         std::to_string(r.entry.index) + ") was due an answer by " + FormatUtc(r.answer_by) + ": " + why);
    f.entries.push_back(r.entry);
    out_.push_back(std::move(f));
    return Status::OK();
  }

  void CheckSuspectedCrimes() {
    std::map<std::string, std::vector<const Referral*>> by_case;
    for (const auto& r : g_.referrals) by_case[r.case_id].push_back(&r);
    for (const auto& [case_id, refs] : by_case) {
      auto ended = g_.ended.find(case_id);
      if (ended == g_.ended.end()) continue;
      const CitedEntry& first_end = ended->second.front();
      bool flagged = false, referred = false;
      for (const Referral* r : refs) {
        flagged |= r->crime;
        referred |= options_.public_security.count(r->to_origin) && r->entry.index < first_end.index;
      }
      if (!flagged || referred) continue;
      Finding f = Make(FindingKind::kSuspectedCrimeNotReferred, case_id, "", 0,
                       "case " + case_id + " was flagged as a suspected crime and " +
                           (first_end.kind == Which::CASE_DECIDED ? "decided" : "closed") + " (entry " +
                           std::to_string(first_end.index) + ") with no earlier referral to public security");
      for (const Referral* r : refs) {
        if (r->crime) f.entries.push_back(r->entry);
      }
      for (const auto& e : ended->second) f.entries.push_back(e);
      SortByIndex(f.entries);
      out_.push_back(std::move(f));
    }
  }

  Status CheckEvidence(const Referral& r) {
    const LogBound* to = snap_.Find(r.to_origin);
    for (const auto& id : r.evidence_ids) {
      auto sent = g_.transfers.find({id, r.to_origin});
      std::string why;
      Finding f = Make(FindingKind::kEvidenceNotReceived, r.case_id, id, 0, "");
      f.entries.push_back(r.entry);
      if (sent == g_.transfers.end()) {
        why = "it was never transferred to " + r.to_origin;
      } else if (to == nullptr) {
        why = "this node holds no log of " + r.to_origin + ", so no receipt can be seen";
      } else {
        bool received = false;
        for (const auto& t : sent->second) {
          CUSTOS_ASSIGN_OR_RETURN(auto receipt, snap_.UsedBy(*to, log_.origin, t.index));
          received |= receipt.has_value();
          f.entries.push_back(t);
        }
        if (received) continue;
        why = "no custodyReceived of its transfer in " + r.to_origin + " up to its checkpoint of size " +
              std::to_string(to->size);
      }
      f.detail = "evidence " + id + " sent with the referral of case " + r.case_id + " (entry " +
                 std::to_string(r.entry.index) + ") never arrived: " + why;
      SortByIndex(f.entries);
      out_.push_back(std::move(f));
    }
    return Status::OK();
  }

  void CheckListings() {
    for (const auto& [entry, ends] : g_.listings) {
      if (ends > options_.at || g_.delisted.count(entry.index)) continue;
      const std::string& case_ref = g_.listing_case.at(entry.index);
      Finding f = Make(FindingKind::kListingLapsedNotDelisted, case_ref, "", ends,
                       "listing (entry " + std::to_string(entry.index) + ", case " + case_ref +
                           ") passed its publication end " + FormatUtc(ends) + " and was never delisted");
      f.entries.push_back(entry);
      out_.push_back(std::move(f));
    }
  }

  static void SortByIndex(std::vector<CitedEntry>& entries) {
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  }

  const StoreSnapshot& snap_;
  const AuditOptions& options_;
  const LogBound& log_;
  const BureauLog& g_;
  std::vector<Finding>& out_;
};

}  // namespace

Result<AuditReport> AuditReferrals(const StoreSnapshot& snapshot, const AuditOptions& options) {
  if (options.at <= 0) return Status::InvalidArgument("at: must be a time (ms since the epoch), got " + std::to_string(options.at));
  AuditReport report;
  report.at = options.at;
  uint64_t total = 0;
  for (const auto& log : snapshot.logs()) {
    bool bureau = options.bureaus.count(log.origin) > 0;
    (bureau ? report.audited : report.consulted).push_back(log);
    if (bureau) total += log.size;
  }
  for (const auto& b : options.bureaus) {
    if (snapshot.Find(b) == nullptr) report.not_held.push_back(b);
  }
  auto tick = [&] {
    ++report.entries_scanned;
    if (options.progress && report.entries_scanned % kProgressEvery == 0) options.progress(report.entries_scanned, total);
  };
  for (const auto& log : report.audited) {
    BureauLog gathered;
    CUSTOS_RETURN_IF_ERROR(snapshot.ForEachEntry(log, [&](const CitedEntry& c) {
      tick();
      return Gather(c, gathered);
    }));
    size_t first = report.findings.size();
    CUSTOS_RETURN_IF_ERROR(BureauAudit(snapshot, options, log, gathered, report.findings).Run());
    std::stable_sort(report.findings.begin() + static_cast<std::ptrdiff_t>(first), report.findings.end(),
                     [](const Finding& a, const Finding& b) {
                       return std::tie(a.kind, a.entries.front().index) < std::tie(b.kind, b.entries.front().index);
                     });
  }
  if (options.progress) options.progress(report.entries_scanned, total);
  return report;
}

// ------------------------------------------------------------ proofs

AnswerProofs::~AnswerProofs() = default;

StoredLog& AnswerProofs::Stored(const LogBound& log) {
  auto& stored = logs_[log.log];
  // Only the records of one log number are read (checkpoints, cosignatures,
  // tiles), never the head: no Load is needed, and nothing is written (the
  // const_cast is for StoredLog's constructor, which also serves writers).
  if (!stored) stored = std::make_unique<StoredLog>(const_cast<Store&>(snapshot_.store()), log.log);
  return *stored;
}

Result<std::string> AnswerProofs::CosignedNote(const LogBound& log) {
  if (log.note.empty()) return std::string();
  return Stored(log).CosignedCheckpointAt(log.size);
}

Result<std::vector<Hash>> AnswerProofs::InclusionProof(const CitedEntry& entry) {
  const LogBound* log = snapshot_.Find(entry.origin);
  if (log == nullptr || entry.index >= log->size) {
    return Status::InvalidArgument("entry " + std::to_string(entry.index) + " of " + entry.origin + " is not covered by the answer's checkpoint");
  }
  return merkle::InclusionProof(Stored(*log).tiles(), entry.index, log->size);
}

// ------------------------------------------------------------ checking answers

}  // namespace custos::audit
