#include "schema/json.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "schema/canonical.h"

namespace custos::schema {

namespace {

// Id of the `hex` annotation in capnp/compat/json.capnp; the generated header
// declares its schema but names no constant for it.
constexpr uint64_t kJsonHexAnnotationId = 0xf061e22f0ae5c7b5;

// JSON nesting allowed on input. A statement nests about six levels deep
// (statement, body, kind, list, element, field); the margin is for evolution.
constexpr size_t kMaxJsonDepth = 32;

// Largest integer a JSON number (an IEEE double) carries exactly, 2^53.
constexpr double kMaxExactJsonInteger = 9007199254740992.0;

bool IsHexField(capnp::StructSchema::Field field) {
  for (auto annotation : field.getProto().getAnnotations()) {
    if (annotation.getId() == kJsonHexAnnotationId) return true;
  }
  return false;
}

// kj exceptions describe the failed condition first ("expected x; reason");
// users need the reason only.
std::string KjReason(const kj::Exception& e) {
  std::string text = e.getDescription().cStr();
  if (text.rfind("expected ", 0) == 0) {
    size_t semi = text.find("; ");
    if (semi != std::string::npos) text = text.substr(semi + 2);
  }
  return text;
}

Bytes HexOrThrow(kj::StringPtr text) {
  auto bytes = HexDecode(std::string_view(text.begin(), text.size()));
  KJ_REQUIRE(bytes.has_value(), "not a hex string", text);
  return std::move(*bytes);
}

// Lower-case hex for Data. Capnp 0.9.2 has its own hex handler but installs it
// only through handleByAnnotation(), which refuses $Json.hex on List(Data)
// (Genesis.adminKeys), so Custos registers these two itself, per field.
// Capnp's Handler base has no virtual destructor; handlers are owned by value
// by Codec and never deleted through the base, hence the local pragma.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class HexHandler final : public capnp::JsonCodec::Handler<capnp::Data> {
 public:
  void encode(const capnp::JsonCodec&, capnp::Data::Reader input,
              capnp::JsonValue::Builder output) const override {
    output.setString(HexEncode(ByteSpan(input.begin(), input.size())));
  }
  capnp::Orphan<capnp::Data> decode(const capnp::JsonCodec&, capnp::JsonValue::Reader input,
                                    capnp::Orphanage orphanage) const override {
    Bytes bytes = HexOrThrow(input.getString());
    return orphanage.newOrphanCopy(capnp::Data::Reader(bytes.data(), bytes.size()));
  }
};

class HexListHandler final : public capnp::JsonCodec::Handler<capnp::List<capnp::Data>> {
 public:
  void encode(const capnp::JsonCodec&, capnp::List<capnp::Data>::Reader input,
              capnp::JsonValue::Builder output) const override {
    auto array = output.initArray(input.size());
    for (unsigned i = 0; i < input.size(); ++i) {
      array[i].setString(HexEncode(ByteSpan(input[i].begin(), input[i].size())));
    }
  }
  capnp::Orphan<capnp::List<capnp::Data>> decode(const capnp::JsonCodec&, capnp::JsonValue::Reader input,
                                                 capnp::Orphanage orphanage) const override {
    auto array = input.getArray();
    auto list = orphanage.newOrphan<capnp::List<capnp::Data>>(array.size());
    for (unsigned i = 0; i < array.size(); ++i) {
      Bytes bytes = HexOrThrow(array[i].getString());
      list.get().set(i, capnp::Data::Reader(bytes.data(), bytes.size()));
    }
    return list;
  }
};
#pragma GCC diagnostic pop

// A JsonCodec set up for Custos records. Built per call: setting it up is a
// walk over a few dozen fields, and a per-call codec needs no locking.
class Codec {
 public:
  explicit Codec(bool pretty) {
    std::set<uint64_t> seen;
    RegisterHexFields(capnp::Schema::from<Statement>(), seen);
    RegisterHexFields(capnp::Schema::from<LogEntry>(), seen);
    codec_.setPrettyPrint(pretty);
    codec_.setMaxNestingDepth(kMaxJsonDepth);
  }
  const capnp::JsonCodec& get() const { return codec_; }

 private:
  void RegisterHexFields(capnp::StructSchema schema, std::set<uint64_t>& seen) {
    if (!seen.insert(schema.getProto().getId()).second) return;
    for (auto field : schema.getFields()) {
      capnp::Type type = field.getType();
      if (IsHexField(field)) {
        RegisterHexField(field, type);
      } else if (type.isStruct()) {
        RegisterHexFields(type.asStruct(), seen);
      } else if (type.isList() && type.asList().getElementType().isStruct()) {
        RegisterHexFields(type.asList().getElementType().asStruct(), seen);
      }
    }
  }
  void RegisterHexField(capnp::StructSchema::Field field, capnp::Type type) {
    if (type.isData()) {
      codec_.addFieldHandler(field, hex_);
    } else if (type.isList() && type.asList().getElementType().isData()) {
      codec_.addFieldHandler(field, hex_list_);
    } else {
      KJ_FAIL_ASSERT("$Json.hex on a field that is neither Data nor List(Data)", field.getProto().getName());
    }
  }

  // Declared before codec_, so they outlive it.
  HexHandler hex_;
  HexListHandler hex_list_;
  capnp::JsonCodec codec_;
};

// ------------------------------------------------------------ strict checking
//
// Capnp's decoder ignores unknown fields (or, when told to reject them, does
// not say where), lets a later duplicate win, sets the first union member when
// a union is absent and truncates odd-length hex. So the parsed JSON value is
// first walked against the schema here, and every error names its path.

std::string Join(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}
std::string Where(const std::string& path) { return path.empty() ? "statement" : path; }

Status Invalid(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(Where(path) + ": " + what);
}

const char* JsonKind(capnp::JsonValue::Reader v) {
  switch (v.which()) {
    case capnp::JsonValue::NULL_: return "null";
    case capnp::JsonValue::BOOLEAN: return "a boolean";
    case capnp::JsonValue::NUMBER: return "a number";
    case capnp::JsonValue::STRING: return "a string";
    case capnp::JsonValue::ARRAY: return "an array";
    case capnp::JsonValue::OBJECT: return "an object";
    case capnp::JsonValue::CALL: return "a function call";
  }
  return "an unknown value";
}

Status Expected(const std::string& path, const std::string& what, capnp::JsonValue::Reader got) {
  return Invalid(path, "expected " + what + ", got " + JsonKind(got));
}

// A group made only of union members, such as Statement.body: exactly one
// member must be given.
bool IsUnionGroup(capnp::StructSchema schema) {
  return schema.getNonUnionFields().size() == 0 && schema.getUnionFields().size() > 0;
}

std::string MemberNames(capnp::StructSchema schema) {
  std::string out;
  for (auto field : schema.getUnionFields()) {
    out += (out.empty() ? "" : ", ") + std::string(field.getProto().getName().cStr());
  }
  return out;
}

// Only Statement.body is a union today; its members are "statement kinds".
std::string UnionNoun(capnp::StructSchema schema) {
  auto body = capnp::Schema::from<Statement>().getFieldByName("body").getType().asStruct();
  return schema == body ? "statement kind" : "union member";
}

Status CheckStruct(capnp::JsonValue::Reader v, capnp::StructSchema schema, const std::string& path);

struct IntRange {
  bool is_signed;
  int64_t min;
  uint64_t max;
};

std::optional<IntRange> IntegerRange(capnp::schema::Type::Which which) {
  using W = capnp::schema::Type::Which;
  auto s = [](auto limits) { return IntRange{true, limits.min(), static_cast<uint64_t>(limits.max())}; };
  auto u = [](auto limits) { return IntRange{false, 0, static_cast<uint64_t>(limits.max())}; };
  switch (which) {
    case W::INT8: return s(std::numeric_limits<int8_t>());
    case W::INT16: return s(std::numeric_limits<int16_t>());
    case W::INT32: return s(std::numeric_limits<int32_t>());
    case W::INT64: return s(std::numeric_limits<int64_t>());
    case W::UINT8: return u(std::numeric_limits<uint8_t>());
    case W::UINT16: return u(std::numeric_limits<uint16_t>());
    case W::UINT32: return u(std::numeric_limits<uint32_t>());
    case W::UINT64: return u(std::numeric_limits<uint64_t>());
    default: return std::nullopt;
  }
}

bool InRange(const IntRange& range, bool negative, uint64_t magnitude) {
  if (!negative) return magnitude <= range.max;
  if (!range.is_signed) return magnitude == 0;
  return magnitude <= static_cast<uint64_t>(-(range.min + 1)) + 1;
}

// Integers come as JSON numbers (exact up to 2^53) or as decimal strings,
// which is how capnp writes 64-bit values.
Status CheckInteger(capnp::JsonValue::Reader v, IntRange range, const std::string& path) {
  bool negative = false;
  uint64_t magnitude = 0;
  if (v.isNumber()) {
    double d = v.getNumber();
    if (!std::isfinite(d) || std::floor(d) != d) return Invalid(path, "expected an integer");
    if (std::fabs(d) > kMaxExactJsonInteger) return Invalid(path, "integer too large for a JSON number; write it as a string");
    negative = d < 0;
    magnitude = static_cast<uint64_t>(std::fabs(d));
  } else if (v.isString()) {
    std::string_view text(v.getString().begin(), v.getString().size());
    negative = !text.empty() && text[0] == '-';
    if (negative) text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude);
    if (ec == std::errc::result_out_of_range) return Invalid(path, "integer out of range");
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      return Invalid(path, "expected an integer, got \"" + std::string(v.getString().cStr()) + "\"");
    }
  } else {
    return Expected(path, "an integer", v);
  }
  if (!InRange(range, negative, magnitude)) return Invalid(path, "integer out of range");
  return Status::OK();
}

Status CheckHexString(capnp::JsonValue::Reader v, const std::string& path) {
  if (!v.isString()) return Expected(path, "a hex string", v);
  std::string_view text(v.getString().begin(), v.getString().size());
  if (text.size() % 2 != 0) return Invalid(path, "hex string has an odd number of digits");
  if (!HexDecode(text)) return Invalid(path, "not a hex string");
  return Status::OK();
}

Status CheckEnum(capnp::JsonValue::Reader v, capnp::EnumSchema schema, const std::string& path) {
  std::string names;
  for (auto e : schema.getEnumerants()) names += (names.empty() ? "" : ", ") + std::string(e.getProto().getName().cStr());
  if (!v.isString()) return Expected(path, "one of " + names, v);
  if (schema.findEnumerantByName(v.getString()) == nullptr) {
    return Invalid(path, "\"" + std::string(v.getString().cStr()) + "\" is not one of " + names);
  }
  return Status::OK();
}

Status CheckValue(capnp::JsonValue::Reader v, capnp::Type type, bool hex, const std::string& path);

Status CheckList(capnp::JsonValue::Reader v, capnp::ListSchema schema, bool hex, const std::string& path) {
  if (!v.isArray()) return Expected(path, "an array", v);
  auto items = v.getArray();
  for (unsigned i = 0; i < items.size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(CheckValue(items[i], schema.getElementType(), hex, path + "[" + std::to_string(i) + "]"));
  }
  return Status::OK();
}

// Data without $Json.hex is capnp's default form, an array of byte values.
Status CheckByteArray(capnp::JsonValue::Reader v, const std::string& path) {
  if (!v.isArray()) return Expected(path, "an array of byte values", v);
  auto items = v.getArray();
  for (unsigned i = 0; i < items.size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(CheckInteger(items[i], IntRange{false, 0, 255}, path + "[" + std::to_string(i) + "]"));
  }
  return Status::OK();
}

Status CheckValue(capnp::JsonValue::Reader v, capnp::Type type, bool hex, const std::string& path) {
  if (v.isNull()) return Invalid(path, "null is not allowed; omit the field instead");
  if (auto range = IntegerRange(type.which())) return CheckInteger(v, *range, path);
  if (type.isBool()) return v.isBoolean() ? Status::OK() : Expected(path, "true or false", v);
  if (type.isFloat32() || type.isFloat64()) return v.isNumber() ? Status::OK() : Expected(path, "a number", v);
  if (type.isText()) return v.isString() ? Status::OK() : Expected(path, "a string", v);
  if (type.isData()) return hex ? CheckHexString(v, path) : CheckByteArray(v, path);
  if (type.isEnum()) return CheckEnum(v, type.asEnum(), path);
  if (type.isList()) return CheckList(v, type.asList(), hex, path);
  if (type.isStruct()) return CheckStruct(v, type.asStruct(), path);
  return Invalid(path, "field type has no JSON form");
}

Status UnknownField(capnp::StructSchema schema, const std::string& path, std::string_view name) {
  if (IsUnionGroup(schema)) {
    return Invalid(Join(path, name), "unknown " + UnionNoun(schema) + "; known kinds: " + MemberNames(schema));
  }
  return Invalid(Join(path, name), "unknown field");
}

Status CheckField(capnp::JsonValue::Reader v, capnp::StructSchema::Field field, const std::string& path) {
  if (field.getProto().isGroup()) return CheckStruct(v, field.getType().asStruct(), path);
  return CheckValue(v, field.getType(), IsHexField(field), path);
}

// Each union group must be present with exactly one member: capnp would
// otherwise decode an absent body as its first member.
Status CheckUnionGroupsPresent(capnp::StructSchema schema, const std::set<std::string>& given,
                               const std::string& path) {
  for (auto field : schema.getNonUnionFields()) {
    if (!field.getProto().isGroup()) continue;
    auto group = field.getType().asStruct();
    std::string name = field.getProto().getName().cStr();
    if (IsUnionGroup(group) && given.count(name) == 0) {
      return Invalid(Join(path, name), "missing; give one " + UnionNoun(group) + " of: " + MemberNames(group));
    }
  }
  return Status::OK();
}

Status CheckStruct(capnp::JsonValue::Reader v, capnp::StructSchema schema, const std::string& path) {
  if (!v.isObject()) return Expected(path, "an object", v);
  std::set<std::string> given;
  std::string member;  // the union member given, if any
  for (auto entry : v.getObject()) {
    std::string name = entry.getName().cStr();
    if (!given.insert(name).second) return Invalid(Join(path, name), "duplicate field");
    KJ_IF_MAYBE(field, schema.findFieldByName(entry.getName())) {
      if (field->getProto().getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
        if (!member.empty()) return Invalid(path, "both " + member + " and " + name + " given; give exactly one");
        member = name;
      }
      CUSTOS_RETURN_IF_ERROR(CheckField(entry.getValue(), *field, Join(path, name)));
    } else {
      return UnknownField(schema, path, name);
    }
  }
  if (IsUnionGroup(schema) && member.empty()) {
    return Invalid(path, "empty; give one " + UnionNoun(schema) + " of: " + MemberNames(schema));
  }
  return CheckUnionGroupsPresent(schema, given, path);
}

// ------------------------------------------------------------ helpers

Status ParseJson(const Codec& codec, std::string_view json, capnp::JsonValue::Builder out) {
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    codec.get().decodeRaw(kj::ArrayPtr<const char>(json.data(), json.size()), out);
  })) {
    return Status::InvalidArgument("malformed JSON: " + KjReason(*e));
  }
  return Status::OK();
}

std::string KebabCase(std::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (c >= 'A' && c <= 'Z') {
      out += '-';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<Bytes> StatementFromJson(std::string_view json) {
  if (json.size() > kMaxStatementBytes) {
    return Status::InvalidArgument("statement JSON: " + std::to_string(json.size()) +
                                   " bytes is over the limit of " + std::to_string(kMaxStatementBytes));
  }
  Codec codec(false);
  capnp::MallocMessageBuilder raw_message;
  auto raw = raw_message.initRoot<capnp::JsonValue>();
  CUSTOS_RETURN_IF_ERROR(ParseJson(codec, json, raw));
  CUSTOS_RETURN_IF_ERROR(CheckStruct(raw.asReader(), capnp::Schema::from<Statement>(), ""));
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<Statement>();
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { codec.get().decode(raw.asReader(), root); })) {
    // The walk above should have caught everything; this is the backstop.
    return Status::InvalidArgument("statement: " + KjReason(*e));
  }
  Bytes bytes = Canonicalize(root.asReader());
  if (bytes.size() > kMaxStatementBytes) {
    return Status::InvalidArgument("statement: " + std::to_string(bytes.size()) +
                                   " canonical bytes is over the limit of " + std::to_string(kMaxStatementBytes));
  }
  // Capnp's JSON parser passes bytes that are not UTF-8 (and escaped
  // surrogates) through into text: refuse here what no reader of a record
  // accepts, rather than hand out bytes ReadCanonical refuses.
  CUSTOS_RETURN_IF_ERROR(ReadCanonical<Statement>(bytes, kMaxStatementBytes, "statement").status());
  return bytes;
}

Bytes FillStatementDefaults(ByteSpan canonical_statement, std::string_view origin, int64_t now_ms,
                            ByteSpan random16) {
  KJ_REQUIRE(random16.size() == 16, "the nonce is 16 random bytes", random16.size());
  auto read = ReadCanonical<Statement>(canonical_statement, kMaxStatementBytes, "statement");
  KJ_REQUIRE(read.ok(), "FillStatementDefaults takes canonical statement bytes", read.status().message());
  capnp::MallocMessageBuilder message;
  message.setRoot(read->get());
  auto s = message.getRoot<Statement>();
  if (s.getOrigin().size() == 0) {
    std::string text(origin);
    s.setOrigin(kj::StringPtr(text.c_str(), text.size()));
  }
  if (s.getTime() == 0) s.setTime(now_ms);
  if (s.getNonce().size() == 0) s.setNonce(capnp::Data::Reader(random16.data(), random16.size()));
  return Canonicalize(s.asReader());
}

std::string StatementToJson(Statement::Reader statement, bool pretty) {
  Codec codec(pretty);
  return codec.get().encode(statement).cStr();
}

namespace {

// Replaces submission.statement (capnp's array of byte values) by the decoded
// statement, followed by its bytes in hex; bytes that are not a canonical
// statement give "statement": null and a "statementError".
void ShowStatement(const Codec& codec, capnp::Data::Reader bytes, capnp::JsonValue::Builder submission) {
  auto read = ReadCanonical<Statement>(ByteSpan(bytes.begin(), bytes.size()), kMaxStatementBytes,
                                       "submission.statement");
  auto old = submission.disownObject();
  auto before = old.getReader();
  auto fields = submission.initObject(before.size() + (read.ok() ? 1 : 2));
  unsigned out = 0;
  for (auto field : before) {
    fields[out].setName(field.getName());
    if (field.getName() != "statement") {
      fields[out++].setValue(field.getValue());
      continue;
    }
    if (read.ok()) {
      codec.get().encode(read->get(), fields[out++].initValue());
    } else {
      fields[out++].initValue().setNull();
    }
    fields[out].setName("statementBytes");
    fields[out++].initValue().setString(HexEncode(ByteSpan(bytes.begin(), bytes.size())));
    if (!read.ok()) {
      fields[out].setName("statementError");
      fields[out++].initValue().setString(read.status().message());
    }
  }
}

}  // namespace

std::string LogEntryToJson(LogEntry::Reader entry, bool pretty) {
  Codec codec(pretty);
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  codec.get().encode(entry, root);
  for (auto field : root.getObject()) {
    if (field.getName() == "submission" && entry.hasSubmission() && entry.getSubmission().hasStatement()) {
      ShowStatement(codec, entry.getSubmission().getStatement(), field.getValue());
    }
  }
  return codec.get().encodeRaw(root.asReader()).cStr();
}

std::string StatementKind(Statement::Reader statement) {
  capnp::DynamicStruct::Reader body = capnp::toDynamic(statement).get("body").as<capnp::DynamicStruct>();
  KJ_IF_MAYBE(member, body.which()) {
    auto name = member->getProto().getName();
    return KebabCase(std::string_view(name.begin(), name.size()));
  }
  return "unknown";
}

}  // namespace custos::schema
