#include "node/queries.h"

#include <map>
#include <utility>
#include <vector>

#include "schema/text.h"

namespace custos::node {

namespace {

Status AddLogs(ProvedAnswer& proved, audit::AnswerProofs& proofs, const std::vector<audit::LogBound>& logs) {
  for (const auto& log : logs) {
    CUSTOS_ASSIGN_OR_RETURN(std::string note, proofs.CosignedNote(log));
    proved.bytes += note.size() + log.origin.size() + 32;
    proved.notes.emplace(log.origin, std::move(note));
  }
  return Status::OK();
}

Status AddEntry(ProvedAnswer& proved, audit::AnswerProofs& proofs, const audit::CitedEntry& entry) {
  CUSTOS_ASSIGN_OR_RETURN(auto proof, proofs.InclusionProof(entry));
  proved.bytes += entry.entry.size() + 40 * proof.size() + entry.origin.size() + 64;
  proved.entries.push_back({&entry, std::move(proof)});
  return Status::OK();
}

void FillLogs(capnp::List<rpc::AnsweredLog>::Builder out, const std::vector<audit::LogBound>& logs,
              const ProvedAnswer& proved) {
  for (capnp::uint i = 0; i < logs.size(); ++i) {
    out[i].setOrigin(logs[i].origin);
    out[i].setCheckpoint(proved.notes.at(logs[i].origin));
  }
}

void FillEntries(capnp::List<rpc::CitedEntry>::Builder out, const ProvedAnswer& proved) {
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

// Every entry the findings cite, once, with each finding's positions in that list.
Status ProveFindings(ReferralAuditAnswer& answer, audit::AnswerProofs& proofs) {
  std::map<std::pair<std::string, uint64_t>, uint32_t> at;
  for (const auto& f : answer.report.findings) {
    auto& pos = answer.positions.emplace_back();
    for (const auto& e : f.entries) {
      auto [it, added] = at.emplace(std::make_pair(e.origin, e.index), static_cast<uint32_t>(answer.proved.entries.size()));
      if (added) CUSTOS_RETURN_IF_ERROR(AddEntry(answer.proved, proofs, e));
      pos.push_back(it->second);
    }
    answer.proved.bytes += f.detail.size() + f.case_id.size() + f.subject.size() + 128;
  }
  return Status::OK();
}

void FillFindings(capnp::List<rpc::AuditFinding>::Builder out, const std::vector<audit::Finding>& findings,
                  const std::vector<std::vector<uint32_t>>& positions) {
  for (capnp::uint i = 0; i < findings.size(); ++i) {
    const audit::Finding& f = findings[i];
    auto b = out[i];
    b.setKind(KindOf(f.kind));
    b.setOrigin(f.origin);
    b.setCaseId(f.case_id);
    b.setSubject(f.subject);
    b.setDeadline(f.deadline);
    b.setDetail(f.detail);
    auto pos = b.initEntries(static_cast<capnp::uint>(positions[i].size()));
    for (capnp::uint k = 0; k < positions[i].size(); ++k) pos.set(k, positions[i][k]);
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

Result<std::unique_ptr<CaseTrailAnswer>> ComputeCaseTrail(const Store& store, std::string_view case_id) {
  CUSTOS_ASSIGN_OR_RETURN(auto snapshot, audit::StoreSnapshot::Take(store));
  auto answer = std::make_unique<CaseTrailAnswer>();
  CUSTOS_ASSIGN_OR_RETURN(answer->trail, audit::BuildCaseTrail(*snapshot, case_id));
  audit::AnswerProofs proofs(*snapshot);
  CUSTOS_RETURN_IF_ERROR(AddLogs(answer->proved, proofs, answer->trail.logs));
  for (const auto& e : answer->trail.entries) CUSTOS_RETURN_IF_ERROR(AddEntry(answer->proved, proofs, e));
  answer->proved.bytes += case_id.size();
  return answer;
}

void FillCaseTrail(const CaseTrailAnswer& answer, rpc::CaseTrail::Builder out) {
  out.setCaseId(answer.trail.case_id);
  FillLogs(out.initLogs(static_cast<capnp::uint>(answer.trail.logs.size())), answer.trail.logs, answer.proved);
  FillEntries(out.initEntries(static_cast<capnp::uint>(answer.proved.entries.size())), answer.proved);
}

Result<std::unique_ptr<ReferralAuditAnswer>> ComputeReferralAudit(const Store& store, const FederationConfig& federation,
                                                                  int64_t at) {
  if (at < 0) return Status::InvalidArgument("at: must be 0 (now) or a time in ms since the epoch");
  audit::AuditOptions options;
  options.at = at == 0 ? store.clock().NowMillis() : at;
  options.bureaus = OriginsOfKind(federation, "ip-bureau");
  options.public_security = OriginsOfKind(federation, "public-security-bureau");
  CUSTOS_ASSIGN_OR_RETURN(auto snapshot, audit::StoreSnapshot::Take(store));
  auto answer = std::make_unique<ReferralAuditAnswer>();
  CUSTOS_ASSIGN_OR_RETURN(answer->report, audit::AuditReferrals(*snapshot, options));
  audit::AnswerProofs proofs(*snapshot);
  CUSTOS_RETURN_IF_ERROR(AddLogs(answer->proved, proofs, answer->report.audited));
  CUSTOS_RETURN_IF_ERROR(AddLogs(answer->proved, proofs, answer->report.consulted));
  CUSTOS_RETURN_IF_ERROR(ProveFindings(*answer, proofs));
  return answer;
}

void FillReferralAudit(const ReferralAuditAnswer& answer, rpc::ReferralAudit::Builder out) {
  const audit::AuditReport& report = answer.report;
  out.setAt(report.at);
  FillLogs(out.initAudited(static_cast<capnp::uint>(report.audited.size())), report.audited, answer.proved);
  FillLogs(out.initConsulted(static_cast<capnp::uint>(report.consulted.size())), report.consulted, answer.proved);
  auto not_held = out.initNotHeld(static_cast<capnp::uint>(report.not_held.size()));
  for (capnp::uint i = 0; i < report.not_held.size(); ++i) not_held.set(i, report.not_held[i]);
  out.setEntriesScanned(report.entries_scanned);
  FillEntries(out.initEntries(static_cast<capnp::uint>(answer.proved.entries.size())), answer.proved);
  FillFindings(out.initFindings(static_cast<capnp::uint>(report.findings.size())), report.findings, answer.positions);
}

}  // namespace custos::node
