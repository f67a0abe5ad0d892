// The one set of helpers between Cap'n Proto blobs and our types: a
// Text::Reader copied into a std::string (its bytes, embedded NULs included),
// a Data::Reader viewed as bytes, bytes viewed as a Data::Reader, and a string
// viewed as a Text::Reader. The
// views borrow; they live as long as what they view. Thread-safe.
#pragma once

#include <capnp/blob.h>
#include <capnp/common.h>

#include <string>
#include <string_view>

#include "crypto/bytes.h"

namespace custos {

inline std::string Str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

inline ByteSpan Span(capnp::Data::Reader d) { return {d.begin(), d.size()}; }

inline capnp::Data::Reader DataOf(ByteSpan b) { return {b.data(), b.size()}; }

// A string as a Text::Reader of all its bytes. (Cap'n Proto's own conversion
// from a std::string reads it up to its first NUL.)
inline capnp::Text::Reader TextOf(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace custos
