#include "crypto/binary.h"

#include <cstring>

namespace custos {

namespace {
template <typename T>
void PutBigEndian(std::string* out, T v) {
  for (int shift = 8 * (sizeof(T) - 1); shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

template <typename T>
T GetBigEndian(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v << 8 | p[i]);
  return v;
}
}  // namespace

void BinaryWriter::PutU16(uint16_t v) { PutBigEndian(&out_, v); }
void BinaryWriter::PutU32(uint32_t v) { PutBigEndian(&out_, v); }
void BinaryWriter::PutU64(uint64_t v) { PutBigEndian(&out_, v); }

void BinaryWriter::PutLengthPrefixed(std::string_view b) {
  PutU32(static_cast<uint32_t>(b.size()));
  PutBytes(b);
}

const uint8_t* BinaryReader::Take(size_t n) {
  if (!ok_ || rest_.size() < n) {
    // Sticky: a record cut short is refused whatever its later fields say.
    ok_ = false;
    rest_ = {};
    return nullptr;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(rest_.data());
  rest_.remove_prefix(n);
  return p;
}

uint8_t BinaryReader::GetU8() {
  const uint8_t* p = Take(1);
  return p ? p[0] : 0;
}

uint16_t BinaryReader::GetU16() {
  const uint8_t* p = Take(2);
  return p ? GetBigEndian<uint16_t>(p) : 0;
}

uint32_t BinaryReader::GetU32() {
  const uint8_t* p = Take(4);
  return p ? GetBigEndian<uint32_t>(p) : 0;
}

uint64_t BinaryReader::GetU64() {
  const uint8_t* p = Take(8);
  return p ? GetBigEndian<uint64_t>(p) : 0;
}

std::string_view BinaryReader::GetBytes(size_t n) {
  const uint8_t* p = Take(n);
  if (!ok_) return {};
  return {reinterpret_cast<const char*>(p), n};  // p may be null when n is 0
}

Hash BinaryReader::GetHash() {
  Hash h;
  if (const uint8_t* p = Take(Hash::kSize)) std::memcpy(h.bytes.data(), p, Hash::kSize);
  return h;
}

std::string_view BinaryReader::GetLengthPrefixed() {
  const uint32_t n = GetU32();
  return GetBytes(n);
}

std::string_view BinaryReader::GetRest() { return GetBytes(rest_.size()); }

}  // namespace custos
