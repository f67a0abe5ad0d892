// Strict reading of the JSON objects of the configuration files (the
// federation file here, the node's config file in node/): an unknown field,
// a missing one or a value of the wrong form is refused with InvalidArgument
// whose message starts with the file and names the field's path, e.g.
//   "federation f.json: peers[2].address: …".
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace custos::trust {

// `text` as a JSON object. InvalidArgument "LABEL: not valid JSON" or
// "LABEL: must be a JSON object".
Result<nlohmann::json> ParseJsonObject(std::string_view text, std::string_view label);

// Reads the fields of one JSON object, which it borrows (it must outlive the
// reader). `path` is the object's path with a trailing '.', "" for the root.
class JsonObjectReader {
 public:
  JsonObjectReader(const nlohmann::json& object, std::string label, std::string path)
      : object_(object), label_(std::move(label)), path_(std::move(path)) {}

  // InvalidArgument "LABEL: PATHFIELD: WHAT".
  Status Error(std::string_view field, const std::string& what) const;
  // Refuses fields not in `known` (a typo must not be ignored).
  Status OnlyKnown(std::initializer_list<std::string_view> known) const;

  bool Has(std::string_view field) const { return object_.contains(std::string(field)); }
  const nlohmann::json& Get(std::string_view field) const { return object_.at(std::string(field)); }

  // A required non-empty string; with a fallback, an optional one.
  Result<std::string> String(std::string_view field, std::optional<std::string> fallback = std::nullopt) const;
  // An optional whole number from `min` to `max`; `fallback` when absent.
  Result<uint32_t> Whole(std::string_view field, uint32_t fallback, uint32_t min, uint32_t max) const;

  std::string Path(std::string_view field) const { return path_ + std::string(field); }
  const std::string& label() const { return label_; }

 private:
  const nlohmann::json& object_;
  std::string label_;
  std::string path_;
};

}  // namespace custos::trust
