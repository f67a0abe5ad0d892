#include "schema/well_formed.h"

#include <capnp/any.h>
#include <kj/exception.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/utf8.h"

namespace custos::schema {

namespace {

using capnp::schema::Type;

// Bits of a data-section slot of each type; 0 for pointer types and Void.
uint32_t DataBits(Type::Which which) {
  switch (which) {
    case Type::BOOL: return 1;
    case Type::INT8: case Type::UINT8: return 8;
    case Type::INT16: case Type::UINT16: case Type::ENUM: return 16;
    case Type::INT32: case Type::UINT32: case Type::FLOAT32: return 32;
    case Type::INT64: case Type::UINT64: case Type::FLOAT64: return 64;
    default: return 0;
  }
}

bool IsPointer(Type::Which which) {
  return which == Type::TEXT || which == Type::DATA || which == Type::LIST || which == Type::STRUCT ||
         which == Type::INTERFACE || which == Type::ANY_POINTER;
}

// The element size a list of `element` is encoded with in canonical form.
capnp::ElementSize ElementSizeOf(capnp::Type element) {
  using capnp::ElementSize;
  if (element.isStruct()) return ElementSize::INLINE_COMPOSITE;
  if (IsPointer(element.which())) return ElementSize::POINTER;
  switch (DataBits(element.which())) {
    case 1: return ElementSize::BIT;
    case 8: return ElementSize::BYTE;
    case 16: return ElementSize::TWO_BYTES;
    case 32: return ElementSize::FOUR_BYTES;
    case 64: return ElementSize::EIGHT_BYTES;
    default: return ElementSize::VOID;
  }
}

// Which bits and pointers of one struct the known fields use. Groups share
// their struct's sections, so one Sections serves a struct and its groups.
class Sections {
 public:
  explicit Sections(capnp::AnyStruct::Reader raw)
      : data_(raw.getDataSection()), pointers_(raw.getPointerSection()),
        used_bytes_(data_.size(), 0), used_pointers_(pointers_.size(), false) {}

  void UseBits(uint64_t first_bit, uint32_t width) {
    for (uint64_t bit = first_bit; bit < first_bit + width; ++bit) {
      if (bit / 8 >= used_bytes_.size()) return;  // past the section: reads as the default
      used_bytes_[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
  }
  void UsePointer(uint32_t index) {
    if (index < used_pointers_.size()) used_pointers_[index] = true;
  }

  // What lies outside the used bits and pointers, if anything.
  std::optional<std::string> Stray() const {
    for (size_t i = 0; i < data_.size(); ++i) {
      if ((data_[i] & ~used_bytes_[i]) != 0) {
        return "data byte " + std::to_string(i) + " has bits set outside the fields this build knows";
      }
    }
    for (unsigned i = 0; i < pointers_.size(); ++i) {
      if (!used_pointers_[i] && !pointers_[i].isNull()) {
        return "pointer " + std::to_string(i) + " is set outside the fields this build knows";
      }
    }
    return std::nullopt;
  }

 private:
  kj::ArrayPtr<const kj::byte> data_;
  capnp::List<capnp::AnyPointer>::Reader pointers_;
  std::vector<uint8_t> used_bytes_;
  std::vector<bool> used_pointers_;
};

// The walk. The path is kept as a stack and rendered only for a message.
class Walker {
 public:
  explicit Walker(Unknown unknown) : refuse_unknown_(unknown == Unknown::kRefuse) {}

  Status Struct(capnp::DynamicStruct::Reader s) {
    Sections sections(s);
    CUSTOS_RETURN_IF_ERROR(Fields(s, sections));
    if (!refuse_unknown_) return Status::OK();
    if (auto stray = sections.Stray()) return Error(*stray);
    return Status::OK();
  }

  Status Error(const std::string& reason) const {
    std::string path = Path();
    return Status::InvalidArgument(path.empty() ? reason : path + ": " + reason);
  }

 private:
  struct Step {
    kj::StringPtr name;  // a field, or empty for a list element
    unsigned index = 0;
  };

  std::string Path() const {
    std::string out;
    for (const Step& step : path_) {
      if (step.name.size() == 0) {
        out += "[" + std::to_string(step.index) + "]";
      } else {
        out += (out.empty() ? "" : ".") + std::string(step.name.cStr());
      }
    }
    return out;
  }

  // The fields of a struct or group: the non-union ones and the union's member.
  Status Fields(capnp::DynamicStruct::Reader s, Sections& sections) {
    auto proto = s.getSchema().getProto().getStruct();
    if (proto.getDiscriminantCount() > 0) {
      sections.UseBits(uint64_t{proto.getDiscriminantOffset()} * 16, 16);
      KJ_IF_MAYBE(member, s.which()) {
        CUSTOS_RETURN_IF_ERROR(Field(s, *member, sections));
      } else if (refuse_unknown_) {
        return Error("a union member this build does not know");
      }
    }
    for (auto field : s.getSchema().getNonUnionFields()) CUSTOS_RETURN_IF_ERROR(Field(s, field, sections));
    return Status::OK();
  }

  Status Field(capnp::DynamicStruct::Reader s, capnp::StructSchema::Field field, Sections& sections) {
    path_.push_back({field.getProto().getName()});
    Status st = FieldValue(s, field, sections);
    path_.pop_back();
    return st;
  }

  Status FieldValue(capnp::DynamicStruct::Reader s, capnp::StructSchema::Field field, Sections& sections) {
    auto proto = field.getProto();
    if (proto.isGroup()) return Fields(s.get(field).as<capnp::DynamicStruct>(), sections);
    const uint32_t offset = proto.getSlot().getOffset();
    const Type::Which which = field.getType().which();
    if (IsPointer(which)) {
      sections.UsePointer(offset);
    } else {
      sections.UseBits(uint64_t{offset} * DataBits(which), DataBits(which));
    }
    return Value(s.get(field), field.getType());
  }

  Status Value(capnp::DynamicValue::Reader v, capnp::Type type) {
    switch (type.which()) {
      case Type::TEXT: return Text(v.as<capnp::Text>());
      case Type::ENUM: return Enum(v.as<capnp::DynamicEnum>());
      case Type::STRUCT: return Struct(v.as<capnp::DynamicStruct>());
      case Type::LIST: return List(v.as<capnp::DynamicList>());
      case Type::INTERFACE:
      case Type::ANY_POINTER: return refuse_unknown_ ? Error("a field type records do not use") : Status::OK();
      default: return Status::OK();  // numbers, Bool, Void, Data: any bits are a value
    }
  }

  Status Text(capnp::Text::Reader text) {
    if (IsValidUtf8(std::string_view(text.begin(), text.size()))) return Status::OK();
    return Error("text is not valid UTF-8");
  }

  Status Enum(capnp::DynamicEnum e) {
    if (e.getEnumerant() != nullptr || !refuse_unknown_) return Status::OK();
    return Error(std::to_string(e.getRaw()) + " is not a " + std::string(e.getSchema().getShortDisplayName().cStr()) +
                 " this build knows");
  }

  Status List(capnp::DynamicList::Reader list) {
    capnp::Type element = list.getSchema().getElementType();
    if (refuse_unknown_ && capnp::AnyList::Reader(list).getElementSize() != ElementSizeOf(element)) {
      return Error("a list encoded with the wrong element size");
    }
    // Numbers, Bool and Void: any bits are values, nothing to read.
    if (!IsPointer(element.which()) && !element.isEnum()) return Status::OK();
    for (unsigned i = 0; i < list.size(); ++i) {
      path_.push_back({kj::StringPtr(), i});
      Status st = Value(list[i], element);
      path_.pop_back();
      CUSTOS_RETURN_IF_ERROR(st);
    }
    return Status::OK();
  }

  const bool refuse_unknown_;
  std::vector<Step> path_;

 public:
  // The field being read when Cap'n Proto threw, for the message.
  Status Thrown(const kj::Exception& e) const { return Error(DescribeReadError(e)); }
};

// The whole description: it may hold a NUL (a value capnp printed).
bool Mentions(const kj::Exception& e, const char* text) {
  kj::StringPtr description = e.getDescription();
  return std::string_view(description.begin(), description.size()).find(text) != std::string_view::npos;
}

}  // namespace

std::string DescribeReadError(const kj::Exception& e) {
  if (Mentions(e, "NUL-terminated")) return "text without its NUL terminator";
  if (Mentions(e, "out-of-bounds") || Mentions(e, "unknown segment") || Mentions(e, "ends prematurely")) {
    return "a pointer leads outside the message";
  }
  if (Mentions(e, "traversal limit") || Mentions(e, "deeply-nested")) return "nested too deeply or too large";
  if (Mentions(e, "was expected") || Mentions(e, "Expected ") || Mentions(e, "incompatible element type")) {
    return "a pointer of the wrong kind for its field";
  }
  if (Mentions(e, "root pointer")) return "no root";
  return "not a well-formed Cap'n Proto message";
}

Status CheckWellFormed(capnp::DynamicStruct::Reader root, Unknown unknown) {
  Walker walker(unknown);
  Status result;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { result = walker.Struct(root); })) {
    return walker.Thrown(*e);
  }
  return result;
}

}  // namespace custos::schema
