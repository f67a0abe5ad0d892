#include "node/rpc_errors.h"

#include <string>
#include <string_view>
#include <utility>

namespace custos::node {

namespace {
using Code = Status::Code;

// The kinds Status::ToString() writes, and the codes they stand for.
constexpr std::pair<std::string_view, Code> kKinds[] = {
    {"invalid argument: ", Code::kInvalidArgument},
    {"verification failed: ", Code::kCorruption},
    {"unauthorized: ", Code::kUnauthorized},
    {"not found: ", Code::kNotFound},
    {"already exists: ", Code::kAlreadyExists},
    {"I/O error: ", Code::kIOError},
    {"failed precondition: ", Code::kFailedPrecondition},
    {"aborted: ", Code::kAborted},
};

Status Make(Code code, std::string message) {
  switch (code) {
    case Code::kInvalidArgument: return Status::InvalidArgument(std::move(message));
    case Code::kCorruption: return Status::Corruption(std::move(message));
    case Code::kUnauthorized: return Status::Unauthorized(std::move(message));
    case Code::kNotFound: return Status::NotFound(std::move(message));
    case Code::kAlreadyExists: return Status::AlreadyExists(std::move(message));
    case Code::kIOError: return Status::IOError(std::move(message));
    case Code::kFailedPrecondition: return Status::FailedPrecondition(std::move(message));
    case Code::kAborted: return Status::Aborted(std::move(message));
    case Code::kOk: break;
  }
  return Status::InvalidArgument(std::move(message));
}
}  // namespace

kj::Exception ToException(const Status& status) {
  auto type = status.code() == Code::kIOError ? kj::Exception::Type::OVERLOADED : kj::Exception::Type::FAILED;
  return kj::Exception(type, __FILE__, __LINE__, kj::str(status.ToString().c_str()));
}

Status FromException(const kj::Exception& e) {
  std::string_view text = e.getDescription().cStr();
  constexpr std::string_view kRemote = "remote exception: ";
  if (text.substr(0, kRemote.size()) == kRemote) text.remove_prefix(kRemote.size());
  for (const auto& [prefix, code] : kKinds) {
    if (text.substr(0, prefix.size()) == prefix) return Make(code, std::string(text.substr(prefix.size())));
  }
  switch (e.getType()) {
    case kj::Exception::Type::DISCONNECTED: return Status::IOError("disconnected: " + std::string(text));
    case kj::Exception::Type::OVERLOADED: return Status::IOError("the node is overloaded: " + std::string(text));
    case kj::Exception::Type::UNIMPLEMENTED: return Status::FailedPrecondition(std::string(text));
    case kj::Exception::Type::FAILED: break;
  }
  return Status::InvalidArgument(std::string(text));
}

rpc::ErrorCode ToErrorCode(Status::Code code) {
  switch (code) {
    case Code::kInvalidArgument: return rpc::ErrorCode::INVALID_ARGUMENT;
    case Code::kUnauthorized: return rpc::ErrorCode::UNAUTHORIZED;
    case Code::kAlreadyExists: return rpc::ErrorCode::ALREADY_EXISTS;
    case Code::kCorruption: return rpc::ErrorCode::VERIFICATION_FAILED;
    case Code::kAborted: return rpc::ErrorCode::ABORTED;
    case Code::kIOError: return rpc::ErrorCode::UNAVAILABLE;
    case Code::kNotFound: return rpc::ErrorCode::NOT_FOUND;
    case Code::kFailedPrecondition:
    case Code::kOk: break;
  }
  return rpc::ErrorCode::INVALID_ARGUMENT;
}

Status FromError(rpc::Error::Reader error) {
  std::string message = error.getMessage();
  switch (error.getCode()) {
    case rpc::ErrorCode::INVALID_ARGUMENT: return Status::InvalidArgument(message);
    case rpc::ErrorCode::UNAUTHORIZED: return Status::Unauthorized(message);
    case rpc::ErrorCode::ALREADY_EXISTS: return Status::AlreadyExists(message);
    case rpc::ErrorCode::VERIFICATION_FAILED: return Status::Corruption(message);
    case rpc::ErrorCode::ABORTED: return Status::Aborted(message);
    case rpc::ErrorCode::UNAVAILABLE: return Status::IOError(message);
    case rpc::ErrorCode::NOT_FOUND: return Status::NotFound(message);
  }
  return Status::InvalidArgument(message);
}

[[noreturn]] void Throw(const Status& status) { kj::throwFatalException(ToException(status)); }

}  // namespace custos::node
