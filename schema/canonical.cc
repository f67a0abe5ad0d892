#include "schema/canonical.h"

#include <kj/exception.h>

#include <string>

namespace custos::schema {

namespace {
// The reader over one canonical segment. Canonical bytes carry no segment
// table: they are exactly the words of segment 0 (capnp::canonicalize()).
class OneSegmentReader final : public capnp::SegmentArrayMessageReader {
 public:
  OneSegmentReader(kj::ArrayPtr<const capnp::word> segment, capnp::ReaderOptions options)
      : capnp::SegmentArrayMessageReader(kj::arrayPtr(&segment_, 1), options), segment_(segment) {}

 private:
  kj::ArrayPtr<const capnp::word> segment_;
};
}  // namespace

template <typename T>
Result<CanonicalMessage<T>> ReadCanonical(ByteSpan bytes, size_t max_bytes, const char* what) {
  std::string name(what);
  if (bytes.empty()) return Status::InvalidArgument(name + ": empty");
  if (bytes.size() > max_bytes) {
    return Status::InvalidArgument(name + ": " + std::to_string(bytes.size()) +
                                   " bytes is over the limit of " + std::to_string(max_bytes));
  }
  if (bytes.size() % sizeof(capnp::word) != 0) {
    return Status::InvalidArgument(name + ": truncated (length " + std::to_string(bytes.size()) +
                                   " is not a multiple of 8)");
  }
  CanonicalMessage<T> msg;
  msg.size_ = bytes.size();
  msg.words_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(msg.words_.begin(), bytes.data(), bytes.size());
  capnp::ReaderOptions options;
  options.traversalLimitInWords = msg.words_.size() * 2 + 16;
  options.nestingLimit = kMaxNestingDepth;
  std::string problem;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    // The segment reader must outlive every Reader made from it, so it is
    // owned by the message (moved with it: kj::Own keeps its address).
    msg.reader_ = kj::heap<OneSegmentReader>(msg.words_.asPtr(), options);
    if (!msg.reader_->isCanonical()) {
      problem = "not in canonical form";
      return;
    }
    msg.root_ = msg.reader_->template getRoot<T>();
  })) {
    return Status::InvalidArgument(name + ": malformed: " + std::string(e->getDescription().cStr()));
  }
  if (!problem.empty()) return Status::InvalidArgument(name + ": " + problem);
  return std::move(msg);
}

template Result<CanonicalMessage<Statement>> ReadCanonical<Statement>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<SignedSubmission>> ReadCanonical<SignedSubmission>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<LogEntry>> ReadCanonical<LogEntry>(ByteSpan, size_t, const char*);

}  // namespace custos::schema
