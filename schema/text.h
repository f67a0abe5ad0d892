// The one set of helpers between Cap'n Proto blobs and our types: a
// Text::Reader copied into a std::string (its bytes, embedded NULs included),
// a Data::Reader viewed as bytes, and bytes viewed as a Data::Reader. The
// views borrow; they live as long as what they view. Thread-safe.
#pragma once

#include <capnp/blob.h>
#include <capnp/common.h>

#include <string>

#include "crypto/bytes.h"

namespace custos {

inline std::string Str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

inline ByteSpan Span(capnp::Data::Reader d) { return {d.begin(), d.size()}; }

inline capnp::Data::Reader DataOf(ByteSpan b) { return {b.data(), b.size()}; }

}  // namespace custos
