#include "ledger/admission/bundle_entry.h"

#include "ledger/tlog/merkle.h"

namespace custos::bundle {

using Which = schema::Statement::Body::Which;

Result<LightEntry> ReadLightEntry(ByteSpan raw) {
  CUSTOS_ASSIGN_OR_RETURN(auto entry, schema::ReadCanonical<schema::LogEntry>(raw, schema::kMaxEntryBytes, "entry"));
  auto statement_bytes = entry.get().getSubmission().getStatement();
  CUSTOS_ASSIGN_OR_RETURN(auto statement, schema::ReadCanonical<schema::Statement>(
                                              ByteSpan(statement_bytes.begin(), statement_bytes.size()),
                                              schema::kMaxStatementBytes, "entry.submission.statement"));
  return LightEntry{std::move(entry), std::move(statement), merkle::LeafHash(raw)};
}

bool IsAdministration(Which kind) {
  return kind == Which::GENESIS || kind == Which::KEY_GRANT || kind == Which::KEY_REVOKE;
}

std::string KindName(Which kind) {
  switch (kind) {
    case Which::GENESIS: return "genesis";
    case Which::KEY_GRANT: return "keyGrant";
    case Which::KEY_REVOKE: return "keyRevoke";
    case Which::EVIDENCE_REGISTERED: return "evidenceRegistered";
    case Which::CUSTODY_TRANSFERRED: return "custodyTransferred";
    case Which::CUSTODY_RECEIVED: return "custodyReceived";
    case Which::EVIDENCE_EXAMINED: return "evidenceExamined";
    case Which::EVIDENCE_DISPOSED: return "evidenceDisposed";
    case Which::CASE_OPENED: return "caseOpened";
    case Which::CASE_REFERRED: return "caseReferred";
    case Which::REFERRAL_ANSWERED: return "referralAnswered";
    case Which::CASE_DECIDED: return "caseDecided";
    case Which::CASE_CLOSED: return "caseClosed";
    case Which::CLUE_SHARED: return "clueShared";
    case Which::SUBJECT_LISTED: return "subjectListed";
    case Which::SUBJECT_DELISTED: return "subjectDelisted";
  }
  return "kind " + std::to_string(static_cast<int>(kind));
}

}  // namespace custos::bundle
