#include "trust/answer_checker.h"

#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"
#include "schema/json.h"

namespace custos::trust {

namespace {
std::string EntryName(uint64_t index, const std::string& origin) {
  return "entry " + std::to_string(index) + " of " + origin;
}

Result<std::vector<Hash>> ProofHashes(const CitedAnswerEntry& cited) {
  std::vector<Hash> proof;
  for (const auto& bytes : cited.proof) {
    auto h = Hash::FromSpan(bytes);
    if (!h) return Status::Corruption(EntryName(cited.index, cited.origin) + ": a proof hash is not 32 bytes");
    proof.push_back(*h);
  }
  return proof;
}

Result<CheckedEntry> Decode(const std::string& origin, uint64_t index, ByteSpan bytes) {
  auto entry = schema::ReadCanonical<schema::LogEntry>(bytes, schema::kMaxEntryBytes, "entry");
  if (!entry.ok()) return Status::Corruption(entry.status().message());
  auto statement_bytes = entry->get().getSubmission().getStatement();
  auto st = schema::ReadCanonical<schema::Statement>(ByteSpan(statement_bytes.begin(), statement_bytes.size()),
                                                     schema::kMaxStatementBytes, "statement");
  if (!st.ok()) return Status::Corruption(EntryName(index, origin) + ": " + st.status().message());
  return CheckedEntry{origin, index, merkle::LeafHash(bytes), entry->get().getLogTime(),
                      schema::StatementKind(st->get()), nlohmann::json::parse(schema::StatementToJson(st->get()))};
}
}  // namespace

Status CheckCitedEntry(ByteSpan entry, uint64_t index, std::span<const Hash> proof, const Checkpoint& checkpoint) {
  const std::string what = EntryName(index, checkpoint.origin);
  auto parsed = schema::ReadCanonical<schema::LogEntry>(entry, schema::kMaxEntryBytes, what.c_str());
  if (!parsed.ok()) return Status::Corruption(parsed.status().message());
  if (parsed->get().getIndex() != index) {
    return Status::Corruption(what + ": the entry says it is entry " + std::to_string(parsed->get().getIndex()));
  }
  Status st = merkle::VerifyInclusion(merkle::LeafHash(entry), index, checkpoint.size, proof, checkpoint.root);
  if (!st.ok()) return Status::Corruption(what + ": inclusion proof: " + st.message());
  return Status::OK();
}

Status CheckFindingCitations(std::span<const uint32_t> positions, size_t cited_count) {
  if (positions.empty()) return Status::Corruption("a finding of the answer cites no entry");
  for (uint32_t pos : positions) {
    if (pos >= cited_count) {
      return Status::Corruption("a finding cites entry " + std::to_string(pos) + " of the answer, which has " +
                                std::to_string(cited_count));
    }
  }
  return Status::OK();
}

Status AnswerChecker::AddLog(const AnsweredLog& log) {
  if (trust_ == nullptr) return Status::FailedPrecondition("no federation to check the checkpoint of " + log.origin);
  if (log.checkpoint.empty()) return Status::OK();
  auto checked = trust_->CheckCheckpoint(log.checkpoint, log.origin);
  // An answer naming a log the federation does not list is refused, not "not found".
  if (!checked.ok()) return Status::Corruption(checked.status().message());
  AddCheckedLog(log.origin, checked->checkpoint, "origin signature and witness quorum (--trust)");
  return Status::OK();
}

void AnswerChecker::AddCheckedLog(const std::string& origin, Checkpoint checkpoint, std::string how) {
  logs_.emplace(origin, CheckedLog{std::move(checkpoint), std::move(how)});
}

Result<CheckedEntry> AnswerChecker::CheckEntry(const CitedAnswerEntry& cited) const {
  auto log = logs_.find(cited.origin);
  if (log == logs_.end()) {
    return Status::Corruption(EntryName(cited.index, cited.origin) + ": the answer has no checkpoint of that log");
  }
  CUSTOS_ASSIGN_OR_RETURN(std::vector<Hash> proof, ProofHashes(cited));
  CUSTOS_RETURN_IF_ERROR(CheckCitedEntry(cited.entry, cited.index, proof, log->second.checkpoint));
  return Decode(cited.origin, cited.index, cited.entry);
}

}  // namespace custos::trust
