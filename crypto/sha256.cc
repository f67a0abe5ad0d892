// The low-level SHA-256 interface is deprecated in OpenSSL 3 but present in
// every 3.x release; sha256.h says why it is used.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/sha256.h"

#include <openssl/sha.h>

#include <cstdlib>

namespace custos {

namespace {
SHA256_CTX* Context(unsigned char* state) { return reinterpret_cast<SHA256_CTX*>(state); }
}  // namespace

Sha256::Sha256() {
  static_assert(sizeof(SHA256_CTX) == sizeof(state_), "Sha256::state_ must hold a SHA256_CTX");
  static_assert(alignof(SHA256_CTX) <= 8, "Sha256::state_ is not aligned for SHA256_CTX");
  if (SHA256_Init(Context(state_)) != 1) std::abort();
}

Sha256& Sha256::Update(ByteSpan data) {
  SHA256_Update(Context(state_), data.data(), data.size());
  return *this;
}

Hash Sha256::Finish() {
  Hash h;
  SHA256_Final(h.bytes.data(), Context(state_));
  SHA256_Init(Context(state_));
  return h;
}

Hash Sha256::Digest(ByteSpan data) { return ThreadSha256().Update(data).Finish(); }

Sha256& ThreadSha256() {
  thread_local Sha256 hasher;
  return hasher;
}

}  // namespace custos
