#include "schema/canonical.h"

#include <capnp/dynamic.h>
#include <kj/exception.h>

#include <cstring>
#include <string>

#include "schema/well_formed.h"

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

// capnp's isCanonical() lets through bits that no reader sees, such as the
// top bits of an inline-composite list's element count: canonical bytes are
// also exactly what canonicalising their value gives back.
template <typename Reader>
bool ReencodesExactly(Reader root, kj::ArrayPtr<const capnp::word> words) {
  kj::Array<capnp::word> again = capnp::canonicalize(root);
  return again.size() == words.size() && std::memcmp(again.begin(), words.begin(), words.asBytes().size()) == 0;
}

template <typename T>
std::string TypeName() {
  return capnp::Schema::from<T>().getShortDisplayName().cStr();
}


Status CheckSize(ByteSpan bytes, size_t max_bytes, const std::string& name) {
  if (bytes.empty()) return Status::InvalidArgument(name + ": empty");
  if (bytes.size() > max_bytes) {
    return Status::InvalidArgument(name + ": " + std::to_string(bytes.size()) +
                                   " bytes is over the limit of " + std::to_string(max_bytes));
  }
  if (bytes.size() % sizeof(capnp::word) != 0) {
    return Status::InvalidArgument(name + ": truncated (length " + std::to_string(bytes.size()) +
                                   " is not a multiple of 8)");
  }
  return Status::OK();
}

// Checks that `words` are a canonical T and sets *reader and *root over them.
template <typename T>
Status OpenCanonical(kj::ArrayPtr<const capnp::word> words, kj::Own<capnp::MessageReader>* reader,
                     typename T::Reader* root, const std::string& name) {
  // The canonical check runs with a tight traversal limit. Once the bytes are
  // known to be canonical (every pointer points forward, nothing is shared),
  // no amplification is possible, so the kept reader may be read repeatedly.
  capnp::ReaderOptions check_limits;
  check_limits.traversalLimitInWords = words.size() * 2 + 16;
  check_limits.nestingLimit = kMaxNestingDepth;
  capnp::ReaderOptions read_limits;
  read_limits.traversalLimitInWords = kj::maxValue;
  read_limits.nestingLimit = kMaxNestingDepth;
  bool canonical = false;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    if (!OneSegmentReader(words, check_limits).isCanonical()) return;
    *reader = kj::heap<OneSegmentReader>(words, read_limits);
    *root = (*reader)->template getRoot<T>();
    canonical = ReencodesExactly(*root, words);
  })) {
    return Status::InvalidArgument(name + ": not a well-formed " + TypeName<T>() + ": " + DescribeReadError(*e));
  }
  return canonical ? Status::OK() : Status::InvalidArgument(name + ": not in canonical form");
}
}  // namespace

template <typename T>
Result<CanonicalMessage<T>> ReadCanonical(ByteSpan bytes, size_t max_bytes, const char* what) {
  std::string name(what);
  CUSTOS_RETURN_IF_ERROR(CheckSize(bytes, max_bytes, name));
  CanonicalMessage<T> msg;
  msg.size_ = bytes.size();
  msg.words_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(msg.words_.begin(), bytes.data(), bytes.size());
  // The reader must outlive every Reader made from it, so the message owns
  // it (kj::Own keeps its address when the message moves).
  CUSTOS_RETURN_IF_ERROR(OpenCanonical<T>(msg.words_.asPtr(), &msg.reader_, &msg.root_, name));
  // Canonical bytes can still hold a text without its NUL, an enum value or
  // a union member this build does not know, or bits outside the known
  // fields; checked once here, so that no later accessor can throw.
  CUSTOS_RETURN_IF_ERROR(CheckWellFormed(capnp::toDynamic(msg.root_)).WithContext(name));
  return msg;
}

template Result<CanonicalMessage<Statement>> ReadCanonical<Statement>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<SignedSubmission>> ReadCanonical<SignedSubmission>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<LogEntry>> ReadCanonical<LogEntry>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<EvidenceBundle>> ReadCanonical<EvidenceBundle>(ByteSpan, size_t, const char*);
template Result<CanonicalMessage<ListingAnswer>> ReadCanonical<ListingAnswer>(ByteSpan, size_t, const char*);

}  // namespace custos::schema
