#include "cli/audit_commands.h"

#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "crypto/text.h"
#include "ledger/query/audit.h"
#include "trust/answer_checker.h"
#include "trust/federation.h"
#include "trust/trail_check.h"

namespace custos::cli {

namespace {

constexpr const char* kCompleteness =
    "complete up to the checkpoints above: each log's entries up to that size are held and verified here";

// ------------------------------------------------------------ checking an answer

// An entry of the answer as trust/ checks it.
trust::CitedAnswerEntry Cited(rpc::CitedEntry::Reader e) {
  trust::CitedAnswerEntry cited{e.getOrigin(), e.getIndex(), Bytes(e.getEntry().begin(), e.getEntry().end()), {}};
  for (auto d : e.getProof()) cited.proof.emplace_back(d.begin(), d.end());
  return cited;
}

nlohmann::json EntryJson(const trust::CheckedEntry& e) {
  return {{"origin", e.origin}, {"index", e.index}, {"leafHash", Base64Encode(e.leaf.span())}, {"logTime", e.log_time},
          {"logTimeText", FormatUtc(e.log_time)}, {"kind", e.kind}, {"statement", e.statement}};
}

// The answer's logs, into `checker`: against --trust when given (trust/
// decides); without it, the own log's checkpoint against --node-vkey and the
// others taken as the node says.
Status AddLogs(trust::AnswerChecker& checker, const NodeSession& session, const std::optional<trust::Federation>& fed,
               capnp::List<rpc::AnsweredLog>::Reader logs) {
  for (auto l : logs) {
    trust::AnsweredLog log{l.getOrigin(), l.getCheckpoint()};
    if (fed) {
      CUSTOS_RETURN_IF_ERROR(checker.AddLog(log));
      continue;
    }
    if (log.checkpoint.empty()) continue;  // a log without a checkpoint: nothing can be cited from it
    CUSTOS_ASSIGN_OR_RETURN(OpenedCheckpoint cp, session.OpenCheckpoint(log.origin, log.checkpoint));
    checker.AddCheckedLog(log.origin, cp.checkpoint,
                          session.IsOwn(log.origin) ? "node signature (--node-vkey)" : "not checked (no --trust)");
  }
  return Status::OK();
}

nlohmann::json LogsJson(const trust::AnswerChecker& checker) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [origin, l] : checker.logs()) {
    out.push_back({{"origin", origin}, {"size", l.checkpoint.size}, {"root", Base64Encode(l.checkpoint.root.span())},
                   {"checked", l.how}});
  }
  return out;
}

Result<std::optional<trust::Federation>> TrustOf(const std::string& path) {
  if (path.empty()) return std::optional<trust::Federation>();
  CUSTOS_ASSIGN_OR_RETURN(trust::Federation fed, trust::LoadFederationFile(path));
  return std::optional<trust::Federation>(std::move(fed));
}

// Runs a check; its failure is the verification failure (exit 1).
int Failed(const Status& st) { return Fail(st.code() == Status::Code::kNotFound ? Status::Corruption(st.message()) : st, true); }

void PrintLogsText(const trust::AnswerChecker& checker, const char* label) {
  for (const auto& [origin, l] : checker.logs()) {
    std::cout << label << " " << origin << " size " << l.checkpoint.size << " root " << Base64Encode(l.checkpoint.root.span())
              << " (" << l.how << ")\n";
  }
}

// ------------------------------------------------------------ case trail

int CaseTrail(NodeSession& session, const std::string& case_id, const std::string& trust_file, bool json) {
  if (case_id.empty()) return Fail(Status::InvalidArgument("CASE-ID: give the case id"));
  auto trust = TrustOf(trust_file);
  if (!trust.ok()) return Fail(trust.status());
  auto request = session.node().caseTrailRequest();
  request.setCaseId(case_id);
  auto response = session.Wait(request.send());
  if (!response.ok()) return Fail(response.status().WithContext("case trail"));
  auto trail = response->getTrail();
  trust::AnswerChecker checker(*trust ? &**trust : nullptr);
  if (Status st = AddLogs(checker, session, *trust, trail.getLogs()); !st.ok()) return Failed(st);
  std::vector<trust::CheckedEntry> entries;
  for (auto e : trail.getEntries()) {
    auto shown = checker.CheckEntry(Cited(e));
    if (!shown.ok()) return Failed(shown.status());
    entries.push_back(std::move(shown).value());
  }
  if (Status st = trust::CheckCaseTrail(entries, case_id); !st.ok()) return Failed(st);
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : entries) list.push_back(EntryJson(e));
    PrintJson({{"caseId", case_id}, {"entries", list}, {"logs", LogsJson(checker)}, {"completeness", kCompleteness}});
    return kExitOk;
  }
  std::cout << "case " << case_id << ": " << Entries(entries.size()) << " in " << Count(checker.logs().size(), "log", "logs") << "\n";
  for (const auto& e : entries) {
    std::cout << FormatUtc(e.log_time) << "  " << e.origin << "  #" << e.index << "  " << e.kind << "\n";
  }
  PrintLogsText(checker, "checkpoint");
  std::cout << kCompleteness << "\n";
  return kExitOk;
}

// ------------------------------------------------------------ audit referrals

const char* KindName(rpc::AuditFindingKind kind) {
  switch (kind) {
    case rpc::AuditFindingKind::REFERRAL_UNANSWERED: return audit::FindingName(audit::FindingKind::kReferralUnanswered);
    case rpc::AuditFindingKind::SUSPECTED_CRIME_NOT_REFERRED:
      return audit::FindingName(audit::FindingKind::kSuspectedCrimeNotReferred);
    case rpc::AuditFindingKind::EVIDENCE_NOT_RECEIVED: return audit::FindingName(audit::FindingKind::kEvidenceNotReceived);
    case rpc::AuditFindingKind::LISTING_LAPSED_NOT_DELISTED:
      return audit::FindingName(audit::FindingKind::kListingLapsedNotDelisted);
  }
  return "unknown";
}

struct ShownFinding {
  nlohmann::json json;
  std::vector<const trust::CheckedEntry*> entries;
};

void PrintAuditText(const nlohmann::json& head, const std::vector<ShownFinding>& findings,
                    const trust::AnswerChecker& audited, const trust::AnswerChecker& consulted) {
  std::cout << "referral audit at " << head["atText"].get<std::string>() << " over " << head["audited"].size()
            << " bureau logs, " << head["entriesScanned"] << " entries scanned\n";
  for (const auto& f : findings) {
    std::cout << "finding " << f.json["kind"].get<std::string>() << " " << f.json["origin"].get<std::string>()
              << " case " << f.json["caseId"].get<std::string>() << ": " << f.json["detail"].get<std::string>() << "\n";
    for (const auto* e : f.entries) {
      std::cout << "  rests on " << e->origin << " #" << e->index << " " << e->kind << " " << FormatUtc(e->log_time)
                << " leaf " << Base64Encode(e->leaf.span()) << "\n";
    }
  }
  std::cout << findings.size() << " findings\n";
  PrintLogsText(audited, "audited");
  PrintLogsText(consulted, "consulted");
  for (const auto& o : head["notHeld"]) std::cout << "not held " << o.get<std::string>() << " (not audited)\n";
  std::cout << kCompleteness << "\n";
}

void PrintAuditCsv(const std::vector<ShownFinding>& findings) {
  std::cout << "kind,origin,case_id,subject,deadline,detail,entries\n";
  for (const auto& f : findings) {
    std::string cited;
    for (const auto* e : f.entries) cited += (cited.empty() ? "" : " ") + e->origin + "#" + std::to_string(e->index);
    const auto& j = f.json;
    auto field = [&](const char* name) { return CsvField(j[name].get<std::string>()); };
    std::cout << field("kind") << "," << field("origin") << "," << field("caseId") << "," << field("subject") << ","
              << j["deadline"].get<int64_t>() << "," << field("detail") << "," << CsvField(cited) << "\n";
  }
}

Result<std::vector<ShownFinding>> ShowFindings(rpc::ReferralAudit::Reader report,
                                               const std::vector<trust::CheckedEntry>& cited) {
  std::vector<ShownFinding> out;
  for (auto f : report.getFindings()) {
    ShownFinding s;
    std::vector<uint32_t> positions;
    for (uint32_t pos : f.getEntries()) positions.push_back(pos);
    CUSTOS_RETURN_IF_ERROR(trust::CheckFindingCitations(positions, cited.size()));
    nlohmann::json entries = nlohmann::json::array();
    for (uint32_t pos : positions) {
      s.entries.push_back(&cited[pos]);
      entries.push_back(EntryJson(cited[pos]));
    }
    s.json = {{"kind", KindName(f.getKind())}, {"origin", f.getOrigin().cStr()}, {"caseId", f.getCaseId().cStr()},
              {"subject", f.getSubject().cStr()}, {"deadline", f.getDeadline()}, {"detail", f.getDetail().cStr()},
              {"entries", entries}};
    out.push_back(std::move(s));
  }
  return out;
}

nlohmann::json NotHeld(rpc::ReferralAudit::Reader report) {
  nlohmann::json out = nlohmann::json::array();
  for (auto o : report.getNotHeld()) out.push_back(o.cStr());
  return out;
}

int AuditReferrals(NodeSession& session, const std::string& at_text, const std::string& format,
                   const std::string& trust_file) {
  if (format != "text" && format != "json" && format != "csv") {
    return Fail(Status::InvalidArgument("--format: \"" + format + "\" is not text, json or csv"));
  }
  int64_t at = 0;
  if (!at_text.empty()) {
    auto parsed = ParseTime(at_text, "--at");
    if (!parsed.ok()) return Fail(parsed.status());
    at = *parsed;
  }
  auto trust = TrustOf(trust_file);
  if (!trust.ok()) return Fail(trust.status());
  auto request = session.node().auditReferralsRequest();
  request.setAt(at);
  auto response = session.Wait(request.send());
  if (!response.ok()) return Fail(response.status().WithContext("audit referrals"));
  auto report = response->getReport();
  const trust::Federation* fed = *trust ? &**trust : nullptr;
  trust::AnswerChecker audited(fed), consulted(fed), all(fed);
  for (auto [checker, logs] : {std::pair{&audited, report.getAudited()}, {&consulted, report.getConsulted()},
                               {&all, report.getAudited()}, {&all, report.getConsulted()}}) {
    if (Status st = AddLogs(*checker, session, *trust, logs); !st.ok()) return Failed(st);
  }
  Progress progress("checking the audit's entries");
  std::vector<trust::CheckedEntry> cited;
  for (auto e : report.getEntries()) {
    auto shown = all.CheckEntry(Cited(e));
    if (!shown.ok()) return Failed(shown.status());
    cited.push_back(std::move(shown).value());
    progress.Update(cited.size(), report.getEntries().size());
  }
  progress.Finish();
  auto findings = ShowFindings(report, cited);
  if (!findings.ok()) return Failed(findings.status());
  nlohmann::json head = {{"at", report.getAt()}, {"atText", FormatUtc(report.getAt())},
                         {"audited", LogsJson(audited)}, {"consulted", LogsJson(consulted)},
                         {"notHeld", NotHeld(report)}, {"entriesScanned", report.getEntriesScanned()},
                         {"completeness", kCompleteness}};
  if (format == "csv") {
    PrintAuditCsv(*findings);
  } else if (format == "json") {
    head["findings"] = nlohmann::json::array();
    for (const auto& f : *findings) head["findings"].push_back(f.json);
    PrintJson(head);
  } else {
    PrintAuditText(head, *findings, audited, consulted);
  }
  return kExitOk;
}

struct AuditOpts {
  std::string case_id, trust, at, format = "text";
  bool json = false;
};

}  // namespace

void RegisterAuditCommands(CLI::App& app, Globals& globals, int& exit_code) {
  auto o = std::make_shared<AuditOpts>();  // kept alive by the callbacks below
  auto* c = app.add_subcommand("case", "Queries about cases across every log a node holds (needs --node)");
  c->require_subcommand(1);
  auto* trail = c->add_subcommand(
      "trail",
      "Every entry about a case across every log the node holds (its own and its\n"
      "replicas): opening, evidence and its custody, referrals and answers,\n"
      "decisions, closing, clues, listings. In order of logTime, then origin,\n"
      "then index. Each entry is checked against its log's checkpoint before\n"
      "anything is printed; exit 1 names what failed. docs/audit.md");
  trail->add_option("CASE-ID", o->case_id, "The case id, e.g. SZIPB-2024-0017")->required();
  trail->add_option("--trust", o->trust,
                    "Federation file: check every checkpoint's origin signature and witness quorum\n"
                    "(without it only the node's own log's checkpoint is checked, with --node-vkey)");
  trail->add_flag("--json", o->json, "Print the entries (with their statements) and checkpoints as JSON");
  trail->footer(
      "Example (a procuratorate's node, which follows the bureau and the police):\n"
      "  custos --node 127.0.0.1:7302 --key me.key --node-vkey VKEY case trail SZIPB-2024-0017 \\\n"
      "    --trust examples/node/federation.json");
  RunOnNode(trail, globals, exit_code, [o](NodeSession& s) { return CaseTrail(s, o->case_id, o->trust, o->json); });

  auto* a = app.add_subcommand("audit", "Audits across every log a node holds (needs --node)");
  a->require_subcommand(1);
  auto* referrals = a->add_subcommand(
      "referrals",
      "Audit every bureau log (agencyKind ip-bureau) the node holds: referrals\n"
      "unanswered past their deadline, suspected crimes decided or closed with no\n"
      "referral to public security, evidence sent with a referral that never\n"
      "arrived, listings past their publication end never delisted. Each finding\n"
      "names the entries it rests on, each checked against its log's checkpoint.\n"
      "docs/audit.md says what each finding means and what completeness rests on.");
  referrals->add_option("--at", o->at, "The audit's time: ms since the epoch or 2024-05-01T00:00:00Z (default: now)");
  referrals->add_option("--format", o->format, "text (default), json, or csv (one row per finding, with a header)");
  referrals->add_option("--trust", o->trust, "Federation file: check every checkpoint's signatures and witness quorum");
  referrals->add_flag("--json", o->json, "Same as --format json");
  referrals->footer(
      "Examples:\n"
      "  custos --node 127.0.0.1:7302 --key me.key --node-vkey VKEY audit referrals --trust federation.json\n"
      "  custos --node … audit referrals --at 2024-05-01T00:00:00Z --format csv > findings.csv");
  RunOnNode(referrals, globals, exit_code,
            [o](NodeSession& s) { return AuditReferrals(s, o->at, o->json ? "json" : o->format, o->trust); });
}

}  // namespace custos::cli
