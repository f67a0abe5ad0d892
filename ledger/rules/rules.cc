#include "ledger/rules/rules.h"

#include <algorithm>
#include <map>

#include "crypto/binary.h"
#include "ledger/listings/listings_map.h"
#include "ledger/tlog/merkle.h"
#include "schema/text.h"

namespace custos::rules {

namespace {

using Which = schema::Statement::Body::Which;

constexpr uint8_t kRecordVersion = 1;

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }
std::string Entry(uint64_t index) { return "entry " + std::to_string(index); }

template <typename E>
bool InRange(E v, E first, E last) {
  return v >= first && v <= last;
}

}  // namespace

std::string EvidenceRecord::Encode() const {
  return EncodeFields(kRecordVersion, status, since, last_transfer, disposed_at, holder, to_origin);
}

std::optional<EvidenceRecord> EvidenceRecord::Decode(std::string_view bytes) {
  EvidenceRecord e;
  uint8_t version = 0;
  if (!DecodeFields(bytes, version, e.status, e.since, e.last_transfer, e.disposed_at, e.holder, e.to_origin) ||
      version != kRecordVersion || !InRange(e.status, EvidenceStatus::kHeld, EvidenceStatus::kDisposed)) {
    return std::nullopt;
  }
  return e;
}

std::string CaseRecord::Encode() const { return EncodeFields(kRecordVersion, opened_at, decided_at, closed_at); }

std::optional<CaseRecord> CaseRecord::Decode(std::string_view bytes) {
  CaseRecord c;
  uint8_t version = 0;
  if (!DecodeFields(bytes, version, c.opened_at, c.decided_at, c.closed_at) || version != kRecordVersion) {
    return std::nullopt;
  }
  return c;
}

// The subject key is a length-prefixed field: empty when there is none.
std::string TargetRecord::Encode() const {
  const std::string_view key = subject_key ? AsString(subject_key->span()) : std::string_view();
  return EncodeFields(kRecordVersion, kind, id, to_origin, to_holder, answer_by, publication_ends, subject_kind, key);
}

std::optional<TargetRecord> TargetRecord::Decode(std::string_view bytes) {
  TargetRecord t;
  uint8_t version = 0;
  std::string_view key;
  if (!DecodeFields(bytes, version, t.kind, t.id, t.to_origin, t.to_holder, t.answer_by, t.publication_ends,
                    t.subject_kind, key) ||
      version != kRecordVersion || !InRange(t.kind, TargetKind::kTransfer, TargetKind::kListing)) {
    return std::nullopt;
  }
  if (!key.empty()) {
    t.subject_key = Hash::FromSpan(AsBytes(key));
    if (!t.subject_key) return std::nullopt;
  }
  return t;
}

std::string EncodeUse(uint64_t by) { return EncodeFields(by); }

std::optional<uint64_t> DecodeUse(std::string_view bytes) {
  uint64_t by = 0;
  if (!DecodeFields(bytes, by)) return std::nullopt;
  return by;
}

std::string EncodeKind(Which kind) { return std::string(1, static_cast<char>(kind)); }

const char* RuleFamily(Which kind) {
  switch (kind) {
    case Which::EVIDENCE_REGISTERED:
    case Which::CUSTODY_TRANSFERRED:
    case Which::CUSTODY_RECEIVED:
    case Which::EVIDENCE_EXAMINED:
    case Which::EVIDENCE_DISPOSED:
      return "custody";
    case Which::CASE_OPENED:
    case Which::CASE_REFERRED:
    case Which::REFERRAL_ANSWERED:
    case Which::CASE_DECIDED:
    case Which::CASE_CLOSED:
      return "case";
    case Which::SUBJECT_LISTED:
    case Which::SUBJECT_DELISTED:
      return "listing";
    default:
      return nullptr;
  }
}

bool IsStateKey(std::string_view key, layout::LogNumber log) {
  if (key.size() < 5) return false;
  const char p = key[0];
  if (p != layout::kCaseStatePrefix && p != layout::kTargetPrefix && p != layout::kUsedPrefix &&
      p != layout::kEvidenceStatePrefix) {
    return false;
  }
  return GetBigEndian32(reinterpret_cast<const uint8_t*>(key.data() + 1)) == log;
}

std::optional<layout::LogNumber> IndexKeyLog(std::string_view key) {
  if (key.size() < 1 + 12) return std::nullopt;
  return layout::IndexedEntryAtEnd(key).log;
}

// ------------------------------------------------------------ checking

namespace {

// The checks of one entry. Reads go through `source`; what the entry changes
// is gathered in `fx` and becomes visible to later entries only once the
// caller applies it (so a refused entry changes nothing).
class EntryRules {
 public:
  EntryRules(const RuleContext& ctx, RuleSource& source) : ctx_(ctx), src_(source) {}

  Result<RuleEffects> Check(schema::Statement::Reader s) {
    auto body = s.getBody();
    switch (body.which()) {
      case Which::EVIDENCE_REGISTERED: CUSTOS_RETURN_IF_ERROR(Registered(body.getEvidenceRegistered())); break;
      case Which::CUSTODY_TRANSFERRED: CUSTOS_RETURN_IF_ERROR(Transferred(body.getCustodyTransferred())); break;
      case Which::CUSTODY_RECEIVED: CUSTOS_RETURN_IF_ERROR(Received(body.getCustodyReceived())); break;
      case Which::EVIDENCE_EXAMINED: CUSTOS_RETURN_IF_ERROR(Examined(body.getEvidenceExamined())); break;
      case Which::EVIDENCE_DISPOSED: CUSTOS_RETURN_IF_ERROR(Disposed(body.getEvidenceDisposed())); break;
      case Which::CASE_OPENED: CUSTOS_RETURN_IF_ERROR(Opened(body.getCaseOpened())); break;
      case Which::CASE_REFERRED: CUSTOS_RETURN_IF_ERROR(Referred(body.getCaseReferred())); break;
      case Which::REFERRAL_ANSWERED: CUSTOS_RETURN_IF_ERROR(Answered(body.getReferralAnswered())); break;
      case Which::CASE_DECIDED: CUSTOS_RETURN_IF_ERROR(Decided(body.getCaseDecided())); break;
      case Which::CASE_CLOSED: CUSTOS_RETURN_IF_ERROR(Closed(body.getCaseClosed())); break;
      case Which::CLUE_SHARED: {
        std::string case_id = Str(body.getClueShared().getCaseId());
        if (!case_id.empty()) IndexCase(case_id);
        break;
      }
      case Which::SUBJECT_LISTED: CUSTOS_RETURN_IF_ERROR(Listed(body.getSubjectListed())); break;
      case Which::SUBJECT_DELISTED: CUSTOS_RETURN_IF_ERROR(Delisted(body.getSubjectDelisted())); break;
      default: break;  // log administration: authority.h
    }
    for (auto& [key, value] : index_) fx_.index.emplace_back(key, value);
    return std::move(fx_);
  }

 private:
  // A reference to an entry, resolved.
  struct Ref {
    enum Where { kOwn, kOther, kUnchecked } where = kOwn;
    std::string origin;
    layout::LogNumber log = 0;
    uint64_t index = 0;
    std::string name;  // "entry 4 of this log", "suzhou-ipb.example/custos entry 4"
  };

  // ---------------------------------------------------------- custody

  Status Registered(schema::EvidenceRegistered::Reader r) {
    const std::string id = Str(r.getEvidenceId());
    CUSTOS_ASSIGN_OR_RETURN(auto known, LoadEvidence(id));
    if (known) {
      return Status::FailedPrecondition("body.evidenceRegistered.evidenceId: evidence " + id +
                                        " is already known to this log (" + Entry(known->since) + ")");
    }
    EvidenceRecord e;
    e.since = ctx_.index;
    e.holder = Str(r.getHolder());
    PutEvidence(id, e);
    IndexEvidence(id, Which::EVIDENCE_REGISTERED);
    IndexCase(Str(r.getCaseId()), Which::EVIDENCE_REGISTERED);
    for (auto d : r.getDigests()) {
      auto value = d.getValue();
      index_.emplace(layout::DigestIndexKey(static_cast<uint8_t>(d.getAlgorithm()), ByteSpan(value.begin(), value.size()),
                                            ctx_.log, ctx_.index),
                     std::string());
    }
    return Status::OK();
  }

  Status Transferred(schema::CustodyTransferred::Reader t) {
    const std::string id = Str(t.getEvidenceId());
    CUSTOS_ASSIGN_OR_RETURN(EvidenceRecord e, HeldEvidence(id, "body.custodyTransferred.evidenceId"));
    const std::string from = Str(t.getFromHolder());
    if (e.holder != from) {
      return Status::FailedPrecondition("body.custodyTransferred.fromHolder: evidence " + id + " is held by " +
                                        Quoted(e.holder) + ", not " + Quoted(from));
    }
    std::string to_origin = Str(t.getToOrigin());
    if (to_origin == ctx_.origin) to_origin.clear();  // the same agency
    if (!to_origin.empty()) {
      CUSTOS_RETURN_IF_ERROR(KnownOrigin(to_origin, "body.custodyTransferred.toOrigin"));
      e.status = EvidenceStatus::kInTransit;
    }
    e.to_origin = to_origin;
    e.holder = Str(t.getToHolder());
    e.last_transfer = ctx_.index;
    PutEvidence(id, e);
    TargetRecord target;
    target.kind = TargetKind::kTransfer;
    target.id = id;
    target.to_origin = to_origin;
    target.to_holder = e.holder;
    PutTarget(target);
    IndexEvidence(id, Which::CUSTODY_TRANSFERRED);
    return Status::OK();
  }

  Status Received(schema::CustodyReceived::Reader c) {
    const char* field = "body.custodyReceived.transfer";
    const std::string id = Str(c.getEvidenceId());
    const std::string holder = Str(c.getHolder());
    auto ref = c.getTransfer();
    CUSTOS_ASSIGN_OR_RETURN(Ref target, Resolve(ref, field));
    IndexEvidence(id, Which::CUSTODY_RECEIVED);
    if (target.where == Ref::kOwn) return ReceivedFromOwn(c, target);
    if (target.where == Ref::kOther) {
      CUSTOS_ASSIGN_OR_RETURN(TargetRecord t, TargetOf(target, TargetKind::kTransfer, "a custody transfer", field));
      if (t.id != id) {
        return Status::InvalidArgument("body.custodyReceived.evidenceId: " + target.name + " transfers evidence " + t.id +
                                       ", not " + id);
      }
      if (t.to_origin != ctx_.origin) {
        return Status::FailedPrecondition(std::string(field) + ": " + target.name + " sends the evidence to " +
                                          (t.to_origin.empty() ? "its own agency" : t.to_origin) + ", not to this log");
      }
    }
    CUSTOS_RETURN_IF_ERROR(UseOnce(target, field, "received"));
    CUSTOS_ASSIGN_OR_RETURN(auto known, LoadEvidence(id));
    EvidenceRecord e;
    e.since = ctx_.index;
    if (known) {
      e = *known;
      if (e.status == EvidenceStatus::kDisposed) return DisposedOf(id, e, "body.custodyReceived.evidenceId");
      if (e.status == EvidenceStatus::kHeld) {
        return Status::FailedPrecondition("body.custodyReceived.evidenceId: evidence " + id +
                                          " is already held in this log, by " + Quoted(e.holder));
      }
    }
    e.status = EvidenceStatus::kHeld;  // arrived, or back from the agency it was sent to
    e.holder = holder;
    e.to_origin.clear();
    PutEvidence(id, e);
    return Status::OK();
  }

  // A receipt within the agency confirms the evidence's last transfer.
  Status ReceivedFromOwn(schema::CustodyReceived::Reader c, const Ref& target) {
    const char* field = "body.custodyReceived.transfer";
    const std::string id = Str(c.getEvidenceId());
    CUSTOS_ASSIGN_OR_RETURN(TargetRecord t, TargetOf(target, TargetKind::kTransfer, "a custody transfer", field));
    if (t.id != id) {
      return Status::InvalidArgument("body.custodyReceived.evidenceId: " + target.name + " transfers evidence " + t.id +
                                     ", not " + id);
    }
    if (!t.to_origin.empty()) {
      return Status::FailedPrecondition(std::string(field) + ": " + target.name + " sends the evidence to " + t.to_origin +
                                        "; it is received in that agency's log");
    }
    CUSTOS_ASSIGN_OR_RETURN(EvidenceRecord e, HeldEvidence(id, "body.custodyReceived.evidenceId"));
    if (e.last_transfer != target.index) {
      return Status::FailedPrecondition(std::string(field) + ": " + target.name + " is not the last transfer of evidence " +
                                        id + " (" + Entry(e.last_transfer) + " is)");
    }
    const std::string holder = Str(c.getHolder());
    if (holder != t.to_holder) {
      return Status::FailedPrecondition("body.custodyReceived.holder: " + target.name + " transfers evidence " + id +
                                        " to " + Quoted(t.to_holder) + ", not " + Quoted(holder));
    }
    return UseOnce(target, field, "received");
  }

  Status Examined(schema::EvidenceExamined::Reader x) {
    const std::string id = Str(x.getEvidenceId());
    CUSTOS_RETURN_IF_ERROR(HeldEvidence(id, "body.evidenceExamined.evidenceId").status());
    IndexEvidence(id, Which::EVIDENCE_EXAMINED);
    return Status::OK();
  }

  Status Disposed(schema::EvidenceDisposed::Reader d) {
    const std::string id = Str(d.getEvidenceId());
    CUSTOS_ASSIGN_OR_RETURN(EvidenceRecord e, HeldEvidence(id, "body.evidenceDisposed.evidenceId"));
    e.status = EvidenceStatus::kDisposed;
    e.disposed_at = ctx_.index;
    PutEvidence(id, e);
    IndexEvidence(id, Which::EVIDENCE_DISPOSED);
    return Status::OK();
  }

  // The evidence, which this log must hold now (not in transit, not disposed of).
  Result<EvidenceRecord> HeldEvidence(const std::string& id, const std::string& field) {
    CUSTOS_ASSIGN_OR_RETURN(auto known, LoadEvidence(id));
    if (!known) {
      return Status::FailedPrecondition(field + ": evidence " + id + " is not registered in this log");
    }
    if (known->status == EvidenceStatus::kDisposed) return DisposedOf(id, *known, field);
    if (known->status == EvidenceStatus::kInTransit) {
      return Status::FailedPrecondition(field + ": evidence " + id + " was sent to " + known->to_origin + " (" +
                                        Entry(known->last_transfer) + ") and has not come back");
    }
    return std::move(*known);
  }

  static Status DisposedOf(const std::string& id, const EvidenceRecord& e, const std::string& field) {
    return Status::FailedPrecondition(field + ": evidence " + id + " was released, returned or destroyed (" +
                                      Entry(e.disposed_at) + "); nothing more may happen to it");
  }

  // ---------------------------------------------------------- cases

  Status Opened(schema::CaseOpened::Reader o) {
    const std::string id = Str(o.getCaseId());
    CUSTOS_ASSIGN_OR_RETURN(auto known, LoadCase(id));
    if (known && known->closed_at != 0) {
      return Status::FailedPrecondition("body.caseOpened.caseId: case " + id + " was closed (" +
                                        Entry(known->closed_at) + "); a closed case is not reopened");
    }
    if (!known) PutCase(id, CaseRecord{ctx_.index, 0, 0});
    IndexCase(id, Which::CASE_OPENED);
    return Status::OK();
  }

  Status Decided(schema::CaseDecided::Reader d) {
    const std::string id = Str(d.getCaseId());
    CUSTOS_ASSIGN_OR_RETURN(CaseRecord c, OpenCase(id, "body.caseDecided.caseId"));
    c.decided_at = ctx_.index;
    PutCase(id, c);
    IndexCase(id, Which::CASE_DECIDED);
    return Status::OK();
  }

  Status Closed(schema::CaseClosed::Reader d) {
    const std::string id = Str(d.getCaseId());
    CUSTOS_ASSIGN_OR_RETURN(CaseRecord c, OpenCase(id, "body.caseClosed.caseId"));
    c.closed_at = ctx_.index;
    PutCase(id, c);
    IndexCase(id, Which::CASE_CLOSED);
    return Status::OK();
  }

  Result<CaseRecord> OpenCase(const std::string& id, const std::string& field) {
    CUSTOS_ASSIGN_OR_RETURN(auto known, LoadCase(id));
    if (!known) return Status::FailedPrecondition(field + ": case " + id + " was not opened in this log");
    if (known->closed_at != 0) {
      return Status::FailedPrecondition(field + ": case " + id + " is closed (" + Entry(known->closed_at) + ")");
    }
    return std::move(*known);
  }

  Status Referred(schema::CaseReferred::Reader r) {
    // A deadline already past when the referral is logged cannot be met: it
    // is a mistake (or a back-dated record), and the audit would flag it at once.
    if (r.getAnswerBy() != 0 && r.getAnswerBy() <= ctx_.log_time) {
      return Status::FailedPrecondition("body.caseReferred.answerBy: " + std::to_string(r.getAnswerBy()) +
                                        " is not after the entry's logTime " + std::to_string(ctx_.log_time) +
                                        ": the deadline would have passed already");
    }
    const std::string id = Str(r.getCaseId());
    TargetRecord target;
    target.kind = TargetKind::kReferral;
    target.id = id;
    target.to_origin = Str(r.getToOrigin());
    target.answer_by = r.getAnswerBy();
    if (target.to_origin != ctx_.origin) CUSTOS_RETURN_IF_ERROR(KnownOrigin(target.to_origin, "body.caseReferred.toOrigin"));
    PutTarget(target);
    IndexCase(id, Which::CASE_REFERRED);
    for (auto e : r.getEvidenceIds()) IndexEvidence(Str(e), Which::CASE_REFERRED);
    return Status::OK();
  }

  Status Answered(schema::ReferralAnswered::Reader a) {
    const char* field = "body.referralAnswered.referral";
    const std::string id = Str(a.getCaseId());
    CUSTOS_ASSIGN_OR_RETURN(Ref target, Resolve(a.getReferral(), field));
    if (target.where != Ref::kUnchecked) {
      CUSTOS_ASSIGN_OR_RETURN(TargetRecord t, TargetOf(target, TargetKind::kReferral, "a case referral", field));
      if (t.to_origin != ctx_.origin) {
        return Status::FailedPrecondition(std::string(field) + ": " + target.name + " refers the case to " + t.to_origin +
                                          "; only that agency may answer it, in its own log");
      }
      if (t.id != id) {
        return Status::InvalidArgument("body.referralAnswered.caseId: " + target.name + " refers case " + t.id +
                                       ", not " + id);
      }
    }
    CUSTOS_RETURN_IF_ERROR(UseOnce(target, field, "answered"));
    IndexCase(id, Which::REFERRAL_ANSWERED);
    return Status::OK();
  }

  // ---------------------------------------------------------- listings

  Status Listed(schema::SubjectListed::Reader l) {
    if (l.getPublicationEnds() <= ctx_.log_time) {
      return Status::FailedPrecondition("body.subjectListed.publicationEnds: " + std::to_string(l.getPublicationEnds()) +
                                        " is not after the entry's logTime " + std::to_string(ctx_.log_time) +
                                        ": the listing would have lapsed already");
    }
    TargetRecord target;
    target.kind = TargetKind::kListing;
    target.id = Str(l.getCaseRef());
    target.publication_ends = l.getPublicationEnds();
    target.subject_kind = static_cast<uint8_t>(l.getSubjectKind());
    if (l.getSubjectKind() == schema::PartyKind::UNIFIED_SOCIAL_CREDIT_CODE) {
      // A person's id is in the private payload, never in the log: such a
      // listing has no subject key here (docs/personal-data.md).
      auto key = listings::DeriveSubjectKey(listings::SubjectKind::kUnifiedSocialCreditCode, Str(l.getSubjectId()));
      target.subject_key = Hash{key.bytes};
      index_.emplace(layout::SubjectIndexKey(*target.subject_key, ctx_.log, ctx_.index), EncodeKind(Which::SUBJECT_LISTED));
    }
    PutTarget(target);
    IndexCase(target.id, Which::SUBJECT_LISTED);
    return Status::OK();
  }

  Status Delisted(schema::SubjectDelisted::Reader d) {
    const char* field = "body.subjectDelisted.listing";
    auto ref = d.getListing();
    if (Str(ref.getOrigin()) != ctx_.origin) {
      return Status::InvalidArgument(std::string(field) + ": names a listing of " + Str(ref.getOrigin()) +
                                     "; a delisting ends a listing of its own log");
    }
    CUSTOS_ASSIGN_OR_RETURN(Ref target, Resolve(ref, field));
    CUSTOS_ASSIGN_OR_RETURN(TargetRecord t, TargetOf(target, TargetKind::kListing, "a listing", field));
    CUSTOS_RETURN_IF_ERROR(UseOnce(target, field, "delisted"));
    if (ctx_.log_time >= t.publication_ends) {
      return Status::FailedPrecondition(std::string(field) + ": the listing at " + target.name +
                                        " already lapsed at its publication end " + std::to_string(t.publication_ends));
    }
    if (t.subject_key) {
      index_.emplace(layout::SubjectIndexKey(*t.subject_key, ctx_.log, ctx_.index), EncodeKind(Which::SUBJECT_DELISTED));
    }
    IndexCase(t.id, Which::SUBJECT_DELISTED);
    return Status::OK();
  }

  // ---------------------------------------------------------- references

  // Checks that the referenced entry exists with exactly the leaf hash
  // named: in this log, before this entry; in another log, held by the store.
  Result<Ref> Resolve(schema::LogRef::Reader r, const std::string& field) {
    Ref ref;
    ref.origin = Str(r.getOrigin());
    ref.index = r.getIndex();
    auto given = Hash::FromSpan(ByteSpan(r.getLeafHash().begin(), r.getLeafHash().size()));
    if (!given) return Status::InvalidArgument(field + ".leafHash: must be 32 bytes");
    if (ref.origin == ctx_.origin) {
      ref.log = ctx_.log;
      ref.name = Entry(ref.index) + " of this log";
      if (ref.index >= ctx_.index) {
        return Status::InvalidArgument(field + ": " + ref.name + " is not before this entry (" + Entry(ctx_.index) + ")");
      }
      CUSTOS_ASSIGN_OR_RETURN(auto leaf, LeafOf(ctx_.log, ref.index));
      if (!leaf) return Status::Corruption(field + ": " + ref.name + " is missing from storage");
      if (*leaf != *given) return Status::InvalidArgument(field + ": leafHash is not the leaf hash of " + ref.name);
      return ref;
    }
    ref.where = Ref::kOther;
    ref.name = ref.origin + " " + Entry(ref.index);
    CUSTOS_ASSIGN_OR_RETURN(auto number, src_.Get(layout::OriginKey(ref.origin)));
    std::optional<Hash> leaf;
    if (number) {
      if (number->size() != 4) return Status::Corruption("log directory: malformed record for " + Quoted(ref.origin));
      ref.log = GetBigEndian32(reinterpret_cast<const uint8_t*>(number->data()));
      CUSTOS_ASSIGN_OR_RETURN(leaf, LeafOf(ref.log, ref.index));
    }
    if (!leaf) {
      if (ctx_.require_held_references) {
        return Status::FailedPrecondition(field + ": references " + ref.name +
                                          ", which this node does not hold: sync that log first");
      }
      ref.where = Ref::kUnchecked;
      ++fx_.unchecked_references;
      return ref;
    }
    if (*leaf != *given) {
      return Status::InvalidArgument(field + ": references " + ref.name + ", but this node holds a different leaf hash (" +
                                     HexEncode(leaf->span()) + ") for that entry");
    }
    return ref;
  }

  Result<std::optional<Hash>> LeafOf(layout::LogNumber log, uint64_t index) {
    if (log == ctx_.log) {
      if (auto pending = src_.PendingLeaf(index)) return pending;
    }
    CUSTOS_ASSIGN_OR_RETURN(auto bytes, src_.Get(layout::EntryKey(log, index)));
    if (!bytes) return std::optional<Hash>();
    return std::optional<Hash>(merkle::LeafHash(AsBytes(*bytes)));
  }

  // The target record of a resolved reference, which must be of `kind`.
  Result<TargetRecord> TargetOf(const Ref& ref, TargetKind kind, const char* what, const std::string& field) {
    CUSTOS_ASSIGN_OR_RETURN(auto raw, src_.Get(layout::TargetKey(ref.log, ref.index)));
    std::optional<TargetRecord> t;
    if (raw) {
      t = TargetRecord::Decode(*raw);
      if (!t) return Status::Corruption("rule state: malformed record for " + ref.name);
    }
    if (!t || t->kind != kind) return Status::InvalidArgument(field + ": " + ref.name + " is not " + what);
    return std::move(*t);
  }

  // A reference may be used once (a transfer received, a referral answered,
  // a listing delisted): recorded under this log, keyed by the target.
  Status UseOnce(const Ref& ref, const std::string& field, const char* used) {
    const std::string key = layout::UsedKey(ctx_.log, ref.origin, ref.index);
    CUSTOS_ASSIGN_OR_RETURN(auto by, src_.Get(key));
    if (by) {
      auto at = DecodeUse(*by);
      if (!at) return Status::Corruption("rule state: malformed record for " + ref.name);
      return Status::FailedPrecondition(field + ": " + ref.name + " was already " + used + " (" + Entry(*at) + ")");
    }
    fx_.state.emplace_back(key, EncodeUse(ctx_.index));
    return Status::OK();
  }

  Status KnownOrigin(const std::string& origin, const std::string& field) const {
    if (ctx_.known_origins == nullptr || ctx_.known_origins->empty() || ctx_.known_origins->count(origin)) {
      return Status::OK();
    }
    return Status::FailedPrecondition(field + ": " + origin + " is not an agency of the federation");
  }

  // ---------------------------------------------------------- state

  Result<std::optional<EvidenceRecord>> LoadEvidence(const std::string& id) {
    CUSTOS_ASSIGN_OR_RETURN(auto raw, src_.Get(layout::EvidenceStateKey(ctx_.log, id)));
    if (!raw) return std::optional<EvidenceRecord>();
    auto e = EvidenceRecord::Decode(*raw);
    if (!e) return Status::Corruption("rule state: malformed record for evidence " + id);
    return e;
  }
  void PutEvidence(const std::string& id, const EvidenceRecord& e) {
    fx_.state.emplace_back(layout::EvidenceStateKey(ctx_.log, id), e.Encode());
  }

  Result<std::optional<CaseRecord>> LoadCase(const std::string& id) {
    CUSTOS_ASSIGN_OR_RETURN(auto raw, src_.Get(layout::CaseStateKey(ctx_.log, id)));
    if (!raw) return std::optional<CaseRecord>();
    auto c = CaseRecord::Decode(*raw);
    if (!c) return Status::Corruption("rule state: malformed record for case " + id);
    return c;
  }
  void PutCase(const std::string& id, const CaseRecord& c) {
    fx_.state.emplace_back(layout::CaseStateKey(ctx_.log, id), c.Encode());
  }

  void PutTarget(const TargetRecord& t) { fx_.state.emplace_back(layout::TargetKey(ctx_.log, ctx_.index), t.Encode()); }

  // Query indexes; a set, since an entry may name one id or digest twice.
  void IndexEvidence(const std::string& id, Which kind) {
    index_.emplace(layout::EvidenceIndexKey(id, ctx_.log, ctx_.index), EncodeKind(kind));
  }
  void IndexCase(const std::string& id, Which kind = Which::CLUE_SHARED) {
    index_.emplace(layout::CaseIndexKey(id, ctx_.log, ctx_.index), EncodeKind(kind));
  }

  const RuleContext& ctx_;
  RuleSource& src_;
  RuleEffects fx_;
  std::map<std::string, std::string> index_;
};

}  // namespace

Result<RuleEffects> CheckRules(schema::Statement::Reader statement, const RuleContext& ctx, RuleSource& source) {
  return EntryRules(ctx, source).Check(statement);
}

}  // namespace custos::rules
