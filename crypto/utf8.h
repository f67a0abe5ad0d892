// UTF-8 decoding as Go's unicode/utf8 does it, shared by the signed-note
// parser (note.h) and the schema's check of Cap'n Proto text
// (schema/well_formed.h).
#pragma once

#include <cstddef>
#include <string_view>

namespace custos {

// Decodes the UTF-8 sequence at s[*i] (requires *i < s.size()) into *cp and
// advances *i past it. Returns false for what Go's utf8.DecodeRune turns into
// RuneError: a truncated or overlong sequence, a surrogate, a code point above
// U+10FFFF; *i and *cp are then unspecified.
bool NextRune(std::string_view s, size_t* i, char32_t* cp);

// Whether all of `s` is valid UTF-8 by NextRune (U+0000 included).
bool IsValidUtf8(std::string_view s);

}  // namespace custos
