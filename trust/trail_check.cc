#include "trust/trail_check.h"

#include <set>
#include <string>
#include <tuple>

namespace custos::trust {

namespace {
bool InTrailOrder(const CheckedEntry& a, const CheckedEntry& b) {
  return std::tie(a.log_time, a.origin, a.index) <= std::tie(b.log_time, b.origin, b.index);
}

// The statement's body: the one member of the "body" object.
const nlohmann::json& Body(const CheckedEntry& e) { return e.statement["body"].begin().value(); }

Status CheckOrder(std::span<const CheckedEntry> entries) {
  for (size_t i = 1; i < entries.size(); ++i) {
    if (!InTrailOrder(entries[i - 1], entries[i])) {
      return Status::Corruption("entry " + std::to_string(entries[i].index) + " of " + entries[i].origin +
                                ": the trail is not in order (logTime, origin, index)");
    }
  }
  return Status::OK();
}

Status CheckAboutCase(std::span<const CheckedEntry> entries, const std::string& case_id) {
  std::set<std::string> evidence;
  for (const auto& e : entries) {
    const auto& body = Body(e);
    if (e.kind == "evidence-registered" && body.value("caseId", "") == case_id) evidence.insert(body["evidenceId"]);
  }
  for (const auto& e : entries) {
    const auto& body = Body(e);
    if (body.value("caseId", "") == case_id || body.value("caseRef", "") == case_id ||
        evidence.count(body.value("evidenceId", ""))) {
      continue;
    }
    return Status::Corruption("entry " + std::to_string(e.index) + " of " + e.origin + " (" + e.kind +
                              ") is not about case " + case_id);
  }
  return Status::OK();
}
}  // namespace

Status CheckCaseTrail(std::span<const CheckedEntry> entries, std::string_view case_id) {
  CUSTOS_RETURN_IF_ERROR(CheckOrder(entries));
  return CheckAboutCase(entries, std::string(case_id));
}

}  // namespace custos::trust
