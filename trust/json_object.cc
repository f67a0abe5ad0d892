#include "trust/json_object.h"

#include <algorithm>

#include "crypto/text.h"

namespace custos::trust {

using nlohmann::json;

namespace {
std::string Join(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}
// Why `text` is not JSON, in words: what the file is when it is not text at
// all, else where the JSON breaks ("not valid JSON (line 3, column 14)").
std::string DescribeJsonError(std::string_view text) {
  const std::string_view kind = DescribeFileKind(text);
  if (kind != "JSON text" && kind != "text") return "not JSON: the file is " + std::string(kind);
  size_t at = 0;
  try {
    const json parsed = json::parse(text);  // throws: the text did not parse above
    at = parsed.is_discarded() ? 0 : text.size();
  } catch (const json::parse_error& e) {
    at = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());
  }
  const std::string_view before = text.substr(0, at);
  const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t newline = before.rfind('\n');
  const size_t column = 1 + (newline == std::string_view::npos ? at : at - newline - 1);
  return "not valid JSON (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
}
}  // namespace

Result<json> ParseJsonObject(std::string_view text, std::string_view label) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(std::string(label) + ": " + DescribeJsonError(text));
  if (!j.is_object()) return Status::InvalidArgument(std::string(label) + ": must be a JSON object");
  return j;
}

Status JsonObjectReader::Error(std::string_view field, const std::string& what) const {
  return Status::InvalidArgument(label_ + ": " + path_ + std::string(field) + ": " + what);
}

Status JsonObjectReader::OnlyKnown(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : object_.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Error(key, "unknown field (known: " + Join(known) + ")");
    }
  }
  return Status::OK();
}

Result<std::string> JsonObjectReader::String(std::string_view field, std::optional<std::string> fallback) const {
  if (!Has(field)) {
    if (fallback) return *fallback;
    return Error(field, "missing (a string is required)");
  }
  const json& v = Get(field);
  if (!v.is_string()) return Error(field, "must be a string");
  auto s = v.get<std::string>();
  if (s.empty()) return Error(field, "must not be empty");
  return s;
}

Result<uint32_t> JsonObjectReader::Whole(std::string_view field, uint32_t fallback, uint32_t min, uint32_t max) const {
  if (!Has(field)) return fallback;
  const json& v = Get(field);
  if (!v.is_number_unsigned() || v.get<uint64_t>() < min || v.get<uint64_t>() > max) {
    return Error(field, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<uint32_t>(v.get<uint64_t>());
}

}  // namespace custos::trust
