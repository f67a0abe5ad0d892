#include "cli/private_data.h"

#include <algorithm>
#include <iostream>

#include "ledger/admission/validate.h"
#include "ledger/storage/clock.h"

namespace custos::cli {

namespace {
constexpr size_t kMaxPrivateFile = 4096;

Result<std::string> StringMember(const nlohmann::json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_string()) {
    return Status::InvalidArgument(std::string("--private: \"") + name + "\" is required, a string");
  }
  return j[name].get<std::string>();
}

// A typo ("nmae") must not pass for an absent optional field.
Status OnlyKnownFields(const nlohmann::json& j) {
  static constexpr std::string_view kKnown[] = {"residentId", "name", "salt"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return Status::InvalidArgument("--private: \"" + key + "\": unknown field (known: residentId, name, salt)");
    }
  }
  return Status::OK();
}

// The "salt" of the file, or a fresh random one.
Result<personal::Attachment> AttachmentOf(const nlohmann::json& j) {
  CUSTOS_RETURN_IF_ERROR(OnlyKnownFields(j));
  personal::Person person;
  CUSTOS_ASSIGN_OR_RETURN(std::string typed_id, StringMember(j, "residentId"));
  // As typed; the payload holds GB 11643's one spelling ("…x" is "…X"). The
  // statement is signed now, and the node checks the id at its time again.
  const int64_t now = SystemClock().NowMillis();
  auto id = ledger::NormalizeResidentId(typed_id, now);
  if (!id.ok()) return id.status().WithContext("private.payload.id").WithContext("--private");
  person.resident_id = std::move(id).value();
  CUSTOS_ASSIGN_OR_RETURN(person.name, StringMember(j, "name"));
  personal::Attachment a = personal::NewAttachment(person);
  if (j.contains("salt")) {
    CUSTOS_ASSIGN_OR_RETURN(std::string hex, StringMember(j, "salt"));
    auto salt = HexDecode(hex);
    if (!salt || salt->size() != personal::kSaltBytes) {
      return Status::InvalidArgument("--private: \"salt\" must be 64 hex digits (32 bytes)");
    }
    a.salt = std::move(*salt);
  }
  CUSTOS_RETURN_IF_ERROR(personal::ParsePayload(a.payload, now).status().WithContext("--private"));
  return a;
}
// The statement's body.subjectListed when it is an object; nullptr otherwise
// (malformed statements too: PrepareSubmission names what is wrong with them).
nlohmann::json* ListedMember(nlohmann::json& statement) {
  if (!statement.is_object()) return nullptr;
  auto body = statement.find("body");
  if (body == statement.end() || !body->is_object()) return nullptr;
  auto listed = body->find("subjectListed");
  return listed != body->end() && listed->is_object() ? &*listed : nullptr;
}

bool ListsAPerson(const nlohmann::json& listed) {
  auto kind = listed.find("subjectKind");
  return kind != listed.end() && kind->is_string() && *kind == "residentId";
}
}  // namespace

Result<BoundStatement> BindPrivate(const std::string& private_file, const std::string& statement_json) {
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadFileLimited(private_file, kMaxPrivateFile, "--private"));
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("--private: " + private_file + " is not a JSON object");
  CUSTOS_ASSIGN_OR_RETURN(personal::Attachment a, AttachmentOf(j));
  auto s = nlohmann::json::parse(statement_json, nullptr, /*allow_exceptions=*/false);
  nlohmann::json* listed = ListedMember(s);
  if (listed == nullptr) {
    return Status::InvalidArgument("--private: the statement is not a subjectListed; only a listing carries a private payload");
  }
  if (!ListsAPerson(*listed)) {
    return Status::InvalidArgument("--private: body.subjectListed.subjectKind must be \"residentId\" (a person)");
  }
  if (listed->contains("privateDigest") && !(*listed)["privateDigest"].is_string()) {
    return Status::InvalidArgument("body.subjectListed.privateDigest: must be a hex string");
  }
  const std::string digest = HexEncode(personal::PrivateDigest(a.salt, a.payload).span());
  auto given = listed->find("privateDigest");
  if (given == listed->end() || *given == "") {
    (*listed)["privateDigest"] = digest;
  } else if (*given != digest) {
    return Status::InvalidArgument(
        "body.subjectListed.privateDigest: is not SHA-256(salt || payload) of --private (give the \"salt\" it was "
        "made with, or leave privateDigest out and custos fills it in)");
  }
  return BoundStatement{s.dump(), std::move(a)};
}

Result<std::vector<std::optional<personal::Attachment>>> BindPrivates(const std::string& private_file, const std::string& batch_file,
                                                                      std::vector<StatementLine>& lines) {
  std::vector<std::optional<personal::Attachment>> out;
  if (private_file.empty()) {
    // Said here as the log would say it, before the statement's empty digest
    // fails validation with a message about a field the user never wrote.
    for (const auto& line : lines) {
      auto s = nlohmann::json::parse(line.json, nullptr, /*allow_exceptions=*/false);
      const nlohmann::json* listed = ListedMember(s);
      if (listed != nullptr && ListsAPerson(*listed)) return personal::MissingPayloadError().WithContext(line.where);
    }
    return out;
  }
  if (!batch_file.empty() || lines.size() != 1) {
    return Status::InvalidArgument("--private: goes with --statement FILE.json (one listing), not --batch");
  }
  CUSTOS_ASSIGN_OR_RETURN(BoundStatement bound, BindPrivate(private_file, lines[0].json));
  lines[0].json = std::move(bound.json);
  out.emplace_back(std::move(bound.attachment));
  return out;
}

Result<nlohmann::json> PrivateJson(const Hash& digest, const std::optional<personal::Attachment>& held) {
  if (!held) return nlohmann::json{{"state", "redacted"}};
  if (personal::PrivateDigest(held->salt, held->payload) != digest) {
    return Status::Corruption("private payload: does not hash to the entry's privateDigest");
  }
  // A payload the node took was valid at its listing's time, which is past.
  CUSTOS_ASSIGN_OR_RETURN(personal::Person p, personal::ParsePayload(held->payload, SystemClock().NowMillis()));
  return nlohmann::json{{"state", "held"}, {"residentId", p.resident_id}, {"name", p.name},
                        {"salt", HexEncode(held->salt)}};
}

void PrintEntryJson(const std::string& entry_json, const nlohmann::json& private_member) {
  if (private_member.is_null()) {
    std::cout << entry_json << "\n";
    return;
  }
  auto j = nlohmann::ordered_json::parse(entry_json);  // keeps the entry's field order
  j["private"] = private_member;
  std::cout << j.dump(2) << "\n";
}

}  // namespace custos::cli
