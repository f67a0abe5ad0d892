#include "crypto/utf8.h"

#include <cstdint>

namespace custos {

bool NextRune(std::string_view s, size_t* i, char32_t* cp) {
  const auto b0 = static_cast<uint8_t>(s[*i]);
  size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    *cp = b0;
    *i += 1;
    return true;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return false;
  }
  if (s.size() - *i < len) return false;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[*i + k]);
    if ((b & 0xC0) != 0x80) return false;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  *i += len;
  return *cp >= min && *cp <= 0x10FFFF && (*cp < 0xD800 || *cp > 0xDFFF);
}

bool IsValidUtf8(std::string_view s) {
  char32_t cp = 0;
  for (size_t i = 0; i < s.size();) {
    if (!NextRune(s, &i, &cp)) return false;
  }
  return true;
}

}  // namespace custos
