#include "crypto/ed25519.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>

namespace custos {

void InitCrypto() {
  // sodium_init is itself idempotent, but call_once makes the "once" explicit
  // and gives every caller a happens-before edge with the initialisation.
  static std::once_flag once;
  std::call_once(once, [] {
    // A failed sodium_init means no usable CSPRNG: nothing safe can follow.
    if (sodium_init() < 0) std::abort();
  });
}

std::optional<PublicKey> PublicKey::FromSpan(ByteSpan b) {
  if (b.size() != kSize) return std::nullopt;
  PublicKey k;
  std::memcpy(k.bytes.data(), b.data(), kSize);
  return k;
}

std::optional<Signature> Signature::FromSpan(ByteSpan b) {
  if (b.size() != kSize) return std::nullopt;
  Signature s;
  std::memcpy(s.bytes.data(), b.data(), kSize);
  return s;
}

SigningKey SigningKey::Generate() {
  InitCrypto();
  std::array<uint8_t, 32> seed;
  randombytes_buf(seed.data(), seed.size());
  SigningKey key = FromSeed(seed).value();  // a 32-byte seed cannot fail
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Result<SigningKey> SigningKey::FromSeed(ByteSpan seed) {
  static_assert(crypto_sign_SEEDBYTES == 32 && crypto_sign_SECRETKEYBYTES == 64 &&
                crypto_sign_PUBLICKEYBYTES == PublicKey::kSize);
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return Status::InvalidArgument("ed25519 seed: want 32 bytes, got " + std::to_string(seed.size()));
  }
  InitCrypto();
  SigningKey key;
  std::memcpy(key.seed_.data(), seed.data(), seed.size());
  crypto_sign_seed_keypair(key.public_.bytes.data(), key.secret_.data(), key.seed_.data());
  return key;
}

SigningKey::~SigningKey() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(secret_.data(), secret_.size());
}

Signature SigningKey::Sign(ByteSpan message) const {
  Signature sig;
  crypto_sign_detached(sig.bytes.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

bool VerifySignature(const PublicKey& key, ByteSpan message, const Signature& sig) {
  InitCrypto();
  return crypto_sign_verify_detached(sig.bytes.data(), message.data(), message.size(),
                                     key.bytes.data()) == 0;
}

}  // namespace custos
