// Writing and reading the fixed binary records of Custos formats: big-endian
// integers, fixed-size bytes and u32-length-prefixed strings, one field after
// another (docs/leveldb-layout.md). As LevelDB's util/coding.h, with a reader
// that never reads past its input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bytes.h"

namespace custos {

// Appends fields to a byte string. Not thread-safe; cheap to create.
class BinaryWriter {
 public:
  BinaryWriter() = default;
  // Continues after `start` (a key prefix, say).
  explicit BinaryWriter(std::string start) : out_(std::move(start)) {}

  void PutU8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void PutU16(uint16_t v);
  void PutU32(uint32_t v);
  void PutU64(uint64_t v);
  // Two's complement, as PutU64: the bytes of static_cast<uint64_t>(v).
  void PutI64(int64_t v) { PutU64(static_cast<uint64_t>(v)); }
  // Bytes as they are, with no length: fixed-size fields and a record's tail.
  void PutBytes(std::string_view b) { out_.append(b); }
  void PutBytes(ByteSpan b) { PutBytes(AsString(b)); }
  void PutHash(const Hash& h) { PutBytes(h.span()); }
  // len (u32, big-endian) || bytes. Precondition: b.size() < 2^32 (records
  // are far smaller; callers bound their fields).
  void PutLengthPrefixed(std::string_view b);

  size_t size() const { return out_.size(); }
  // The bytes written; leaves the writer empty.
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields in order from borrowed bytes (which must outlive the reader
// and the views it returns). A read past the end fails: it returns zero (or
// an empty view, a zero hash), consumes nothing more, and makes every later
// read fail too, so a decoder reads all its fields and checks once:
//
//   BinaryReader r(bytes);
//   rec.size = r.GetU64();
//   rec.name = r.GetLengthPrefixed();
//   if (!r.AtEnd()) return std::nullopt;  // short, or bytes left over
//
// A value type: copy it to read ahead and assign it back to keep the reads.
class BinaryReader {
 public:
  explicit BinaryReader(std::string_view bytes) : rest_(bytes) {}
  explicit BinaryReader(ByteSpan bytes) : rest_(AsString(bytes)) {}

  [[nodiscard]] uint8_t GetU8();
  [[nodiscard]] uint16_t GetU16();
  [[nodiscard]] uint32_t GetU32();
  [[nodiscard]] uint64_t GetU64();
  [[nodiscard]] int64_t GetI64() { return static_cast<int64_t>(GetU64()); }
  // The next n bytes.
  [[nodiscard]] std::string_view GetBytes(size_t n);
  [[nodiscard]] Hash GetHash();
  // A PutLengthPrefixed field. Fails if the length names more bytes than are left.
  [[nodiscard]] std::string_view GetLengthPrefixed();
  // Every byte left (none is not a failure).
  [[nodiscard]] std::string_view GetRest();

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

  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace custos
