#include "ledger/personal/private_data.h"

#include <leveldb/db.h>
#include <sodium.h>

#include "crypto/sha256.h"
#include "ledger/admission/validate.h"
#include "ledger/rules/rules.h"
#include "ledger/storage/store.h"
#include "schema/canonical.h"

namespace custos::personal {

namespace {

constexpr uint8_t kRecordVersion = 1;
constexpr char kKindLine[] = "kind residentId";

Status Bad(const std::string& field, const std::string& why) { return Status::InvalidArgument(field + ": " + why); }

// The value of a payload line "<tag> <value>".
Result<std::string_view> Field(std::string_view line, std::string_view tag) {
  if (line.size() <= tag.size() || line.substr(0, tag.size()) != tag || line[tag.size()] != ' ') {
    return Bad("private.payload", "expected a line \"" + std::string(tag) + " …\"");
  }
  return line.substr(tag.size() + 1);
}

Status CheckName(std::string_view name) {
  const std::string field = "private.payload.name";
  if (name.empty()) return Bad(field, "required");
  if (name.size() > kMaxNameBytes) {
    return Bad(field, std::to_string(name.size()) + " bytes, over the limit of " + std::to_string(kMaxNameBytes));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return Bad(field, "holds a control character");
  }
  if (name.front() == ' ' || name.back() == ' ') return Bad(field, "starts or ends with a space");
  return Status::OK();
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back(text);  // an unterminated last line: not canonical
      break;
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

std::string CanonicalPayload(const Person& person) {
  return std::string(kPayloadHeader) + "\n" + kKindLine + "\nid " + person.resident_id + "\nname " + person.name + "\n";
}

Result<Person> ParsePayload(std::string_view payload, int64_t at_ms) {
  auto lines = Lines(payload);
  if (lines.size() != 4 || lines[0] != kPayloadHeader || lines[1] != kKindLine) {
    return Bad("private.payload", "not a canonical payload (want the 4 lines \"" + std::string(kPayloadHeader) +
                                      "\", \"" + kKindLine + "\", \"id …\", \"name …\"; docs/personal-data.md)");
  }
  Person p;
  CUSTOS_ASSIGN_OR_RETURN(std::string_view id, Field(lines[2], "id"));
  CUSTOS_ASSIGN_OR_RETURN(std::string_view name, Field(lines[3], "name"));
  CUSTOS_RETURN_IF_ERROR(ledger::ValidateResidentId(id, at_ms).WithContext("private.payload.id"));
  CUSTOS_RETURN_IF_ERROR(CheckName(name));
  p.resident_id = std::string(id);
  p.name = std::string(name);
  if (CanonicalPayload(p) != payload) return Bad("private.payload", "not canonical (docs/personal-data.md)");
  return p;
}

Hash PrivateDigest(ByteSpan salt, std::string_view payload) {
  Sha256& h = ThreadSha256();
  h.Update(salt);
  h.Update(payload);
  return h.Finish();
}

Attachment NewAttachment(const Person& person) {
  Attachment a;
  a.salt.resize(kSaltBytes);
  randombytes_buf(a.salt.data(), a.salt.size());
  a.payload = CanonicalPayload(person);
  return a;
}

std::string EncodeRecord(const Attachment& a) {
  std::string out(1, static_cast<char>(kRecordVersion));
  out.append(AsString(a.salt));
  out.append(a.payload);
  return out;
}

std::optional<Attachment> DecodeRecord(std::string_view bytes) {
  if (bytes.size() < 1 + kSaltBytes || static_cast<uint8_t>(bytes[0]) != kRecordVersion) return std::nullopt;
  Attachment a;
  auto salt = AsBytes(bytes.substr(1, kSaltBytes));
  a.salt.assign(salt.begin(), salt.end());
  a.payload = std::string(bytes.substr(1 + kSaltBytes));
  return a;
}

std::optional<Hash> ListedDigest(schema::Statement::Reader statement) {
  auto body = statement.getBody();
  if (!body.isSubjectListed()) return std::nullopt;
  auto l = body.getSubjectListed();
  if (l.getSubjectKind() != schema::PartyKind::RESIDENT_ID) return std::nullopt;
  auto d = l.getPrivateDigest();
  return Hash::FromSpan(ByteSpan(d.begin(), d.size()));
}

std::optional<Hash> EntryListedDigest(ByteSpan entry) {
  auto e = schema::ReadCanonical<schema::LogEntry>(entry, schema::kMaxEntryBytes, "entry");
  if (!e.ok()) return std::nullopt;
  auto bytes = e->get().getSubmission().getStatement();
  auto st = schema::ReadCanonical<schema::Statement>(ByteSpan(bytes.begin(), bytes.size()), schema::kMaxStatementBytes,
                                                     "statement");
  if (!st.ok()) return std::nullopt;
  return ListedDigest(st->get());
}

Status MissingPayloadError() {
  return Bad("private", "a listing of a person needs its private payload (the name and id number, with the salt of "
                        "privateDigest); give it with `custos submit --private FILE` (docs/personal-data.md)");
}

Status CheckAttachment(schema::Statement::Reader statement, const Attachment& a) {
  auto digest = ListedDigest(statement);
  if (!digest) {
    return Bad("private", "the statement is not a listing of a person (subjectListed with subjectKind residentId); "
                          "only such a listing carries a private payload");
  }
  if (a.salt.size() != kSaltBytes) {
    return Bad("private.salt", std::to_string(a.salt.size()) + " bytes; it must be " + std::to_string(kSaltBytes));
  }
  CUSTOS_RETURN_IF_ERROR(ParsePayload(a.payload, statement.getTime()).status());
  if (PrivateDigest(a.salt, a.payload) != *digest) {
    return Bad("body.subjectListed.privateDigest", "is not SHA-256(salt || payload) of the private payload given");
  }
  return Status::OK();
}

std::optional<uint64_t> DelistedIndex(schema::Statement::Reader statement, std::string_view origin) {
  auto body = statement.getBody();
  if (!body.isSubjectDelisted()) return std::nullopt;
  auto ref = body.getSubjectDelisted().getListing();
  auto o = ref.getOrigin();
  if (std::string_view(o.cStr(), o.size()) != origin) return std::nullopt;
  return ref.getIndex();
}

// ------------------------------------------------------------ storage

void PutPayload(leveldb::WriteBatch& batch, layout::LogNumber log, uint64_t index, const Attachment& a) {
  batch.Put(layout::PrivateKey(log, index), EncodeRecord(a));
}

void DeletePayload(leveldb::WriteBatch& batch, layout::LogNumber log, uint64_t index) {
  batch.Delete(layout::PrivateKey(log, index));
}

Result<std::optional<Attachment>> ReadPayload(const Store& store, layout::LogNumber log, uint64_t index) {
  CUSTOS_ASSIGN_OR_RETURN(auto raw, store.Get(layout::PrivateKey(log, index)));
  if (!raw) return std::optional<Attachment>();
  auto a = DecodeRecord(*raw);
  if (!a) return Status::Corruption("private payload of entry " + std::to_string(index) + ": malformed record");
  return std::optional<Attachment>(std::move(*a));
}

Result<size_t> SweepExpired(Store& store, int64_t now) {
  leveldb::WriteBatch batch;
  std::vector<std::string> deleted;
  const std::string prefix(1, layout::kPrivatePrefix);
  CUSTOS_RETURN_IF_ERROR(store.ScanPrefix(prefix, [&](std::string_view key, std::string_view) -> Status {
    if (key.size() != 1 + 4 + 8) return Status::Corruption("private payload: malformed key");
    const auto* p = reinterpret_cast<const uint8_t*>(key.data()) + 1;
    const layout::LogNumber log = GetBigEndian32(p);
    const uint64_t index = GetBigEndian64(p + 4);
    CUSTOS_ASSIGN_OR_RETURN(auto raw, store.Get(layout::TargetKey(log, index)));
    std::optional<rules::TargetRecord> listing;
    if (raw) listing = rules::TargetRecord::Decode(*raw);
    // A payload without its listing's record is an orphan: delete it too.
    if (listing && listing->kind == rules::TargetKind::kListing && listing->publication_ends > now) return Status::OK();
    deleted.emplace_back(key);
    batch.Delete(deleted.back());
    return Status::OK();
  }));
  if (deleted.empty()) return size_t{0};
  CUSTOS_RETURN_IF_ERROR(store.Write(batch));
  CUSTOS_RETURN_IF_ERROR(store.CompactErased(deleted));
  return deleted.size();
}

}  // namespace custos::personal
