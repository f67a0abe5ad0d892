#include "ledger/admission/submission.h"

#include <capnp/message.h>

#include "crypto/sha256.h"
#include "ledger/admission/authority.h"
#include "ledger/admission/validate.h"
#include "schema/text.h"

namespace custos {

namespace {

Bytes SigningMessage(ByteSpan statement) {
  const size_t prefix = kStatementSigningContext.size();
  Bytes msg(prefix + statement.size());
  std::memcpy(msg.data(), kStatementSigningContext.data(), prefix);
  if (!statement.empty()) std::memcpy(msg.data() + prefix, statement.data(), statement.size());
  return msg;
}
}  // namespace

Bytes SignSubmission(ByteSpan statement, const SigningKey& key) {
  Signature sig = key.Sign(SigningMessage(statement));
  capnp::MallocMessageBuilder builder;
  auto sub = builder.initRoot<schema::SignedSubmission>();
  sub.setStatement(DataOf(statement));
  sub.setAuthorKey(DataOf(key.public_key().span()));
  sub.setSignature(DataOf(sig.span()));
  return schema::Canonicalize(sub.asReader());
}

Result<CheckedSubmission> CheckSubmission(ByteSpan submission_bytes) {
  CUSTOS_ASSIGN_OR_RETURN(auto sub, schema::ReadCanonical<schema::SignedSubmission>(
                                        submission_bytes, schema::kMaxStatementBytes + 256,
                                        "submission"));
  auto r = sub.get();
  auto author = PublicKey::FromSpan(Span(r.getAuthorKey()));
  if (!author) return Status::InvalidArgument("submission.authorKey: must be 32 bytes");
  auto sig = Signature::FromSpan(Span(r.getSignature()));
  if (!sig) return Status::InvalidArgument("submission.signature: must be 64 bytes");
  ByteSpan statement_bytes = Span(r.getStatement());
  CUSTOS_ASSIGN_OR_RETURN(auto statement, schema::ReadCanonical<schema::Statement>(
                                              statement_bytes, schema::kMaxStatementBytes,
                                              "statement"));
  CUSTOS_RETURN_IF_ERROR(ledger::ValidateStatement(statement.get()));
  if (!VerifySignature(*author, SigningMessage(statement_bytes), *sig)) {
    return Status::Corruption("signature: does not verify for the author key and statement");
  }
  Hash statement_hash = Sha256::Digest(statement_bytes);
  return CheckedSubmission{std::move(sub), std::move(statement), *author, statement_hash};
}

Status CheckInContext(const CheckedSubmission& c, const AppendContext& ctx) {
  auto statement = c.statement.get();
  int64_t skew = statement.getTime() - ctx.log_time;
  if (skew > ctx.max_clock_skew_ms || -skew > ctx.max_clock_skew_ms) {
    return Status::InvalidArgument(
        "time: the statement's time " + std::to_string(statement.getTime()) + " is " +
        std::to_string((skew < 0 ? -skew : skew) / 1000) + " s from the log's clock " +
        std::to_string(ctx.log_time) + " (limit " + std::to_string(ctx.max_clock_skew_ms / 1000) + " s)");
  }
  return ctx.authority->Check(c.author, statement, ctx.index, ctx.log_time, ctx.origin);
}

Bytes BuildEntry(uint64_t index, const Hash& prev_hash, int64_t log_time,
                 schema::SignedSubmission::Reader submission) {
  capnp::MallocMessageBuilder builder(256);
  auto e = builder.initRoot<schema::LogEntry>();
  e.setIndex(index);
  e.setPrevHash(DataOf(prev_hash.span()));
  e.setLogTime(log_time);
  e.setSubmission(submission);
  return schema::Canonicalize(e.asReader());
}

}  // namespace custos
