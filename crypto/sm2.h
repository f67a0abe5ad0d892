// SM2 signatures (GB/T 32918.2-2016, GM/T 0003.2-2012) over SM3, with the
// signer's distinguishing id (GM/T 0009's default "1234567812345678"),
// through OpenSSL 3's EVP API; the 国密 second signature line of a signed
// note (docs/sm2.md).
//
// Keys are on the SM2 recommended curve. A public key is 65 bytes, the
// uncompressed point 0x04 || x || y; a signature is DER SEQUENCE { r, s }, as
// GM/T 0009 and OpenSSL write it.
//
// Thread-safety: an Sm2Key may be used from several threads at once (each
// call makes its own contexts); the functions are pure.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/status.h"

using EVP_PKEY = struct evp_pkey_st;

namespace custos {

inline constexpr std::string_view kSm2DefaultId = "1234567812345678";
inline constexpr size_t kSm2PublicKeyBytes = 65;

class Sm2Key final {
 public:
  static Result<Sm2Key> Generate();
  // A PKCS#8 PEM private key ("-----BEGIN PRIVATE KEY-----", what
  // `openssl genpkey -algorithm SM2` writes). InvalidArgument if it does not
  // parse or is not an SM2 key.
  static Result<Sm2Key> FromPem(std::string_view pem);
  // The key whose private scalar is `d` (32 bytes, big-endian): for
  // known-answer tests. InvalidArgument if d is 0 or not below the order.
  static Result<Sm2Key> FromPrivateScalar(ByteSpan d);

  // PKCS#8 PEM of the private key (holds the secret: write it 0600).
  std::string ToPem() const;
  // SubjectPublicKeyInfo PEM of the public key, for `openssl pkeyutl -verify`.
  std::string PublicKeyPem() const;
  // 0x04 || x || y.
  Bytes PublicKey() const;
  // DER signature of `message` (SM3 with Z_A of `id` inside, GB/T 32918.2).
  Result<Bytes> Sign(ByteSpan message, std::string_view id = kSm2DefaultId) const;

 private:
  explicit Sm2Key(std::shared_ptr<EVP_PKEY> pkey) : pkey_(std::move(pkey)) {}
  std::shared_ptr<EVP_PKEY> pkey_;
};

// OK iff `signature` (DER) is `public_key`'s SM2 signature of `message` with
// `id`. InvalidArgument if the public key is not a point of the curve;
// Corruption if the signature does not verify (or is not DER).
Status Sm2Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature, std::string_view id = kSm2DefaultId);

// SubjectPublicKeyInfo PEM of a 65-byte public key. InvalidArgument as Sm2Verify.
Result<std::string> Sm2PublicKeyPem(ByteSpan public_key);

}  // namespace custos
