#include "crypto/bytes.h"

#include <sodium.h>

namespace custos {

std::optional<Hash> Hash::FromSpan(ByteSpan b) {
  if (b.size() != kSize) return std::nullopt;
  Hash h;
  std::memcpy(h.bytes.data(), b.data(), kSize);
  return h;
}

std::string HexEncode(ByteSpan b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(b.size() * 2, '\0');
  for (size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kDigits[b[i] >> 4];
    out[2 * i + 1] = kDigits[b[i] & 0xf];
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Bytes> HexDecode(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  Bytes out(s.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(s[2 * i]), lo = HexValue(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

namespace {
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of each character of the alphabet; 0xFF for every other byte.
constexpr std::array<uint8_t, 256> kBase64Values = [] {
  std::array<uint8_t, 256> v{};
  v.fill(0xFF);
  for (uint8_t i = 0; i < 64; ++i) v[static_cast<uint8_t>(kBase64Alphabet[i])] = i;
  return v;
}();
}  // namespace

// Table-driven: the lookups depend on the data, which is public (notes,
// proofs, entries, public keys). Secrets use the constant-time pair below.
std::string Base64Encode(ByteSpan b) {
  std::string out((b.size() + 2) / 3 * 4, '=');
  size_t o = 0, i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(b[i]) << 16 | static_cast<uint32_t>(b[i + 1]) << 8 | b[i + 2];
    out[o++] = kBase64Alphabet[v >> 18];
    out[o++] = kBase64Alphabet[(v >> 12) & 63];
    out[o++] = kBase64Alphabet[(v >> 6) & 63];
    out[o++] = kBase64Alphabet[v & 63];
  }
  if (const size_t rest = b.size() - i; rest > 0) {
    const uint32_t v = static_cast<uint32_t>(b[i]) << 16 | (rest == 2 ? static_cast<uint32_t>(b[i + 1]) << 8 : 0);
    out[o++] = kBase64Alphabet[v >> 18];
    out[o++] = kBase64Alphabet[(v >> 12) & 63];
    if (rest == 2) out[o] = kBase64Alphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<Bytes> Base64Decode(std::string_view s) {
  if (s.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  if (!s.empty() && s.back() == '=') pad = s[s.size() - 2] == '=' ? 2 : 1;
  Bytes out(s.size() / 4 * 3 - pad);
  const auto* in = reinterpret_cast<const uint8_t*>(s.data());
  const size_t full = s.size() / 4 - (pad > 0 ? 1 : 0);  // quads without padding
  size_t o = 0;
  for (size_t q = 0; q < full; ++q, in += 4) {
    const uint8_t a = kBase64Values[in[0]], b = kBase64Values[in[1]], c = kBase64Values[in[2]], d = kBase64Values[in[3]];
    if ((a | b | c | d) & 0x80) return std::nullopt;
    const uint32_t v = static_cast<uint32_t>(a) << 18 | static_cast<uint32_t>(b) << 12 | static_cast<uint32_t>(c) << 6 | d;
    out[o++] = static_cast<uint8_t>(v >> 16);
    out[o++] = static_cast<uint8_t>(v >> 8);
    out[o++] = static_cast<uint8_t>(v);
  }
  if (pad == 0) return out;
  // The last quad: "xx==" or "xxx=", and the bits past the data must be zero.
  const uint8_t a = kBase64Values[in[0]], b = kBase64Values[in[1]];
  const uint8_t c = pad == 1 ? kBase64Values[in[2]] : 0;
  if ((a | b | c) & 0x80) return std::nullopt;
  const uint32_t v = static_cast<uint32_t>(a) << 18 | static_cast<uint32_t>(b) << 12 | static_cast<uint32_t>(c) << 6;
  out[o++] = static_cast<uint8_t>(v >> 16);
  if (pad == 1) out[o++] = static_cast<uint8_t>(v >> 8);
  if ((pad == 2 ? (v & 0xFFFF) : (v & 0xFF)) != 0) return std::nullopt;
  return out;
}

std::string Base64EncodeSecret(ByteSpan b) {
  std::string out(sodium_base64_encoded_len(b.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<Bytes> Base64DecodeSecret(std::string_view s) {
  Bytes out(s.size() / 4 * 3 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != s.data() + s.size() || s.size() % 4 != 0) {
    sodium_memzero(out.data(), out.size());
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
void PutBigEndian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
uint64_t GetBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}
uint32_t GetBigEndian32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace custos
