#include "node/http_queries.h"

#include <nlohmann/json.hpp>

#include "crypto/text.h"
#include "ledger/listings/listing_check.h"
#include "ledger/listings/listings_state.h"
#include "ledger/query/bundle.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "node/queries.h"
#include "schema/canonical.h"
#include "schema/json.h"

namespace custos::node {

namespace {

using nlohmann::json;

std::string B64(ByteSpan bytes) { return Base64Encode(bytes); }

json MapProofJson(const listings::MapProof& p) {
  json siblings = json::array();
  for (const auto& h : p.siblings) siblings.push_back(B64(h.span()));
  return {{"key", B64(p.key.span())},
          {"value", p.value ? json(B64(p.value->span())) : json(nullptr)},
          {"bitmap", B64(ByteSpan(p.bitmap.data(), p.bitmap.size()))},
          {"siblings", siblings}};
}

// One log's part: its proofs, and what each live listing says.
Result<json> LogJson(const listings::LogListingAnswer& part, int64_t now_ms, bool* listed) {
  json listings = json::array();
  bool log_listed = false;
  for (const auto& l : part.listings) {
    auto entry = listings::ReadListedEntry(l.entry);
    if (!entry.ok()) return Status::Corruption(part.origin + ": " + entry.status().message());
    json proof = json::array();
    for (const auto& h : l.inclusion) proof.push_back(B64(h.span()));
    const bool lapsed = entry->publication_ends <= now_ms;
    log_listed = log_listed || !lapsed;
    listings.push_back({{"index", entry->index},
                        {"subjectId", entry->subject_id},
                        {"subjectName", entry->subject_name},
                        {"cause", entry->cause},
                        {"legalBasis", entry->legal_basis},
                        {"decidingAgency", entry->deciding_agency},
                        {"decisionNumber", entry->decision_number},
                        {"caseRef", entry->case_ref},
                        {"listedFrom", entry->listed_from},
                        {"publicationEnds", entry->publication_ends},
                        {"lapsed", lapsed},
                        {"leafHash", B64(entry->leaf.span())},
                        {"entry", B64(l.entry)},
                        {"inclusionProof", proof}});
  }
  *listed = *listed || log_listed;
  return json{{"origin", part.origin},
              {"listed", log_listed},
              {"checkpoint", part.checkpoint},
              {"mapProof", MapProofJson(part.proof)},
              {"listings", listings}};
}

// The answer for one subject, or the status that refuses the query.
Result<json> Lookup(const std::vector<std::shared_ptr<LogView>>& logs, listings::SubjectKind kind,
                    std::string_view typed, int64_t now_ms) {
  CUSTOS_ASSIGN_OR_RETURN(listings::SubjectQuery subject, listings::SubjectOfQuery(kind, typed));
  listings::ListingAnswer answer{kind, subject.id, {}};
  json parts = json::array();
  json not_answered = json::array();
  bool listed = false;
  for (const auto& log : logs) {
    auto part = log->ListingAnswer(subject.key);
    // A replica between two notes of its origin has no checkpoint for its
    // map yet: left out, as over RPC, and said so.
    if (part.status().code() == Status::Code::kFailedPrecondition) {
      not_answered.push_back({{"origin", log->origin()}, {"reason", part.status().message()}});
      continue;
    }
    if (!part.ok()) return part.status();
    CUSTOS_ASSIGN_OR_RETURN(json j, LogJson(*part, now_ms, &listed));
    parts.push_back(std::move(j));
    answer.logs.push_back(std::move(part).value());
  }
  return json{{"kind", std::string(listings::SubjectKindName(kind))},
              {"id", subject.id},
              {"listed", listed},
              {"at", now_ms},
              {"logs", parts},
              {"notAnswered", std::move(not_answered)},
              {"answer", B64(answer.Encode())}};
}

// A query that names nobody is "invalid-id"; the rest as any failed read.
HttpResponse ProblemOf(const Status& status) {
  if (status.code() == Status::Code::kInvalidArgument) return Problem(400, "invalid-id", status.message());
  return ProblemFromStatus(status);
}

HttpResponse JsonResponse(const json& j) {
  return HttpResponse{200, "application/json", "no-store",
                      j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", {}};
}

json Hashes(const std::vector<Hash>& hashes) {
  json out = json::array();
  for (const auto& h : hashes) out.push_back(B64(h.span()));
  return out;
}

// The tree size `size` names (default: the latest checkpoint's) and the
// cosigned checkpoint of that size.
Result<std::pair<uint64_t, std::string>> CheckpointFor(const LogView& log, std::optional<uint64_t> size) {
  if (!size) {
    const std::string latest = log.checkpoint();
    auto note = Note::Parse(latest);
    auto cp = note.ok() ? Checkpoint::Parse(note->text) : Result<Checkpoint>(note.status());
    if (!cp.ok()) return Status::NotFound("log " + log.origin() + " has no checkpoint yet");
    return std::make_pair(cp->size, latest);
  }
  auto note = log.stored().CosignedCheckpointAt(*size);
  if (!note.ok()) {
    if (note.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("log " + log.origin() + " has no checkpoint of size " + std::to_string(*size) +
                              "; leave out size for the latest");
    }
    return note.status();
  }
  return std::make_pair(*size, std::move(note).value());
}

// What completeness rests on, as the CLI says it (docs/audit.md).
constexpr const char* kCompleteness =
    "complete up to the checkpoints given: each log's entries up to that size are held and verified by this node";

// An entry as JSON (docs/entry-format.md) and its statement's kind as the
// CLI names it ("case-opened"), from one read of its bytes.
struct DecodedEntry {
  json decoded;
  std::string kind;
};

Result<DecodedEntry> Decode(ByteSpan entry) {
  CUSTOS_ASSIGN_OR_RETURN(auto parsed, schema::ReadCanonical<schema::LogEntry>(entry, schema::kMaxEntryBytes, "entry"));
  auto bytes = parsed.get().getSubmission().getStatement();
  CUSTOS_ASSIGN_OR_RETURN(auto statement, schema::ReadCanonical<schema::Statement>(
                                              ByteSpan(bytes.begin(), bytes.size()), schema::kMaxStatementBytes, "statement"));
  return DecodedEntry{json::parse(schema::LogEntryToJson(parsed.get())), schema::StatementKind(statement.get())};
}

// A cited entry with its proof, for the case trail and the audit.
Result<json> CitedJson(const ProvedAnswer::Cited& cited) {
  const audit::CitedEntry& e = *cited.entry;
  CUSTOS_ASSIGN_OR_RETURN(DecodedEntry d, Decode(e.entry));
  return json{{"origin", e.origin},
              {"index", e.index},
              {"kind", std::move(d.kind)},
              {"logTime", e.log_time},
              {"logTimeText", FormatUtc(e.log_time)},
              {"leafHash", B64(e.leaf.span())},
              {"entry", B64(e.entry)},
              {"decoded", std::move(d.decoded)},
              {"inclusionProof", Hashes(cited.proof)}};
}

json BoundsJson(const std::vector<audit::LogBound>& logs, const ProvedAnswer& proved) {
  json out = json::array();
  for (const auto& l : logs) {
    out.push_back({{"origin", l.origin}, {"size", l.size}, {"root", B64(l.root.span())},
                   {"checkpoint", proved.notes.at(l.origin)}});
  }
  return out;
}

}  // namespace

HttpResponse CaseTrailResponse(const Store& store, std::string_view case_id) {
  auto answer = ComputeCaseTrail(store, case_id);
  if (!answer.ok()) return ProblemFromStatus(answer.status());
  json entries = json::array();
  for (const auto& cited : (*answer)->proved.entries) {
    auto j = CitedJson(cited);
    if (!j.ok()) return Problem(500, "damaged-store", j.status().message());
    entries.push_back(std::move(j).value());
  }
  return JsonResponse(json{{"caseId", std::string(case_id)},
                           {"entries", std::move(entries)},
                           {"logs", BoundsJson((*answer)->trail.logs, (*answer)->proved)},
                           {"completeness", kCompleteness}});
}

HttpResponse ReferralAuditResponse(const Store& store, const FederationConfig& federation, int64_t at_ms, bool csv) {
  auto computed = ComputeReferralAudit(store, federation, at_ms);
  if (!computed.ok()) return ProblemFromStatus(computed.status());
  const ReferralAuditAnswer& answer = **computed;
  const audit::AuditReport& report = answer.report;
  if (csv) {
    std::string out = "kind,origin,case_id,subject,deadline,detail,entries\n";
    for (const audit::Finding& f : report.findings) {
      std::string cited;
      for (const auto& e : f.entries) cited += (cited.empty() ? "" : " ") + e.origin + "#" + std::to_string(e.index);
      out += CsvField(audit::FindingName(f.kind)) + "," + CsvField(f.origin) + "," + CsvField(f.case_id) + "," +
             CsvField(f.subject) + "," + std::to_string(f.deadline) + "," + CsvField(f.detail) + "," +
             CsvField(cited) + "\n";
    }
    HttpResponse r{200, "text/csv; charset=utf-8; header=present", "no-store", std::move(out), {}};
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"referral-audit-" +
                                                      FormatUtcSeconds(report.at) + ".csv\"");
    return r;
  }
  json entries = json::array();
  for (const auto& cited : answer.proved.entries) {
    auto j = CitedJson(cited);
    if (!j.ok()) return Problem(500, "damaged-store", j.status().message());
    entries.push_back(std::move(j).value());
  }
  json findings = json::array();
  for (size_t i = 0; i < report.findings.size(); ++i) {
    const audit::Finding& f = report.findings[i];
    findings.push_back({{"kind", audit::FindingName(f.kind)},
                        {"origin", f.origin},
                        {"caseId", f.case_id},
                        {"subject", f.subject},
                        {"deadline", f.deadline},
                        {"detail", f.detail},
                        {"entries", answer.positions[i]}});
  }
  return JsonResponse(json{{"at", report.at},
                           {"atText", FormatUtc(report.at)},
                           {"audited", BoundsJson(report.audited, answer.proved)},
                           {"consulted", BoundsJson(report.consulted, answer.proved)},
                           {"notHeld", report.not_held},
                           {"entriesScanned", report.entries_scanned},
                           {"findings", std::move(findings)},
                           {"entries", std::move(entries)},
                           {"completeness", kCompleteness}});
}

HttpResponse EntryAnswer(const LogView& log, uint64_t index, std::optional<uint64_t> size) {
  auto at = CheckpointFor(log, size);
  if (!at.ok()) return ProblemFromStatus(at.status());
  const auto& [tree_size, checkpoint] = *at;
  if (index >= tree_size) {
    return Problem(404, "not-found", "entry " + std::to_string(index) + " is not below the tree size " +
                                         std::to_string(tree_size));
  }
  auto entry = log.Entry(index);
  if (!entry.ok()) return ProblemFromStatus(entry.status());
  auto proof = log.InclusionProof(index, tree_size);
  if (!proof.ok()) return ProblemFromStatus(proof.status());
  auto decoded = Decode(*entry);
  if (!decoded.ok()) return Problem(500, "damaged-store", decoded.status().message());
  return JsonResponse(json{{"origin", log.origin()},
                           {"index", index},
                           {"entry", B64(*entry)},
                           {"leafHash", B64(merkle::LeafHash(*entry).span())},
                           {"kind", decoded->kind},
                           {"decoded", std::move(decoded->decoded)},
                           {"treeSize", tree_size},
                           {"inclusionProof", Hashes(*proof)},
                           {"checkpoint", checkpoint}});
}

HttpResponse ConsistencyAnswer(const LogView& log, uint64_t old_size, std::optional<uint64_t> size) {
  auto at = CheckpointFor(log, size);
  if (!at.ok()) return ProblemFromStatus(at.status());
  const auto& [tree_size, checkpoint] = *at;
  if (old_size > tree_size) {
    return Problem(400, "bad-request", "old " + std::to_string(old_size) + " is above the size " +
                                           std::to_string(tree_size));
  }
  auto proof = log.ConsistencyProof(old_size, tree_size);
  if (!proof.ok()) return ProblemFromStatus(proof.status());
  return JsonResponse(json{{"origin", log.origin()},
                           {"old", old_size},
                           {"treeSize", tree_size},
                           {"consistencyProof", Hashes(*proof)},
                           {"checkpoint", checkpoint}});
}

HttpResponse EvidenceAnswer(const std::vector<std::shared_ptr<LogView>>& logs, std::string_view algorithm,
                            std::string_view hex_digest) {
  auto alg = bundle::ParseDigestAlgorithm(algorithm);
  if (!alg) return Problem(400, "bad-request", "algorithm: \"" + std::string(algorithm) + "\" is not sha256 or sm3");
  auto digest = HexDecode(hex_digest);
  if (!digest || digest->size() != Hash::kSize) return Problem(400, "bad-request", "digest: not 64 hex digits");
  if (logs.empty()) return Problem(404, "not-found", "this node holds no log");
  std::vector<const StoredLog*> stored;
  for (const auto& log : logs) stored.push_back(&log->stored());
  const int64_t now = stored.front()->store().clock().NowMillis();
  auto built = bundle::BuildEvidenceBundle(stored, *alg, *digest, logs.front()->origin(), now);
  if (!built.ok()) return ProblemFromStatus(built.status());
  HttpResponse r{200, "application/octet-stream", "no-store", std::string(AsString(*built)), {}};
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"evidence-" + std::string(hex_digest.substr(0, 12)) + ".bundle\"");
  return r;
}

HttpResponse StatusAnswer(const std::vector<std::shared_ptr<LogView>>& logs) {
  json out = json::array();
  for (const auto& log : logs) {
    out.push_back({{"origin", log->origin()},
                   {"role", RoleName(log->role())},
                   {"size", log->size()},
                   {"checkpoint", log->checkpoint()}});
  }
  const bool damaged = !logs.empty() && !logs.front()->stored().store().damage().ok();
  return JsonResponse(json{{"logs", out}, {"storeDamaged", damaged}});
}

HttpResponse ListingLookup(const std::vector<std::shared_ptr<LogView>>& logs, std::string_view kind,
                           std::string_view id, int64_t now_ms) {
  auto k = listings::ParseSubjectKind(kind);
  if (!k.ok()) return Problem(400, "invalid-kind", k.status().message());
  auto answer = Lookup(logs, *k, id, now_ms);
  if (!answer.ok()) return ProblemOf(answer.status());
  return JsonResponse(*answer);
}

HttpResponse ListingBatch(const std::vector<std::shared_ptr<LogView>>& logs, std::string_view kind,
                          std::string_view body, int64_t now_ms) {
  auto k = listings::ParseSubjectKind(kind);
  if (!k.ok()) return Problem(400, "invalid-kind", k.status().message());
  json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object() || request.size() != 1 || !request.contains("ids") ||
      !request["ids"].is_array()) {
    return Problem(400, "bad-request", "the body must be {\"ids\": [\"ID\", …]}");
  }
  const json& ids = request["ids"];
  if (ids.size() > kMaxListingBatch) {
    return Problem(400, "batch-too-large",
                   std::to_string(ids.size()) + " ids; a batch holds at most " + std::to_string(kMaxListingBatch));
  }
  json results = json::array();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].is_string()) return Problem(400, "bad-request", "ids[" + std::to_string(i) + "]: must be a string");
    const std::string id = ids[i].get<std::string>();
    auto answer = Lookup(logs, *k, id, now_ms);
    if (answer.ok()) {
      results.push_back(std::move(answer).value());
      continue;
    }
    HttpResponse problem = ProblemOf(answer.status());
    if (problem.status != 400) return problem;
    results.push_back({{"id", id}, {"problem", json::parse(problem.body)}});
  }
  return JsonResponse(json{{"results", results}});
}

}  // namespace custos::node
