#include "crypto/binary.h"

#include <cstring>

namespace custos {

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

}  // namespace custos
