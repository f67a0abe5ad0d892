// Canonical Cap'n Proto bytes for Custos records (docs/entry-format.md).
//
// Canonical form is what gets signed and hashed; a reader over canonical bytes
// is obtained only through ReadCanonical, which refuses anything that is not
// exactly canonical, oversized, or too deep.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "schema/bundle.capnp.h"
#include "schema/custos.capnp.h"
#include "schema/listing.capnp.h"

namespace custos::schema {

// Limits on any record a node accepts. A statement above kMaxStatementBytes is
// refused before it is parsed.
inline constexpr size_t kMaxStatementBytes = 64 * 1024;
inline constexpr size_t kMaxEntryBytes = kMaxStatementBytes + 1024;
inline constexpr int kMaxNestingDepth = 16;

// The canonical bytes of `reader` (a single segment, words as bytes).
template <typename Reader>
Bytes Canonicalize(Reader reader) {
  kj::Array<capnp::word> words = capnp::canonicalize(reader);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

// Owns the bytes and exposes a reader over them. Movable, not copyable.
template <typename T>
class CanonicalMessage {
 public:
  typename T::Reader get() const { return root_; }
  ByteSpan bytes() const { return {reinterpret_cast<const uint8_t*>(words_.begin()), size_}; }

 private:
  template <typename U>
  friend Result<CanonicalMessage<U>> ReadCanonical(ByteSpan bytes, size_t max_bytes, const char* what);
  kj::Array<capnp::word> words_;
  size_t size_ = 0;
  kj::Own<capnp::MessageReader> reader_;
  typename T::Reader root_;
};

// Parses `bytes` as a canonical T and checks it whole (CheckWellFormed,
// schema/well_formed.h), so that no accessor of the returned message throws.
// Never throws. Fails with InvalidArgument whose message starts with `what`
// when the bytes are empty, not word-aligned, larger than `max_bytes`, too
// deep or too large for the traversal limit, not a well-formed message
// ("<what>: not a well-formed <Type>: a pointer leads outside the message"),
// not in canonical form, or when a field is not what its schema allows
// ("<what>: <field path>: text without its NUL terminator"): a text without
// its NUL or not UTF-8, an enum value or union member this build does not
// know, bits or pointers outside the fields it knows. Callers reading stored
// or peer data report such a failure as Corruption (AsCorruption, below).
template <typename T>
Result<CanonicalMessage<T>> ReadCanonical(ByteSpan bytes, size_t max_bytes, const char* what);

// `read` with a failure turned into Corruption, same message: for callers
// of ReadCanonical on bytes they stored or a peer signed, where a refusal
// means damage rather than bad input.
template <typename T>
Result<T> AsCorruption(Result<T> read) {
  if (read.ok()) return read;
  return Status::Corruption(read.status().message());
}

extern template Result<CanonicalMessage<Statement>> ReadCanonical<Statement>(ByteSpan, size_t, const char*);
extern template Result<CanonicalMessage<SignedSubmission>> ReadCanonical<SignedSubmission>(ByteSpan, size_t, const char*);
extern template Result<CanonicalMessage<LogEntry>> ReadCanonical<LogEntry>(ByteSpan, size_t, const char*);
extern template Result<CanonicalMessage<EvidenceBundle>> ReadCanonical<EvidenceBundle>(ByteSpan, size_t, const char*);
extern template Result<CanonicalMessage<ListingAnswer>> ReadCanonical<ListingAnswer>(ByteSpan, size_t, const char*);

}  // namespace custos::schema
