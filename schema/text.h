// The one helper for Cap'n Proto text: a Text::Reader copied into a
// std::string (its bytes, embedded NULs included). Thread-safe.
#pragma once

#include <capnp/common.h>
#include <capnp/blob.h>

#include <string>

namespace custos {

inline std::string Str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

}  // namespace custos
