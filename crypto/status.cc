#include "crypto/status.h"

namespace custos {

namespace {
const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kInvalidArgument: return "invalid argument";
    case Status::Code::kCorruption: return "verification failed";
    case Status::Code::kUnauthorized: return "unauthorized";
    case Status::Code::kNotFound: return "not found";
    case Status::Code::kAlreadyExists: return "already exists";
    case Status::Code::kIOError: return "I/O error";
    case Status::Code::kFailedPrecondition: return "failed precondition";
    case Status::Code::kAborted: return "aborted";
  }
  return "unknown";
}
}  // namespace

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  const std::string prefix = context + ": ";
  if (message_.starts_with(prefix)) return *this;
  return Status(code_, prefix + message_);
}

}  // namespace custos
