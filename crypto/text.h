// Text helpers every layer's formats share: reading a text format line by
// line, and the one way times are written (UTC for formats and machines,
// Beijing time for people). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace custos {

// Splits off the next '\n'-terminated line of `*text` into `*line` (without
// the '\n') and advances `*text` past it; false, with nothing changed, if
// `*text` holds no '\n' (an unterminated last line is not a line).
bool NextLine(std::string_view* text, std::string_view* line);

// `ms` (milliseconds since the Unix epoch; negative ones are before it) as
// RFC 3339 UTC: "2024-05-01T00:00:00.000Z" with milliseconds,
// "2024-05-01T00:00:00Z" by FormatUtcSeconds (the milliseconds dropped).
std::string FormatUtc(int64_t ms);
std::string FormatUtcSeconds(int64_t ms);
// The same instant in Beijing time (UTC+8, no daylight saving), the zone
// shown: "2024-05-01 08:00:00 UTC+08:00".
std::string FormatBeijing(int64_t ms);

}  // namespace custos
