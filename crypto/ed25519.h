// Ed25519 through libsodium.
#pragma once

#include <array>
#include <string>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace custos {

struct PublicKey {
  static constexpr size_t kSize = 32;
  std::array<uint8_t, kSize> bytes{};
  auto operator<=>(const PublicKey&) const = default;
  ByteSpan span() const { return {bytes.data(), bytes.size()}; }
  static std::optional<PublicKey> FromSpan(ByteSpan b);
};

struct Signature {
  static constexpr size_t kSize = 64;
  std::array<uint8_t, kSize> bytes{};
  auto operator<=>(const Signature&) const = default;
  ByteSpan span() const { return {bytes.data(), bytes.size()}; }
  static std::optional<Signature> FromSpan(ByteSpan b);
};

// An Ed25519 signing key: the 32-byte seed and the derived public key.
// The seed is wiped on destruction. Copyable (keys are small); never logged.
class SigningKey final {
 public:
  // A fresh key from libsodium's CSPRNG.
  static SigningKey Generate();
  // Deterministic key from a 32-byte seed (tests, key files).
  static Result<SigningKey> FromSeed(ByteSpan seed);

  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;
  ~SigningKey();

  const PublicKey& public_key() const { return public_; }
  ByteSpan seed() const { return {seed_.data(), seed_.size()}; }
  Signature Sign(ByteSpan message) const;

 private:
  SigningKey() = default;
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 64> secret_{};  // libsodium's expanded form: seed || public
  PublicKey public_;
};

// True iff `sig` is a valid Ed25519 signature of `message` under `key`
// (libsodium's strict verification: canonical S, no small-order keys).
bool VerifySignature(const PublicKey& key, ByteSpan message, const Signature& sig);

// Initialises libsodium once; safe to call from any thread, any number of times.
void InitCrypto();

}  // namespace custos
