// Writing and reading the binary records of Custos formats: big-endian
// integers, fixed-size bytes and u32-length-prefixed strings, one field after
// another (docs/leveldb-layout.md). As LevelDB's util/coding.h, with a reader
// that never reads past its input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "crypto/bytes.h"

namespace custos {

namespace binary_internal {
// The integers a record holds; any other (int, bool, char) must say its width.
template <typename T>
inline constexpr bool kIsInt = std::is_same_v<T, uint8_t> || std::is_same_v<T, uint16_t> ||
                               std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t> ||
                               std::is_same_v<T, int64_t>;
template <typename T>
inline constexpr bool kNotAField = false;
}  // namespace binary_internal

// Appends fields to a byte string. Not thread-safe; cheap to create.
class BinaryWriter {
 public:
  BinaryWriter() = default;
  // Continues after `start` (a key prefix, a hash's domain).
  explicit BinaryWriter(std::string start) : out_(std::move(start)) {}

  void PutU8(uint8_t v) { PutInt(v); }
  void PutU16(uint16_t v) { PutInt(v); }
  void PutU32(uint32_t v) { PutInt(v); }
  void PutU64(uint64_t v) { PutInt(v); }
  // Two's complement: the bytes of static_cast<uint64_t>(v).
  void PutI64(int64_t v) { PutInt(v); }
  // Bytes as they are, with no length: fixed-size fields and a record's tail.
  void PutBytes(std::string_view b) { out_.append(b); }
  void PutBytes(ByteSpan b) { PutBytes(AsString(b)); }
  void PutHash(const Hash& h) { PutBytes(h.span()); }
  // len (u32) || bytes. Precondition: b.size() < 2^32 (records are far
  // smaller; callers bound their fields).
  void PutLengthPrefixed(std::string_view b);

  // Each field by its type, so that a record lists its fields once:
  // uint8_t, uint16_t, uint32_t, uint64_t, int64_t (as above), an enum (as its
  // underlying type), Hash, and a string (length-prefixed). Any other type,
  // an int or a bool say, does not compile: say the width.
  template <typename... T>
  void Put(const T&... fields) {
    (PutField(fields), ...);
  }

  size_t size() const { return out_.size(); }
  // The bytes written; leaves the writer empty.
  std::string Take() { return std::move(out_); }

 private:
  template <typename T>
  void PutInt(T v) {
    const auto u = static_cast<std::make_unsigned_t<T>>(v);
    for (int shift = 8 * (sizeof(T) - 1); shift >= 0; shift -= 8) out_.push_back(static_cast<char>(u >> shift));
  }

  template <typename T>
  void PutField(const T& v) {
    if constexpr (std::is_enum_v<T>) {
      PutInt(static_cast<std::underlying_type_t<T>>(v));
    } else if constexpr (binary_internal::kIsInt<T>) {
      PutInt(v);
    } else if constexpr (std::is_same_v<T, Hash>) {
      PutHash(v);
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      PutLengthPrefixed(v);
    } else {
      static_assert(binary_internal::kNotAField<T>, "BinaryWriter::Put: no field of this type");
    }
  }

  std::string out_;
};

// The record of `fields` in order (BinaryWriter::Put).
template <typename... T>
std::string EncodeFields(const T&... fields) {
  BinaryWriter w;
  w.Put(fields...);
  return w.Take();
}

// Reads fields in order from borrowed bytes (which must outlive the reader
// and the views it returns). A read past the end fails: it returns zero (or
// an empty view, a zero hash), and every later read fails too, so a decoder
// reads all its fields and checks once:
//
//   BinaryReader r(bytes);
//   rec.size = r.GetU64();
//   rec.name = r.GetLengthPrefixed();
//   if (!r.AtEnd()) return std::nullopt;  // short, or bytes left over
//
// A value type: copy it to read ahead, and assign the copy back to keep its reads.
class BinaryReader {
 public:
  explicit BinaryReader(std::string_view bytes) : rest_(bytes) {}
  explicit BinaryReader(ByteSpan bytes) : rest_(AsString(bytes)) {}

  [[nodiscard]] uint8_t GetU8() { return GetInt<uint8_t>(); }
  [[nodiscard]] uint16_t GetU16() { return GetInt<uint16_t>(); }
  [[nodiscard]] uint32_t GetU32() { return GetInt<uint32_t>(); }
  [[nodiscard]] uint64_t GetU64() { return GetInt<uint64_t>(); }
  [[nodiscard]] int64_t GetI64() { return GetInt<int64_t>(); }
  // The next n bytes.
  [[nodiscard]] std::string_view GetBytes(size_t n);
  [[nodiscard]] Hash GetHash();
  // A PutLengthPrefixed field. Fails if the length names more bytes than are left.
  [[nodiscard]] std::string_view GetLengthPrefixed();
  // Every byte left (none is not a failure).
  [[nodiscard]] std::string_view GetRest() { return GetBytes(rest_.size()); }

  // Reads each field by its type, as BinaryWriter::Put wrote it. A string
  // field (std::string, or a std::string_view that borrows the input) is
  // length-prefixed; an enum is not range-checked (the caller does). After a
  // failure the remaining fields are zero or empty.
  template <typename... T>
  void Get(T&... fields) {
    (GetField(fields), ...);
  }

  // False once a read has failed.
  bool ok() const { return ok_; }
  // Bytes not read yet (0 after a failure).
  size_t remaining() const { return rest_.size(); }
  // True iff every read succeeded and every byte was read: a decoder's last
  // check, which refuses both short records and trailing bytes.
  bool AtEnd() const { return ok_ && rest_.empty(); }

 private:
  // The next n bytes, or nullptr (and the reader has failed) if fewer are left.
  const uint8_t* Take(size_t n);

  template <typename T>
  T GetInt() {
    const uint8_t* p = Take(sizeof(T));
    std::make_unsigned_t<T> v = 0;
    for (size_t i = 0; p != nullptr && i < sizeof(T); ++i) v = static_cast<decltype(v)>(v << 8 | p[i]);
    return static_cast<T>(v);
  }

  template <typename T>
  void GetField(T& v) {
    if constexpr (std::is_enum_v<T>) {
      v = static_cast<T>(GetInt<std::underlying_type_t<T>>());
    } else if constexpr (binary_internal::kIsInt<T>) {
      v = GetInt<T>();
    } else if constexpr (std::is_same_v<T, Hash>) {
      v = GetHash();
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
      v = T(GetLengthPrefixed());
    } else {
      static_assert(binary_internal::kNotAField<T>, "BinaryReader::Get: no field of this type");
    }
  }

  std::string_view rest_;
  bool ok_ = true;
};

// Reads `fields` (BinaryReader::Get) from the whole of `bytes`: false if it
// is short or has bytes left over.
template <typename... T>
[[nodiscard]] bool DecodeFields(std::string_view bytes, T&... fields) {
  BinaryReader r(bytes);
  r.Get(fields...);
  return r.AtEnd();
}

}  // namespace custos
