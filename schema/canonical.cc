#include "schema/canonical.h"

#include <kj/exception.h>

#include <string>

namespace custos::schema {

namespace {
// The reader over one canonical segment. Canonical bytes carry no segment
// table: they are exactly the words of segment 0 (capnp::canonicalize()).
struct SegmentHolder {
  kj::ArrayPtr<const capnp::word> segment;
};
// Base-from-member: the segment pointer must exist before the reader base
// that refers to it is constructed.
class OneSegmentReader final : private SegmentHolder, public capnp::SegmentArrayMessageReader {
 public:
  OneSegmentReader(kj::ArrayPtr<const capnp::word> words, capnp::ReaderOptions limits)
      : SegmentHolder{words}, capnp::SegmentArrayMessageReader(kj::arrayPtr(&segment, 1), limits) {}
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
  // The canonical check runs with a tight traversal limit. Once the bytes are
  // known to be canonical (every pointer points forward, nothing is shared),
  // no amplification is possible, so the kept reader may be read repeatedly.
  capnp::ReaderOptions check_limits;
  check_limits.traversalLimitInWords = msg.words_.size() * 2 + 16;
  check_limits.nestingLimit = kMaxNestingDepth;
  capnp::ReaderOptions read_limits;
  read_limits.traversalLimitInWords = kj::maxValue;
  read_limits.nestingLimit = kMaxNestingDepth;
  std::string problem;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    OneSegmentReader checker(msg.words_.asPtr(), check_limits);
    if (!checker.isCanonical()) {
      problem = "not in canonical form";
      return;
    }
    // The reader must outlive every Reader made from it, so the message owns
    // it (kj::Own keeps its address when the message moves).
    msg.reader_ = kj::heap<OneSegmentReader>(msg.words_.asPtr(), read_limits);
    msg.root_ = msg.reader_->template getRoot<T>();
  })) {
    return Status::InvalidArgument(name + ": malformed: " + std::string(e->getDescription().cStr()));
  }
  if (!problem.empty()) return Status::InvalidArgument(name + ": " + problem);
  return msg;
}

template Result<CanonicalMessage<Statement>> ReadCanonical<Statement>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<SignedSubmission>> ReadCanonical<SignedSubmission>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<LogEntry>> ReadCanonical<LogEntry>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<EvidenceBundle>> ReadCanonical<EvidenceBundle>(ByteSpan, size_t, const char*);

}  // namespace custos::schema
