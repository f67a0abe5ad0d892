// Text helpers every layer's formats share: reading a text format line by
// line, and the one way times are written (UTC for formats and machines,
// Beijing time for people). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace custos {

// Splits off the next '\n'-terminated line of `*text` into `*line` (without
// the '\n') and advances `*text` past it; false, with nothing changed, if
// `*text` holds no '\n' (an unterminated last line is not a line).
bool NextLine(std::string_view* text, std::string_view* line);

// Parses a decimal u64 with no sign, no leading zeros (except "0"), no overflow.
bool ParseDecimal(std::string_view s, uint64_t* out);

// `ms` (milliseconds since the Unix epoch; negative ones are before it) as
// RFC 3339 UTC: "2024-05-01T00:00:00.000Z" with milliseconds,
// "2024-05-01T00:00:00Z" by FormatUtcSeconds (the milliseconds dropped).
std::string FormatUtc(int64_t ms);
std::string FormatUtcSeconds(int64_t ms);
// The same instant in Beijing time (UTC+8, no daylight saving), the zone
// shown: "2024-05-01 08:00:00 UTC+08:00".
std::string FormatBeijing(int64_t ms);

// Milliseconds since the epoch (positive, below 2^62), or an RFC 3339 UTC
// time ("2024-05-01T00:00:00Z", optionally with .mmm). InvalidArgument
// naming `field` otherwise.
Result<int64_t> ParseTime(std::string_view text, std::string_view field);

// One field of a CSV row (RFC 4180): as it is, or in double quotes (doubled
// inside) if it holds a comma, a quote or a line break.
std::string CsvField(std::string_view field);

// `text` for HTML text and attribute values: & < > " ' as entities.
std::string HtmlEscape(std::string_view text);

// What a file that was not what a command expected looks like, for its
// error sentence: "empty", "JSON text", "a signed note", "a PDF document",
// "a PNG image", "a JPEG image", "a ZIP archive", "a program", "text" (UTF-8
// without control characters but tab and line breaks) or "binary data".
std::string_view DescribeFileKind(std::string_view bytes);

}  // namespace custos
