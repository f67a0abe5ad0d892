#include "crypto/text.h"

#include <cstdio>
#include <ctime>
#include <limits>

namespace custos {

namespace {

constexpr int64_t kBeijingOffsetMs = 8 * 3600 * 1000;

struct Civil {
  std::tm tm{};
  int millis = 0;
};

// Splits `ms` into a UTC calendar time and its milliseconds, rounding toward
// the past, so that -1 ms is 1969-12-31T23:59:59.999Z.
Civil ToCivil(int64_t ms) {
  int64_t secs = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  Civil out;
  const std::time_t t = static_cast<std::time_t>(secs);
  gmtime_r(&t, &out.tm);
  out.millis = static_cast<int>(millis);
  return out;
}

std::string Format(const Civil& c, const char* pattern, bool with_millis) {
  char buf[64];
  const std::tm& tm = c.tm;
  if (with_millis) {
    std::snprintf(buf, sizeof buf, pattern, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                  tm.tm_sec, c.millis);
  } else {
    std::snprintf(buf, sizeof buf, pattern, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
  }
  return buf;
}

}  // namespace

bool NextLine(std::string_view* text, std::string_view* line) {
  const size_t nl = text->find('\n');
  if (nl == std::string_view::npos) return false;
  *line = text->substr(0, nl);
  text->remove_prefix(nl + 1);
  return true;
}

std::string FormatUtc(int64_t ms) {
  return Format(ToCivil(ms), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", true);
}

std::string FormatUtcSeconds(int64_t ms) { return Format(ToCivil(ms), "%04d-%02d-%02dT%02d:%02d:%02dZ", false); }

std::string FormatBeijing(int64_t ms) {
  // Times can come from outside (a bundle's fields): no signed overflow at the top.
  const int64_t local = ms > std::numeric_limits<int64_t>::max() - kBeijingOffsetMs ? std::numeric_limits<int64_t>::max()
                                                                                     : ms + kBeijingOffsetMs;
  return Format(ToCivil(local), "%04d-%02d-%02d %02d:%02d:%02d UTC+08:00", false);
}

}  // namespace custos
