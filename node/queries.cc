#include "node/queries.h"

#include <map>
#include <utility>
#include <vector>

#include "ledger/audit.h"

namespace custos::node {

namespace {

capnp::Data::Reader DataOf(ByteSpan b) { return {b.data(), b.size()}; }

// The checkpoints and proofs of an answer, gathered before the message is
// built so that its size is known.
struct Proved {
  std::map<std::string, std::string> notes;  // origin -> cosigned checkpoint
  std::vector<std::pair<const audit::CitedEntry*, std::vector<Hash>>> entries;
  size_t bytes = 0;

  Status AddLogs(audit::AnswerProofs& proofs, const std::vector<audit::LogBound>& logs) {
    for (const auto& log : logs) {
      CUSTOS_ASSIGN_OR_RETURN(std::string note, proofs.CosignedNote(log));
      bytes += note.size() + log.origin.size() + 32;
      notes.emplace(log.origin, std::move(note));
    }
    return Status::OK();
  }
  Status AddEntry(audit::AnswerProofs& proofs, const audit::CitedEntry& entry) {
    CUSTOS_ASSIGN_OR_RETURN(auto proof, proofs.InclusionProof(entry));
    bytes += entry.entry.size() + 40 * proof.size() + entry.origin.size() + 64;
    entries.emplace_back(&entry, std::move(proof));
    return Status::OK();
  }
};

void FillLogs(capnp::List<rpc::AnsweredLog>::Builder out, const std::vector<audit::LogBound>& logs,
              const Proved& proved) {
  for (capnp::uint i = 0; i < logs.size(); ++i) {
    out[i].setOrigin(logs[i].origin);
    out[i].setCheckpoint(proved.notes.at(logs[i].origin));
  }
}

void FillEntries(capnp::List<rpc::CitedEntry>::Builder out, const Proved& proved) {
  for (capnp::uint i = 0; i < proved.entries.size(); ++i) {
    const auto& [entry, proof] = proved.entries[i];
    auto e = out[i];
    e.setOrigin(entry->origin);
    e.setIndex(entry->index);
    e.setEntry(DataOf(entry->entry));
    auto hashes = e.initProof(static_cast<capnp::uint>(proof.size()));
    for (capnp::uint k = 0; k < proof.size(); ++k) hashes.set(k, DataOf(proof[k].span()));
  }
}

rpc::AuditFindingKind KindOf(audit::FindingKind kind) {
  switch (kind) {
    case audit::FindingKind::kReferralUnanswered: return rpc::AuditFindingKind::REFERRAL_UNANSWERED;
    case audit::FindingKind::kSuspectedCrimeNotReferred: return rpc::AuditFindingKind::SUSPECTED_CRIME_NOT_REFERRED;
    case audit::FindingKind::kEvidenceNotReceived: return rpc::AuditFindingKind::EVIDENCE_NOT_RECEIVED;
    case audit::FindingKind::kListingLapsedNotDelisted: return rpc::AuditFindingKind::LISTING_LAPSED_NOT_DELISTED;
  }
  return rpc::AuditFindingKind::REFERRAL_UNANSWERED;
}

// Every entry the findings cite, once, and each finding's positions in that list.
struct CitedSet {
  std::vector<const audit::CitedEntry*> entries;
  std::vector<std::vector<uint32_t>> positions;  // per finding

  explicit CitedSet(const std::vector<audit::Finding>& findings) {
    std::map<std::pair<std::string, uint64_t>, uint32_t> at;
    for (const auto& f : findings) {
      auto& pos = positions.emplace_back();
      for (const auto& e : f.entries) {
        auto [it, added] = at.emplace(std::make_pair(e.origin, e.index), static_cast<uint32_t>(entries.size()));
        if (added) entries.push_back(&e);
        pos.push_back(it->second);
      }
    }
  }
};

void FillFindings(capnp::List<rpc::AuditFinding>::Builder out, const std::vector<audit::Finding>& findings,
                  const CitedSet& cited) {
  for (capnp::uint i = 0; i < findings.size(); ++i) {
    const audit::Finding& f = findings[i];
    auto b = out[i];
    b.setKind(KindOf(f.kind));
    b.setOrigin(f.origin);
    b.setCaseId(f.case_id);
    b.setSubject(f.subject);
    b.setDeadline(f.deadline);
    b.setDetail(f.detail);
    auto pos = b.initEntries(static_cast<capnp::uint>(cited.positions[i].size()));
    for (capnp::uint k = 0; k < cited.positions[i].size(); ++k) pos.set(k, cited.positions[i][k]);
  }
}

}  // namespace

std::set<std::string> OriginsOfKind(const FederationConfig& federation, std::string_view kind) {
  std::set<std::string> out;
  for (const auto& p : federation.peers) {
    if (p.agency_kind == kind) out.insert(p.origin);
  }
  return out;
}

Status AnswerCaseTrail(const Store& store, std::string_view case_id,
                       const std::function<rpc::CaseTrail::Builder(size_t)>& init) {
  CUSTOS_ASSIGN_OR_RETURN(auto snapshot, audit::StoreSnapshot::Take(store));
  CUSTOS_ASSIGN_OR_RETURN(audit::CaseTrail trail, audit::BuildCaseTrail(*snapshot, case_id));
  audit::AnswerProofs proofs(*snapshot);
  Proved proved;
  CUSTOS_RETURN_IF_ERROR(proved.AddLogs(proofs, trail.logs));
  for (const auto& e : trail.entries) CUSTOS_RETURN_IF_ERROR(proved.AddEntry(proofs, e));
  auto out = init(proved.bytes + case_id.size());
  out.setCaseId(trail.case_id);
  FillLogs(out.initLogs(static_cast<capnp::uint>(trail.logs.size())), trail.logs, proved);
  FillEntries(out.initEntries(static_cast<capnp::uint>(proved.entries.size())), proved);
  return Status::OK();
}

Status AnswerReferralAudit(const Store& store, const FederationConfig& federation, int64_t at,
                           const std::function<rpc::ReferralAudit::Builder(size_t)>& init) {
  if (at < 0) return Status::InvalidArgument("at: must be 0 (now) or a time in ms since the epoch");
  audit::AuditOptions options;
  options.at = at == 0 ? store.clock().NowMillis() : at;
  options.bureaus = OriginsOfKind(federation, "ip-bureau");
  options.public_security = OriginsOfKind(federation, "public-security-bureau");
  CUSTOS_ASSIGN_OR_RETURN(auto snapshot, audit::StoreSnapshot::Take(store));
  CUSTOS_ASSIGN_OR_RETURN(audit::AuditReport report, audit::AuditReferrals(*snapshot, options));
  audit::AnswerProofs proofs(*snapshot);
  Proved proved;
  CUSTOS_RETURN_IF_ERROR(proved.AddLogs(proofs, report.audited));
  CUSTOS_RETURN_IF_ERROR(proved.AddLogs(proofs, report.consulted));
  CitedSet cited(report.findings);
  for (const auto* e : cited.entries) CUSTOS_RETURN_IF_ERROR(proved.AddEntry(proofs, *e));
  size_t bytes = proved.bytes;
  for (const auto& f : report.findings) bytes += f.detail.size() + f.case_id.size() + f.subject.size() + 128;
  auto out = init(bytes);
  out.setAt(report.at);
  FillLogs(out.initAudited(static_cast<capnp::uint>(report.audited.size())), report.audited, proved);
  FillLogs(out.initConsulted(static_cast<capnp::uint>(report.consulted.size())), report.consulted, proved);
  auto not_held = out.initNotHeld(static_cast<capnp::uint>(report.not_held.size()));
  for (capnp::uint i = 0; i < report.not_held.size(); ++i) not_held.set(i, report.not_held[i]);
  out.setEntriesScanned(report.entries_scanned);
  FillEntries(out.initEntries(static_cast<capnp::uint>(proved.entries.size())), proved);
  FillFindings(out.initFindings(static_cast<capnp::uint>(report.findings.size())), report.findings, cited);
  return Status::OK();
}

}  // namespace custos::node
