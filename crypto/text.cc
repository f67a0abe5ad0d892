#include "crypto/text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>

#include "crypto/utf8.h"

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

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

Result<int64_t> ParseTime(std::string_view text, std::string_view field) {
  uint64_t ms = 0;
  if (ParseDecimal(text, &ms) && ms > 0 && ms < (uint64_t{1} << 62)) return static_cast<int64_t>(ms);
  const std::string copy(text);  // strptime wants a NUL-terminated string
  std::tm tm{};
  const char* rest = strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  int millis = 0;
  if (rest != nullptr && *rest == '.') {
    char* end = nullptr;
    millis = static_cast<int>(std::strtol(rest + 1, &end, 10));
    rest = end - rest == 4 ? end : nullptr;
  }
  if (rest == nullptr || std::string_view(rest) != "Z" || copy.size() != std::strlen(copy.c_str())) {
    return Status::InvalidArgument(std::string(field) + ": \"" + copy +
                                   "\" is neither milliseconds since the epoch nor a UTC time like 2024-05-01T00:00:00Z");
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string_view DescribeFileKind(std::string_view bytes) {
  if (bytes.empty()) return "empty";
  if (bytes.starts_with("%PDF-")) return "a PDF document";
  if (bytes.starts_with("\x89PNG")) return "a PNG image";
  if (bytes.starts_with("\xFF\xD8\xFF")) return "a JPEG image";
  if (bytes.starts_with("PK\x03\x04")) return "a ZIP archive";
  if (bytes.starts_with("\x7F" "ELF")) return "a program";
  const bool text = IsValidUtf8(bytes) && std::none_of(bytes.begin(), bytes.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7F;
  });
  if (!text) return "binary data";
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (bytes[first] == '{' || bytes[first] == '[')) return "JSON text";
  if (bytes.find("\n\n\u2014 ") != std::string_view::npos) return "a signed note";
  return "text";
}

}  // namespace custos
