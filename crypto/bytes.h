// Small fixed-size byte types and the text encodings used in Custos formats.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace custos {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

// A 32-byte SHA-256 (or SM3) digest. Value type; compares bytewise.
struct Hash {
  static constexpr size_t kSize = 32;
  std::array<uint8_t, kSize> bytes{};

  auto operator<=>(const Hash&) const = default;
  ByteSpan span() const { return {bytes.data(), bytes.size()}; }
  // Copies exactly 32 bytes; nullopt if `b` has another length.
  static std::optional<Hash> FromSpan(ByteSpan b);
};

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string HexEncode(ByteSpan b);
// Lower or upper case; nullopt on odd length or a non-hex character.
std::optional<Bytes> HexDecode(std::string_view s);

// RFC 4648 §4 standard base64 with padding.
std::string Base64Encode(ByteSpan b);
// Strict: padding required, no whitespace, no non-canonical trailing bits.
// Table-driven, so its timing depends on the data: for public data only.
std::optional<Bytes> Base64Decode(std::string_view s);
// The same encoding through libsodium's constant-time codec, for key
// material. The decoder also refuses missing padding and stray characters;
// libsodium refuses non-zero trailing bits.
std::string Base64EncodeSecret(ByteSpan b);
std::optional<Bytes> Base64DecodeSecret(std::string_view s);

// Big-endian integer encoding, used in LevelDB keys so that order is numeric.
void PutBigEndian64(std::string* out, uint64_t v);
void PutBigEndian32(std::string* out, uint32_t v);
uint64_t GetBigEndian64(const uint8_t* p);
uint32_t GetBigEndian32(const uint8_t* p);

}  // namespace custos
