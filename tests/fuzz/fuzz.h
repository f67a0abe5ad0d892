// What the libFuzzer targets (tests/fuzz) share. A target feeds the bytes
// to every reader of its decoder; a throw, a sanitizer report or a failed
// FUZZ_CHECK is what libFuzzer reports as a crash.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "crypto/bytes.h"
#include "schema/canonical.h"

// A property every input must keep; aborts (a finding) when it does not.
#define FUZZ_CHECK(condition)                                                              \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

namespace custos::fuzz {

inline ByteSpan BytesOf(const uint8_t* data, size_t size) { return ByteSpan(data, size); }
inline std::string_view TextOf(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// What ReadCanonical accepted is exactly the canonical encoding of its value:
// no second encoding of a record gets through.
template <typename T>
void CheckReencodes(const schema::CanonicalMessage<T>& message) {
  const Bytes again = schema::Canonicalize(message.get());
  FUZZ_CHECK(again.size() == message.bytes().size());
  FUZZ_CHECK(std::equal(again.begin(), again.end(), message.bytes().begin()));
}

}  // namespace custos::fuzz
